import type { RequestContext } from '../../platform/context';
import { recordAudit } from '../../platform/audit';
import type { Clock } from '../../platform/dates';
import { ageOn, localDate } from '../../platform/dates';

/** A guardian acts for a minor: an adult, and someone else. */
export const GUARDIAN_MIN_AGE = 18;
import { inTransaction, isDuplicateKey, type Conn, type Db } from '../../platform/db';
import { raise } from '../../platform/errors';
import { maskIdNumber, maskName, maskPhone } from '../../platform/masking';
import type { PiiVault } from '../../platform/pii';
import { validationFailed } from '../../platform/validation';
import { ResidentErrors } from './errors';
import { openResident, residentAuditView, sealResident, type ResidentData } from './model';
import { examineIdNumber, type Gender } from './personal-data';
import * as repo from './repository';
import type { ResidentRecord } from './repository';

export interface RegisterResidentInput {
  idNumber: string;
  name: string;
  gender?: Gender;
  birthDate?: string;
  ethnicity?: string;
  phone: string;
  address?: string;
  town: string;
  community?: string;
  guardian?: { name: string; idNumber: string; relation: string };
}

/** Cards and applications shown with a resident; supplied by those components. */
export interface ResidentLinks {
  cardsOf(conn: Conn, residentDbId: number): Promise<Array<{ cardNo: string; type: string; status: string }>>;
  applicationsOf(
    conn: Conn,
    residentDbId: number,
  ): Promise<Array<{ applicationNo: string; cardType: string; status: string }>>;
  isTown(conn: Conn, town: string): Promise<boolean>;
}

export interface ResidentView {
  id: string;
  idNumber: string;
  name: string;
  gender: Gender;
  birthDate: string;
  ethnicity: string | null;
  phone: string | null;
  address: string | null;
  town: string | null;
  community: string | null;
  guardian?: { name: string; idNumber: string; relation: string | null };
  cards: Array<{ cardNo: string; type: string; status: string }>;
  applications: Array<{ applicationNo: string; cardType: string; status: string }>;
}

/** Only the counter sees a resident in clear; every other reader gets masks. */
export type Disclosure = 'clear' | 'masked';

export function disclosureFor(ctx: RequestContext): Disclosure {
  return ctx.actor.kind === 'operator' && ctx.actor.role === 'counter' ? 'clear' : 'masked';
}

/** Facts derived from the identity number must agree with what was typed in. */
export function checkAgainstIdNumber(
  idNumber: string,
  gender: Gender | undefined,
  birthDate: string | undefined,
  today: string,
) {
  const facts = examineIdNumber(idNumber, today);
  if (typeof facts === 'string') throw validationFailed([{ field: 'idNumber', code: facts, message: facts }]);
  if (birthDate !== undefined && birthDate !== facts.birthDate) raise(ResidentErrors.BIRTHDATE_MISMATCH);
  if (gender !== undefined && gender !== facts.gender) raise(ResidentErrors.GENDER_MISMATCH);
  return facts;
}

export class ResidentsService {
  constructor(
    private readonly db: Db,
    private readonly vault: PiiVault,
    private readonly clock: Clock,
    private readonly links: ResidentLinks,
  ) {}

  /** Registers a resident, or updates the contact data of a known one: `created` tells which. */
  async register(
    input: RegisterResidentInput,
    ctx: RequestContext,
  ): Promise<{ created: boolean; resident: ResidentView }> {
    const now = this.clock.now();
    const facts = checkAgainstIdNumber(input.idNumber, input.gender, input.birthDate, localDate(now));
    if (input.guardian) {
      const guardian = examineIdNumber(input.guardian.idNumber, localDate(now));
      if (
        typeof guardian !== 'string' &&
        (guardian.idNumber === facts.idNumber || ageOn(guardian.birthDate, localDate(now)) < GUARDIAN_MIN_AGE)
      ) {
        throw validationFailed([
          {
            field: 'guardian.idNumber',
            code: 'INVALID',
            message: `监护人须是年满${GUARDIAN_MIN_AGE}周岁的另一人`,
          },
        ]);
      }
    }
    if (!(await this.links.isTown(this.db, input.town))) {
      throw validationFailed([{ field: 'town', code: 'INVALID', message: '镇街不在顺德区范围内' }]);
    }
    const data: ResidentData = {
      idNumber: facts.idNumber,
      name: input.name,
      gender: facts.gender,
      birthDate: facts.birthDate,
      ethnicity: input.ethnicity ?? null,
      phone: input.phone,
      address: input.address ?? null,
      town: input.town,
      community: input.community ?? null,
      guardian: input.guardian ? { ...input.guardian } : null,
    };
    const attempt = () =>
      inTransaction(this.db, async (trx) => {
        const existing = await repo.findByIdNumberHash(trx, this.vault.lookupHash(data.idNumber), {
          forUpdate: true,
        });
        if (!existing) {
          const write = sealResident(data, this.vault);
          const dbId = await repo.insertResident(trx, write, now);
          await recordAudit(
            trx,
            ctx,
            {
              action: 'resident.registered',
              entityType: 'resident',
              entityId: write.id,
              after: residentAuditView(write),
            },
            now,
          );
          return { created: true, dbId };
        }
        if (existing.name !== data.name)
          raise(ResidentErrors.RESIDENT_CONFLICT, `该身份号码已登记的姓名为 ${maskName(existing.name)}`);
        const current = openResident(existing, this.vault);
        const merged: ResidentData = {
          ...current,
          ethnicity: data.ethnicity ?? current.ethnicity,
          phone: data.phone,
          address: data.address ?? current.address,
          town: data.town,
          community: data.community ?? current.community,
          guardian: data.guardian ?? current.guardian,
        };
        if (JSON.stringify(merged) !== JSON.stringify(current)) {
          const write = sealResident(merged, this.vault, existing.id);
          await repo.updateResident(trx, existing.dbId, write, now);
          await recordAudit(
            trx,
            ctx,
            {
              action: 'resident.updated',
              entityType: 'resident',
              entityId: existing.id,
              before: residentAuditView(existing),
              after: residentAuditView(write),
            },
            now,
          );
        }
        return { created: false, dbId: existing.dbId };
      });
    let outcome: { created: boolean; dbId: number };
    try {
      outcome = await attempt();
    } catch (err) {
      // two counters registering the same person at once: the loser finds the winner's row
      if (!isDuplicateKey(err, 'residents_id_number_hash')) throw err;
      outcome = await attempt();
    }
    const record = await repo.findByDbId(this.db, outcome.dbId);
    return { created: outcome.created, resident: await this.view(this.db, record!, disclosureFor(ctx)) };
  }

  async lookup(idNumber: string, ctx: RequestContext): Promise<ResidentView> {
    const record = await repo.findByIdNumberHash(this.db, this.vault.lookupHash(idNumber));
    if (!record) raise(ResidentErrors.RESIDENT_NOT_FOUND);
    return this.view(this.db, record, disclosureFor(ctx));
  }

  async get(publicId: string, ctx: RequestContext): Promise<ResidentView> {
    const record = await repo.findByPublicId(this.db, publicId);
    if (!record) raise(ResidentErrors.RESIDENT_NOT_FOUND);
    return this.view(this.db, record, disclosureFor(ctx));
  }

  private async view(conn: Conn, r: ResidentRecord, disclosure: Disclosure): Promise<ResidentView> {
    const [cards, applications] = await Promise.all([
      this.links.cardsOf(conn, r.dbId),
      this.links.applicationsOf(conn, r.dbId),
    ]);
    const data = openResident(r, this.vault);
    const clear = disclosure === 'clear';
    return {
      id: r.id,
      idNumber: clear ? data.idNumber : r.idNumberMasked,
      name: clear ? data.name : maskName(data.name),
      gender: r.gender,
      birthDate: r.birthDate,
      ethnicity: r.ethnicity,
      phone: clear ? data.phone : data.phone && maskPhone(data.phone),
      address: clear ? r.address : null,
      town: r.town,
      community: r.community,
      ...(data.guardian
        ? {
            guardian: {
              name: clear ? data.guardian.name : maskName(data.guardian.name),
              idNumber: clear ? data.guardian.idNumber : maskIdNumber(data.guardian.idNumber),
              relation: data.guardian.relation,
            },
          }
        : {}),
      cards,
      applications,
    };
  }
}
