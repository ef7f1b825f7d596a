/**
 * The checks of one batch row that need nothing but the row and the letter (domain.md, "Data
 * collection"). The checks that need the database — the same person earlier in the batch, a known
 * resident under another name, the one-named-card rule — run later, per chunk, under row locks.
 */
import { ageOn } from '../../../platform/dates';
import { B_CARD_MIN_AGE } from '../../applications';
import {
  examineIdNumber,
  GUARDIAN_BELOW_AGE,
  examineName,
  normaliseIdNumber,
  normaliseName,
  normalisePhone,
  parseGender,
  parseLooseDate,
  type IdNumberFacts,
  type ResidentData,
} from '../../residents';
import type { RawRow } from '../parsing/columns';
import type { ReasonCode } from '../reasons';

export interface RowRules {
  /** Birth dates after this day do not exist yet (the import's own day). */
  today: string;
  /** Towns of the letter's area; null for the whole district. */
  area: ReadonlySet<string> | null;
  /** Every town of the district with its default pickup centre. */
  centres: ReadonlyMap<string, string>;
  banks: ReadonlySet<string>;
  validFrom: string;
  validUntil: string;
}

export interface CheckedRow {
  row: number;
  recordNo: string;
  /** Codes found so far, each once, in a fixed order. */
  reasons: ReasonCode[];
  /** Present when the identity number is valid: the person the database checks are about. */
  person?: {
    facts: IdNumberFacts;
    name: string;
    /** The name is well formed, so it can be compared with a known resident's. */
    nameValid: boolean;
  };
  /** Present when the row has no defect of its own: what an accepted row writes. */
  application?: {
    data: ResidentData;
    cardType: 'B' | 'C_NAMED';
    bank: string | null;
    centre: string;
    collectedOn: string;
    /** The holder's age on the collection date. */
    age: number;
  };
}

const CARD_TYPES: Record<string, 'B' | 'C_NAMED'> = { B卡: 'B', 记名C卡: 'C_NAMED' };

/** Free text the file may carry longer than the columns that keep it. */
const LIMITS = { ethnicity: 20, community: 50, address: 200 };

function text(value: string | number | undefined): string {
  return value === undefined ? '' : String(value);
}

function clean(value: string | number | undefined): string {
  return text(value).normalize('NFKC').trim();
}

function optional(value: string | number | undefined, max: number): string | null {
  const v = text(value).trim().replace(/\s+/gu, ' ');
  return v ? [...v].slice(0, max).join('') : null;
}

export function checkRow(raw: RawRow, rules: RowRules): CheckedRow {
  const c = raw.cells;
  const reasons = new Set<ReasonCode>();
  const recordNo = [...text(c.recordNo).trim()].slice(0, 40).join('');

  // A number in this column has lost digits on the way (a numeric spreadsheet cell): never rebuilt.
  let facts: IdNumberFacts | undefined;
  if (typeof c.idNumber === 'number') reasons.add('ID_FORMAT');
  else {
    const examined = examineIdNumber(normaliseIdNumber(text(c.idNumber)), rules.today);
    if (typeof examined === 'string') reasons.add(examined);
    else facts = examined;
  }

  if (facts) {
    const birth = clean(c.birthDate);
    if (birth && parseLooseDate(birth) !== facts.birthDate) reasons.add('BIRTHDATE_MISMATCH');
    const gender = clean(c.gender);
    if (gender && parseGender(gender) !== facts.gender) reasons.add('GENDER_MISMATCH');
  }

  const name = normaliseName(text(c.name));
  const nameProblem = examineName(name);
  if (nameProblem) reasons.add(nameProblem);

  const phone = normalisePhone(text(c.phone));
  if (!phone) reasons.add('PHONE_INVALID');

  const cardType = CARD_TYPES[clean(c.cardType).replace(/\s+/gu, '').toUpperCase()];
  if (!cardType) reasons.add('CARD_TYPE_INVALID');
  const bankText = clean(c.bank);
  if (cardType === 'B') {
    if (!bankText) reasons.add('BANK_MISSING');
    else if (!rules.banks.has(bankText)) reasons.add('BANK_UNKNOWN');
  }

  const collectedOn = parseLooseDate(clean(c.collectedOn));
  const age = facts && collectedOn ? ageOn(facts.birthDate, collectedOn) : undefined;
  let guardian: ResidentData['guardian'] = null;
  if (age !== undefined) {
    if (cardType === 'B' && age < B_CARD_MIN_AGE) reasons.add('B_CARD_UNDERAGE');
    if (age < GUARDIAN_BELOW_AGE) {
      guardian = checkGuardian(c.guardianName, c.guardianIdNumber, rules.today);
      if (!guardian) reasons.add('GUARDIAN_MISSING');
    }
  }

  const town = clean(c.town);
  const centre = rules.centres.get(town);
  if (!centre || (rules.area !== null && !rules.area.has(town))) reasons.add('OUT_OF_AREA');
  if (!collectedOn || collectedOn < rules.validFrom || collectedOn > rules.validUntil) {
    reasons.add('OUTSIDE_AUTHORISATION_PERIOD');
  }

  const checked: CheckedRow = { row: raw.row, recordNo, reasons: [...reasons] };
  if (facts) checked.person = { facts, name, nameValid: nameProblem === null };
  if (reasons.size === 0 && facts && phone && cardType && centre && collectedOn && age !== undefined) {
    checked.application = {
      data: {
        idNumber: facts.idNumber,
        name,
        gender: facts.gender,
        birthDate: facts.birthDate,
        ethnicity: optional(c.ethnicity, LIMITS.ethnicity),
        phone,
        address: optional(c.address, LIMITS.address),
        town,
        community: optional(c.community, LIMITS.community),
        guardian,
      },
      cardType,
      bank: cardType === 'B' ? bankText : null,
      centre,
      collectedOn,
      age,
    };
  }
  return checked;
}

/** A guardian counts only with a well-formed name and a valid identity number. */
function checkGuardian(
  rawName: string | number | undefined,
  rawId: string | number | undefined,
  today: string,
): ResidentData['guardian'] {
  const name = normaliseName(text(rawName));
  if (examineName(name) || typeof rawId === 'number') return null;
  const facts = examineIdNumber(normaliseIdNumber(text(rawId)), today);
  if (typeof facts === 'string') return null;
  return { name, idNumber: facts.idNumber, relation: null };
}
