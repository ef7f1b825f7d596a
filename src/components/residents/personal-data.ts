/**
 * Normalisation and checks of the personal data a resident is identified by (domain.md, "Residents and
 * identity numbers"). Pure functions: the API's validation and the collection import both use them,
 * so a value accepted at the counter is accepted in a batch and vice versa.
 */
import { isRealDate } from '../../platform/dates';

/** Below this age a resident acts through a guardian: applications, pickups and loss reports. */
export const GUARDIAN_BELOW_AGE = 16;

export type IdNumberProblem = 'ID_FORMAT' | 'ID_CHECKSUM' | 'ID_BIRTHDATE';
export type NameProblem = 'NAME_MISSING' | 'NAME_TOO_LONG' | 'NAME_INVALID';
export type Gender = 'M' | 'F';

export interface IdNumberFacts {
  idNumber: string;
  birthDate: string;
  gender: Gender;
}

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK_CHARS = '10X98765432';
const WHITE_SPACE = /[\s\u3000\u200b-\u200d\u2060\ufeff]+/gu;

export function normaliseIdNumber(raw: string): string {
  return raw.normalize('NFKC').replace(WHITE_SPACE, '').toUpperCase();
}

export function idCheckCharacter(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * (ID_WEIGHTS[i] ?? 0);
  return ID_CHECK_CHARS[sum % 11] ?? '';
}

/** Checks a normalised identity number; `today` (YYYY-MM-DD) bounds the birth date. */
export function examineIdNumber(idNumber: string, today: string): IdNumberFacts | IdNumberProblem {
  if (!/^\d{17}[\dX]$/.test(idNumber)) return 'ID_FORMAT';
  if (idCheckCharacter(idNumber.slice(0, 17)) !== idNumber[17]) return 'ID_CHECKSUM';
  const birthDate = `${idNumber.slice(6, 10)}-${idNumber.slice(10, 12)}-${idNumber.slice(12, 14)}`;
  if (!isRealDate(birthDate) || birthDate > today || birthDate < '1900-01-01') return 'ID_BIRTHDATE';
  const gender: Gender = Number(idNumber[16]) % 2 === 1 ? 'M' : 'F';
  return { idNumber, birthDate, gender };
}

const MIDDLE_DOT_LOOKALIKES = /[•・．‧･]/gu;
const ZERO_WIDTH = /[\u200b-\u200d\u2060\ufeff]/gu;
const NAME_CHARACTERS = /^[\p{L}\p{M}· ]+$/u;
export const NAME_MAX_CHARACTERS = 50;

export function normaliseName(raw: string): string {
  return raw
    .replace(MIDDLE_DOT_LOOKALIKES, '·')
    .normalize('NFKC')
    .replace(ZERO_WIDTH, '')
    .replace(/[\s\u3000]+/gu, ' ')
    .trim();
}

export function examineName(name: string): NameProblem | null {
  if (name.length === 0) return 'NAME_MISSING';
  if ([...name].length > NAME_MAX_CHARACTERS) return 'NAME_TOO_LONG';
  if (!NAME_CHARACTERS.test(name)) return 'NAME_INVALID';
  return null;
}

/** Returns the phone in its stored form (`13812345678` or `0757-22268868`), or null when it is not one. */
export function normalisePhone(raw: string): string | null {
  let digits = raw.normalize('NFKC').replace(/[\s\u3000-]+/gu, '');
  if (digits.startsWith('+86')) digits = digits.slice(3);
  if (/^1[3-9]\d{9}$/.test(digits)) return digits;
  if (/^0757\d{8}$/.test(digits)) return `0757-${digits.slice(4)}`;
  return null;
}

const GENDER_WORDS: Record<string, Gender> = { 男: 'M', 男性: 'M', 女: 'F', 女性: 'F', M: 'M', F: 'F' };

export function parseGender(raw: string): Gender | null {
  return GENDER_WORDS[raw.normalize('NFKC').trim().toUpperCase()] ?? null;
}

/** Accepts 1985-03-07, 1985/3/7 and 19850307; returns YYYY-MM-DD or null. */
export function parseLooseDate(raw: string): string | null {
  const text = raw.normalize('NFKC').trim();
  const compact = /^(\d{4})(\d{2})(\d{2})$/.exec(text);
  const separated = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$/.exec(text);
  const parts = compact ?? separated;
  if (!parts) return null;
  const date = `${parts[1]}-${parts[2]!.padStart(2, '0')}-${parts[3]!.padStart(2, '0')}`;
  return isRealDate(date) ? date : null;
}
