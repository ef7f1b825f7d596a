import { randomUUID } from 'node:crypto';
import type { Config } from '../../config';
import { channelOf, type RequestContext } from '../../platform/context';
import { ageOn, localDate, type Clock } from '../../platform/dates';
import {
  inOneRoundTrip,
  inTransaction,
  inTwoRoundTrips,
  type Conn,
  type Db,
  type Decision,
  type Read,
  type Statement,
  type Trx,
} from '../../platform/db';
import { CommonErrors, raise } from '../../platform/errors';
import type { Logger } from '../../platform/logger';
import type { PiiVault } from '../../platform/pii';
import type { Queues } from '../../platform/queue';
import {
  CardErrors,
  cardChange,
  cardsRepository,
  cardViewByNo,
  toCardView,
  transitionCard,
  type CardRecord,
  type CardView,
} from '../cards';
import { functionsRepository, type FunctionDef } from '../functions';
import { withdrawUncollected } from '../applications';
import { GUARDIAN_BELOW_AGE, residentsRepository, type ResidentRecord } from '../residents';
import { LossReportErrors } from './errors';
import { lapseTemporaryReport } from './jobs';
import * as repo from './repository';
import type { LossReport, ReportKind } from './repository';

export interface Verification {
  name?: string;
  idNumber: string;
  phone?: string;
}

export interface ReportResult {
  reportId: string;
  kind: ReportKind;
  expiresAt?: string;
  card: { cardNo: string; status: string };
}

/**
 * The person on the line or at the counter must be the holder (identity number, and name or phone) or,
 * for a holder under 16, the guardian on file, who acts for them (domain.md, "Residents").
 */
export function verifyHolder(
  vault: PiiVault,
  holder: ResidentRecord | undefined,
  v: Verification,
  today: string,
): void {
  if (!holder) raise(LossReportErrors.IDENTITY_MISMATCH);
  const given = vault.lookupHash(v.idNumber);
  const isHolder = given.equals(holder.idNumberHash) && (v.name === undefined || v.name === holder.name);
  const isGuardian =
    ageOn(holder.birthDate, today) < GUARDIAN_BELOW_AGE &&
    holder.guardianIdHash !== null &&
    given.equals(holder.guardianIdHash) &&
    (v.name === undefined || v.name === holder.guardianName);
  const phoneMatches =
    v.phone === undefined || (holder.phoneSealed !== null && vault.open(holder.phoneSealed) === v.phone);
  if (!(isHolder || isGuardian) || !phoneMatches) raise(LossReportErrors.IDENTITY_MISMATCH);
}

export async function lockCard(trx: Trx, cardNo: string): Promise<CardRecord> {
  const card = await cardsRepository.findByCardNo(trx, cardNo, { forUpdate: true });
  if (!card) raise(CardErrors.CARD_NOT_FOUND);
  return card;
}

/**
 * A named card locked for a loss report or a lift, with its holder and its open temporary report, read
 * together: the call centre's busiest hour is a stream of these.
 */
function namedCardReads(
  db: Db,
  cardNo: string,
): [Read<CardRecord | undefined>, Read<ResidentRecord | undefined>, Read<LossReport | undefined>] {
  return [
    cardsRepository.cardByNo(db, cardNo, { forUpdate: true }),
    residentsRepository.residentByDbId(db, cardsRepository.holderIdOfCardNo(db, cardNo)),
    repo.openTemporaryReport(db, cardsRepository.idOfCardNo(db, cardNo), { forUpdate: true }),
  ];
}

function namedCard(card: CardRecord | undefined): CardRecord {
  if (!card) raise(CardErrors.CARD_NOT_FOUND);
  if (card.type === 'C_ANON' || card.residentDbId === null)
    raise(LossReportErrors.ANONYMOUS_CARD_NOT_REPORTABLE);
  return card;
}

export class LossReportsService {
  constructor(
    private readonly db: Db,
    private readonly vault: PiiVault,
    private readonly clock: Clock,
    private readonly queues: Queues,
    private readonly config: Config,
    private readonly logger: Logger,
  ) {}

  /** 临时挂失 (call centre or counter) and 正式挂失 (counter only). */
  async report(
    cardNo: string,
    input: { kind: ReportKind; verification: Verification },
    ctx: RequestContext,
  ): Promise<ReportResult> {
    if (input.kind === 'formal' && ctx.actor.kind === 'operator' && ctx.actor.role !== 'counter')
      raise(CommonErrors.FORBIDDEN, '正式挂失须到服务中心柜台办理');
    const now = this.clock.now();
    // read before the card is locked: nothing may be waited for while its row is held
    const catalogue = await functionsRepository.cachedCatalogue(this.db);
    const result = await inTwoRoundTrips(
      this.db,
      () => namedCardReads(this.db, cardNo),
      ([found, holder, openReport]): Decision<ReportResult> => {
        const card = namedCard(found);
        verifyHolder(this.vault, holder, input.verification, localDate(now));
        return input.kind === 'temporary'
          ? this.temporaryReport(catalogue, card, ctx, now)
          : formalReport(this.db, catalogue, ctx, card, now, openReport);
      },
    );
    if (result.kind === 'temporary' && result.expiresAt) {
      // after commit: the delayed job lifts the report when its time is up; the sweeper is the safety net
      const delay = Math.max(0, Date.parse(result.expiresAt) - now.getTime());
      await this.queues
        .enqueue(lapseTemporaryReport, { reportId: result.reportId }, { delay })
        .catch((err: Error) => {
          this.logger.warn(
            { err: { message: err.message }, reportId: result.reportId },
            'lapse job not queued; the sweeper will lift it',
          );
        });
    }
    return result;
  }

  private temporaryReport(
    catalogue: readonly FunctionDef[],
    card: CardRecord,
    ctx: RequestContext,
    now: Date,
  ): Decision<ReportResult> {
    if (card.status === 'temp_lost' || card.status === 'lost') raise(LossReportErrors.ALREADY_REPORTED);
    if (card.status !== 'active') raise(CommonErrors.INVALID_STATE, `卡片状态为 ${card.status}，不能挂失`);
    const reportId = randomUUID();
    const expiresAt = new Date(now.getTime() + this.config.tempLossTtlSeconds * 1000);
    const change = cardChange(this.db, catalogue, ctx, card, 'temp_lost', now, {
      action: 'card.reported_temporary',
      reason: 'temp_lost',
      extra: { reportId, expiresAt: expiresAt.toISOString() },
    });
    return {
      writes: [
        repo.insertReport(this.db, {
          reportId,
          cardDbId: card.dbId,
          kind: 'temporary',
          status: 'open',
          channel: channelOf(ctx.actor),
          reportedBy: ctx.actor.id,
          at: now,
          expiresAt,
        }),
        ...change.writes,
      ],
      value: {
        reportId,
        kind: 'temporary',
        expiresAt: expiresAt.toISOString(),
        card: { cardNo: card.cardNo, status: change.card.status },
      },
    };
  }

  async cancel(cardNo: string, reason: CancelReason, ctx: RequestContext): Promise<CardView> {
    return cancelCard(this.db, this.vault, this.clock, cardNo, reason, ctx);
  }

  /** 解挂: counter only, temporary reports only, the holder's identity checked. */
  async lift(cardNo: string, verification: Verification, ctx: RequestContext): Promise<CardView> {
    const now = this.clock.now();
    const catalogue = await functionsRepository.cachedCatalogue(this.db);
    const record = await inTwoRoundTrips(
      this.db,
      () => namedCardReads(this.db, cardNo),
      ([found, holder, openReport]) => {
        const card = namedCard(found);
        verifyHolder(this.vault, holder, verification, localDate(now));
        if (card.status === 'lost') raise(LossReportErrors.LOSS_REPORT_FORMAL);
        if (card.status !== 'temp_lost' || !openReport) raise(LossReportErrors.NOT_REPORTED);
        const change = cardChange(this.db, catalogue, ctx, card, 'active', now, {
          action: 'card.loss_lifted',
          reason: 'lifted',
          extra: { reportId: openReport.reportId },
        });
        return {
          writes: [repo.closeReport(this.db, openReport.dbId, 'lifted', ctx.actor.id, now), ...change.writes],
          // the counter's screen shows the card as it now is, read in the same round trip as the writes
          readBack: cardsRepository.cardViewRecord(this.db, cardNo),
        };
      },
    );
    return toCardView(record!, catalogue);
  }
}

export type CancelReason = 'death' | 'emigration' | 'duplicate' | 'holder_request';

/** 注销: the card ends for good (anonymous cards too); an open temporary report closes with it. */
export async function cancelCard(
  db: Db,
  vault: PiiVault,
  clock: Clock,
  cardNo: string,
  reason: CancelReason,
  ctx: RequestContext,
): Promise<CardView> {
  const now = clock.now();
  await inTransaction(db, async (trx) => {
    const card = await lockCard(trx, cardNo);
    const open = await repo.openTemporaryReportOf(trx, card.dbId, { forUpdate: true });
    if (open) await repo.closeReport(trx, open.dbId, 'closed', ctx.actor.id, now);
    if (card.status === 'produced' && card.applicationDbId !== null) {
      await withdrawUncollected(trx, ctx, card.applicationDbId, card.cardNo, now);
    }
    await transitionCard(trx, ctx, card, 'cancelled', now, {
      action: 'card.cancelled',
      reason: 'cancelled',
      extra: { reason },
    });
  });
  // read after the commit, for the same reason as after a lift
  return (await cardViewByNo(db, cardNo))!;
}

/** Files a formal report in the caller's transaction (also the first step of a replacement). */
export async function fileFormalReport(
  trx: Trx,
  ctx: RequestContext,
  card: CardRecord,
  now: Date,
): Promise<string> {
  const open = await repo.openTemporaryReportOf(trx, card.dbId, { forUpdate: true });
  return fileFormalReportOver(trx, ctx, card, now, open);
}

/** The same, for a caller that has read (and locked) the card's open temporary report itself. */
async function fileFormalReportOver(
  trx: Trx,
  ctx: RequestContext,
  card: CardRecord,
  now: Date,
  open: LossReport | undefined,
): Promise<string> {
  const catalogue = await functionsRepository.cachedCatalogue(trx);
  const decision = formalReport(trx, catalogue, ctx, card, now, open);
  await inOneRoundTrip(trx, decision.writes);
  return decision.value.reportId;
}

/** 正式挂失 of a card whose row (and open temporary report) the caller has locked: its writes, unsent. */
function formalReport(
  conn: Conn,
  catalogue: readonly FunctionDef[],
  ctx: RequestContext,
  card: CardRecord,
  now: Date,
  open: LossReport | undefined,
): { writes: Array<Statement | undefined>; value: ReportResult } {
  if (card.status === 'lost') raise(LossReportErrors.ALREADY_REPORTED);
  if (card.status !== 'active' && card.status !== 'temp_lost')
    raise(CommonErrors.INVALID_STATE, `卡片状态为 ${card.status}，不能挂失`);
  const reportId = randomUUID();
  const change = cardChange(conn, catalogue, ctx, card, 'lost', now, {
    action: 'card.reported_formal',
    reason: 'lost',
    extra: { reportId },
  });
  return {
    writes: [
      open && repo.closeReport(conn, open.dbId, 'superseded', ctx.actor.id, now),
      repo.insertReport(conn, {
        reportId,
        cardDbId: card.dbId,
        kind: 'formal',
        status: 'final',
        channel: channelOf(ctx.actor),
        reportedBy: ctx.actor.id,
        at: now,
        expiresAt: null,
      }),
      ...change.writes,
    ],
    value: { reportId, kind: 'formal', card: { cardNo: card.cardNo, status: 'lost' } },
  };
}
