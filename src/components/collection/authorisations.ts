import { randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import { recordAudit } from '../../platform/audit';
import type { RequestContext } from '../../platform/context';
import { localDate, type Clock } from '../../platform/dates';
import { inSavepoint, inTransaction, isDuplicateKey, type Db } from '../../platform/db';
import { CommonErrors, raise } from '../../platform/errors';
import { appError } from '../../platform/http';
import { randomDigits, withLuhn } from '../../platform/numbers';
import type { PiiVault } from '../../platform/pii';
import type { RateLimiter } from '../../platform/rate-limit';
import { validationFailed } from '../../platform/validation';
import { referenceRepository } from '../reference';
import { CollectionErrors } from './errors';
import * as repo from './repository';
import type { AuthorisationRecord, TeamRecord } from './repository';

export type LetterStatus = 'active' | 'revoked' | 'expired' | 'not_yet_valid';

/** Where a letter stands on a given Shunde day. */
export function letterStatus(letter: AuthorisationRecord, today: string): LetterStatus {
  if (letter.revokedAt) return 'revoked';
  if (today < letter.validFrom) return 'not_yet_valid';
  if (today > letter.validUntil) return 'expired';
  return 'active';
}

const ALL = 'ALL';
/** No 0/O, 1/I/L: the code is read off paper and typed on a phone. */
const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
const CODE_LENGTH = 6;

function newVerifyCode(): string {
  let code = '';
  for (let i = 0; i < CODE_LENGTH; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return code;
}

/** `SQ` and ten digits, the last a Luhn check, so a mistyped number is caught before any look-up. */
function newAuthorisationNo(): string {
  return `SQ${withLuhn(randomDigits(9, true))}`;
}

export interface TeamView {
  id: string;
  name: string;
  town: string;
}

export interface LetterInput {
  area: string[] | typeof ALL;
  validFrom: string;
  validUntil: string;
}

export interface LetterView {
  authorisationNo: string;
  teamId: string;
  area: string[] | typeof ALL;
  validFrom: string;
  validUntil: string;
  status: LetterStatus;
  revokedAt?: string;
}

export interface PublicLetterView {
  authorisationNo: string;
  team: string;
  members: string[];
  area: string[] | typeof ALL;
  validFrom: string;
  validUntil: string;
  valid: boolean;
  status: LetterStatus;
}

const teamView = (t: TeamRecord): TeamView => ({ id: t.id, name: t.name, town: t.town });

function letterView(l: AuthorisationRecord, today: string): LetterView {
  return {
    authorisationNo: l.authorisationNo,
    teamId: l.teamId,
    area: l.towns ?? ALL,
    validFrom: l.validFrom,
    validUntil: l.validUntil,
    status: letterStatus(l, today),
    ...(l.revokedAt ? { revokedAt: l.revokedAt.toISOString() } : {}),
  };
}

/** Collection teams and their authorisation letters (授权书), and the public check residents use. */
export class AuthorisationsService {
  constructor(
    private readonly db: Db,
    private readonly vault: PiiVault,
    private readonly clock: Clock,
    private readonly publicLimiter: RateLimiter,
  ) {}

  async createTeam(input: { name: string; town: string }, ctx: RequestContext): Promise<TeamView> {
    const at = this.clock.now();
    const team: TeamRecord = { dbId: 0, id: randomUUID(), name: input.name, town: input.town };
    await inTransaction(this.db, async (trx) => {
      if (!(await referenceRepository.isTown(trx, input.town))) {
        throw validationFailed([{ field: 'town', code: 'INVALID', message: '镇街不在顺德区范围内' }]);
      }
      await repo.insertTeam(trx, { ...team, at });
      await recordAudit(
        trx,
        ctx,
        {
          action: 'collection_team.created',
          entityType: 'collection_team',
          entityId: team.id,
          after: teamView(team),
        },
        at,
      );
    });
    return teamView(team);
  }

  /** Issues a letter; the verification code is shown this once and kept only as a keyed hash. */
  async issue(
    teamId: string,
    input: LetterInput,
    ctx: RequestContext,
  ): Promise<LetterView & { verifyCode: string }> {
    if (input.validUntil < input.validFrom) {
      throw validationFailed([
        { field: 'validUntil', code: 'INVALID', message: '有效期结束日期不能早于开始日期' },
      ]);
    }
    const at = this.clock.now();
    const towns = input.area === ALL ? null : [...new Set(input.area)].sort();
    const verifyCode = newVerifyCode();
    const authorisationNo = await inTransaction(this.db, async (trx) => {
      const team = await repo.findTeam(trx, teamId);
      if (!team) raise(CollectionErrors.TEAM_NOT_FOUND);
      if (towns) {
        const known = await referenceRepository.defaultCentresByTown(trx);
        const unknown = towns.filter((t) => !known.has(t));
        if (unknown.length) {
          throw validationFailed([
            { field: 'area', code: 'INVALID', message: `不在顺德区范围内的镇街：${unknown.join('、')}` },
          ]);
        }
      }
      for (let attempt = 1; ; attempt++) {
        const no = newAuthorisationNo();
        try {
          await inSavepoint(trx, (sp) =>
            repo.insertAuthorisation(sp, {
              authorisationNo: no,
              verifyCodeHash: this.codeHash(no, verifyCode),
              teamDbId: team.dbId,
              towns,
              validFrom: input.validFrom,
              validUntil: input.validUntil,
              createdBy: ctx.actor.id,
              at,
            }),
          );
          await recordAudit(
            trx,
            ctx,
            {
              action: 'authorisation.issued',
              entityType: 'authorisation',
              entityId: no,
              after: { teamId, area: towns ?? ALL, validFrom: input.validFrom, validUntil: input.validUntil },
            },
            at,
          );
          return no;
        } catch (err) {
          if (attempt >= 5 || !isDuplicateKey(err, 'collection_authorisations_no')) throw err;
        }
      }
    });
    const letter = await repo.findAuthorisation(this.db, { authorisationNo });
    return { ...letterView(letter!, localDate(at)), verifyCode };
  }

  /** Revoking twice is harmless: the letter stays revoked from the first time. */
  async revoke(authorisationNo: string, ctx: RequestContext): Promise<LetterView> {
    const at = this.clock.now();
    return inTransaction(this.db, async (trx) => {
      const letter = await repo.findAuthorisation(trx, { authorisationNo }, { forUpdate: true });
      if (!letter) raise(CollectionErrors.AUTHORISATION_NOT_FOUND);
      if (letter.revokedAt) return letterView(letter, localDate(at));
      await repo.revokeAuthorisation(trx, letter.dbId, ctx.actor.id, at);
      const before = letterStatus(letter, localDate(at));
      await recordAudit(
        trx,
        ctx,
        {
          action: 'authorisation.revoked',
          entityType: 'authorisation',
          entityId: authorisationNo,
          before: { status: before },
          after: { status: 'revoked' },
        },
        at,
      );
      return letterView({ ...letter, revokedAt: at }, localDate(at));
    });
  }

  /**
   * The check anyone can make at the door: number and code give the team, its collectors' names, the
   * area and the validity. Rate-limited per client address, as the codes are short.
   */
  async publicCheck(authorisationNo: string, code: string, client: string): Promise<PublicLetterView> {
    const decision = await this.publicLimiter.hit(client);
    if (!decision.allowed) {
      throw appError(CommonErrors.RATE_LIMITED, `请在${decision.retryAfterSeconds}秒后再试`, {
        'Retry-After': String(decision.retryAfterSeconds),
      });
    }
    const letter = await repo.findAuthorisation(this.db, { authorisationNo });
    const given = this.codeHash(authorisationNo, code.trim().toUpperCase());
    if (!letter || !timingSafeEqual(letter.verifyCodeHash, given))
      raise(CollectionErrors.AUTHORISATION_NOT_FOUND);
    const status = letterStatus(letter, localDate(this.clock.now()));
    return {
      authorisationNo: letter.authorisationNo,
      team: letter.teamName,
      members: await repo.memberNames(this.db, letter.teamDbId),
      area: letter.towns ?? ALL,
      validFrom: letter.validFrom,
      validUntil: letter.validUntil,
      valid: status === 'active',
      status,
    };
  }

  private codeHash(authorisationNo: string, code: string): Buffer {
    return this.vault.lookupHash(`authorisation:${authorisationNo}:${code}`);
  }
}
