import { auditStatement } from '../../platform/audit';
import type { RequestContext } from '../../platform/context';
import { inOneRoundTrip, type Conn, type Statement, type Trx } from '../../platform/db';
import { CommonErrors, raise } from '../../platform/errors';
import { functionsRepository, type FunctionDef } from '../functions';
import { appendHotlist } from './hotlist';
import * as repo from './repository';
import type { CardRecord, CardStatus } from './repository';

/** Which statuses a card may move to from each status (domain.md, "Cards"). */
const TRANSITIONS: Record<CardStatus, readonly CardStatus[]> = {
  produced: ['active', 'cancelled', 'sealed'],
  active: ['temp_lost', 'lost', 'replaced', 'cancelled'],
  temp_lost: ['active', 'lost', 'cancelled'],
  lost: ['cancelled'],
  replaced: ['cancelled'],
  cancelled: [],
  sealed: ['cancelled'],
};

export const isUsable = (status: CardStatus): boolean => status === 'active';

export interface Transition {
  /** The audit action, e.g. card.reported_temporary */
  action: string;
  /** The hotlist's reason when usability changes, e.g. temp_lost */
  reason: string;
  extra?: Record<string, unknown>;
}

/** Whether a move suspends the card's functions, for which the function catalogue is needed. */
const suspendsFunctions = (from: CardStatus, to: CardStatus) =>
  to === 'temp_lost' || (to === 'lost' && from === 'active');

/**
 * The one way a card's status changes: checks the move is allowed, suspends or resumes functions,
 * appends to the hotlist when usability changes, and records the audit event — all in the caller's
 * transaction, with the card row already locked by the caller. The writes are built on `conn` and
 * handed back unsent, so a caller can send them with its own in one round trip; transitionCard sends
 * them at once. `catalogue` is the function catalogue, needed when the move suspends functions.
 */
export function cardChange(
  conn: Conn,
  catalogue: readonly FunctionDef[],
  ctx: RequestContext,
  card: CardRecord,
  to: CardStatus,
  at: Date,
  t: Transition,
): { card: CardRecord; writes: Array<Statement | undefined> } {
  if (!TRANSITIONS[card.status].includes(to))
    raise(CommonErrors.INVALID_STATE, `卡片状态为 ${card.status}，不能变为 ${to}`);
  const writes: Array<Statement | undefined> = [
    repo.updateCard(
      conn,
      card.dbId,
      { status: to, ...(to === 'active' && card.status === 'produced' ? { collectedAt: at } : {}) },
      at,
    ),
  ];
  if (suspendsFunctions(card.status, to)) {
    writes.push(
      repo.suspendFunctions(
        conn,
        card.dbId,
        catalogue.filter((f) => f.cardTypes.includes(card.type)).map((f) => f.code),
        at,
      ),
    );
  }
  if (to === 'active' && card.status === 'temp_lost') writes.push(repo.resumeFunctions(conn, card.dbId, at));
  writes.push(
    auditStatement(
      conn,
      ctx,
      {
        action: t.action,
        entityType: 'card',
        entityId: card.cardNo,
        before: { status: card.status },
        after: { status: to, ...t.extra },
      },
      at,
    ),
  );
  if (isUsable(card.status) !== isUsable(to)) {
    writes.push(
      appendHotlist(conn, {
        cardDbId: card.dbId,
        cardNo: card.cardNo,
        usable: isUsable(to),
        reason: t.reason,
        at,
      }),
    );
  }
  return { card: { ...card, status: to }, writes };
}

/**
 * A card's change of status (see cardChange), written at once in the caller's transaction. Which
 * functions a card type allows is fixed reference data: the cached catalogue will do.
 */
export async function transitionCard(
  trx: Trx,
  ctx: RequestContext,
  card: CardRecord,
  to: CardStatus,
  at: Date,
  t: Transition,
): Promise<CardRecord> {
  const catalogue = suspendsFunctions(card.status, to) ? await functionsRepository.cachedCatalogue(trx) : [];
  const change = cardChange(trx, catalogue, ctx, card, to, at, t);
  await inOneRoundTrip(trx, change.writes);
  return change.card;
}

/**
 * Hands a produced card to its holder. A replacement or exchange card takes over from the card it
 * replaces: an exchanged card becomes `replaced` (first, so the one-live-card key is never broken) and
 * the functions the holder had move across. A card it replaces that stands temporarily reported is the
 * caller's to settle first (its report belongs to the loss reports); left so, the one-live-card key
 * refuses the hand-over.
 */
export async function handOverCard(
  trx: Trx,
  ctx: RequestContext,
  card: CardRecord,
  at: Date,
  extra: Record<string, unknown>,
): Promise<CardRecord> {
  if (card.status !== 'produced') raise(CommonErrors.INVALID_STATE, '卡片状态异常，请联系管理员');
  let carried: string[] = [];
  if (card.replacesCardDbId !== null) {
    const old = await repo.findByDbId(trx, card.replacesCardDbId, { forUpdate: true });
    if (old) {
      carried = await repo.wantedFunctionsOf(trx, old.dbId);
      if (old.status === 'active') {
        // an exchange (or a replacement whose old card was still in hand) retires the old card now
        await transitionCard(trx, ctx, old, 'replaced', at, {
          action: 'card.replaced',
          reason: 'replaced',
          extra: { replacedBy: card.cardNo },
        });
      }
    }
  }
  const active = await transitionCard(trx, ctx, card, 'active', at, {
    action: 'card.collected',
    reason: 'collected',
    extra: { ...extra, carriedFunctions: carried },
  });
  if (carried.length) {
    const allowed = new Set(
      (await functionsRepository.catalogue(trx))
        .filter((f) => f.cardTypes.includes(card.type))
        .map((f) => f.code),
    );
    for (const code of carried.filter((c) => allowed.has(c)))
      await repo.setFunctionStatus(trx, card.dbId, code, 'active', at);
  }
  return active;
}
