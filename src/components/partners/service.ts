import { randomUUID } from 'node:crypto';
import { recordAudit } from '../../platform/audit';
import { systemContext, type PartnerActor, type RequestContext } from '../../platform/context';
import type { Clock } from '../../platform/dates';
import { inTransaction, type Db } from '../../platform/db';
import { CommonErrors, raise } from '../../platform/errors';
import { decodeCursor, encodeCursor, type Page } from '../../platform/pagination';
import { newSecret, secretHash } from '../../platform/tokens';
import { CardErrors, cardsRepository, hotlistAfter, isUsable } from '../cards';
import { PartnerErrors } from './errors';
import * as repo from './repository';

export const SCOPES = ['card.read', 'hotlist.read'] as const;
export type Scope = (typeof SCOPES)[number];

export interface AccessLogItem {
  at: string;
  partnerId: string;
  partnerName: string;
  department: string;
  endpoint: string;
  cardNo: string | null;
  status: number;
  requestId: string | null;
}

const logItem = (r: repo.AccessLogRow): AccessLogItem => ({
  at: r.at.toISOString(),
  partnerId: r.partner_public_id,
  partnerName: r.name,
  department: r.department,
  endpoint: r.endpoint,
  cardNo: r.card_no,
  status: r.status,
  requestId: r.request_id,
});

export class PartnersService {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /** Registers a partner's application; the key is returned this once and kept only as a hash. */
  async create(
    input: { name: string; department: string; scopes: Scope[] },
    ctx: RequestContext,
  ): Promise<{ partnerId: string; key: string }> {
    const key = newSecret('pk');
    const partnerId = randomUUID();
    const at = this.clock.now();
    const scopes = [...new Set(input.scopes)];
    await inTransaction(this.db, async (trx) => {
      await repo.insertPartner(trx, {
        publicId: partnerId,
        name: input.name,
        department: input.department,
        scopes,
        keyHash: secretHash(key),
        at,
      });
      await recordAudit(
        trx,
        ctx,
        {
          action: 'partner.created',
          entityType: 'partner',
          entityId: partnerId,
          after: { name: input.name, department: input.department, scopes },
        },
        at,
      );
    });
    return { partnerId, key };
  }

  async revoke(partnerId: string, ctx: RequestContext): Promise<{ partnerId: string; status: 'revoked' }> {
    const at = this.clock.now();
    await inTransaction(this.db, async (trx) => {
      const partner = await repo.findPartner(trx, partnerId, { forUpdate: true });
      if (!partner) raise(PartnerErrors.PARTNER_NOT_FOUND);
      if (partner.status === 'revoked') return;
      await repo.revokePartner(trx, partner.dbId, at);
      await recordAudit(
        trx,
        ctx,
        {
          action: 'partner.revoked',
          entityType: 'partner',
          entityId: partnerId,
          before: { status: 'active' },
          after: { status: 'revoked' },
        },
        at,
      );
    });
    return { partnerId, status: 'revoked' };
  }

  /** A new key; the old one stops working the moment this commits. */
  async rotate(partnerId: string, ctx: RequestContext): Promise<{ key: string }> {
    const key = newSecret('pk');
    const at = this.clock.now();
    await inTransaction(this.db, async (trx) => {
      const partner = await repo.findPartner(trx, partnerId, { forUpdate: true });
      if (!partner) raise(PartnerErrors.PARTNER_NOT_FOUND);
      if (partner.status !== 'active') raise(CommonErrors.INVALID_STATE, '该合作单位已停用，不能更换密钥');
      await repo.replaceKey(trx, partner.dbId, secretHash(key));
      await recordAudit(
        trx,
        ctx,
        { action: 'partner.key_rotated', entityType: 'partner', entityId: partnerId },
        at,
      );
    });
    return { key };
  }

  async partnerByKey(key: string): Promise<PartnerActor | undefined> {
    return repo.activePartnerByKeyHash(this.db, secretHash(key));
  }

  /** Written for every partner call, refused and not-found ones included. */
  async recordCall(
    actor: PartnerActor,
    call: { endpoint: string; cardNo: string | null; status: number; requestId: string | null },
  ): Promise<void> {
    await repo.insertAccessLog(this.db, { partnerPublicId: actor.id, ...call, at: this.clock.now() });
  }

  /** What a partner may know of a card: usable or not, and which functions are on. Nothing personal. */
  async cardStatus(cardNo: string): Promise<{ cardNo: string; usable: boolean; functions: string[] }> {
    const card = await cardsRepository.findByCardNo(this.db, cardNo);
    if (!card) raise(CardErrors.CARD_NOT_FOUND);
    const functions = isUsable(card.status)
      ? (await cardsRepository.functionsOfCard(this.db, card.dbId))
          .filter((f) => f.status === 'active')
          .map((f) => f.code)
      : [];
    return { cardNo: card.cardNo, usable: isUsable(card.status), functions };
  }

  async hotlist(
    after: string,
    limit: number,
  ): Promise<{
    items: Array<{ seq: string; cardNo: string; usable: boolean; at: string }>;
    nextCursor: string;
  }> {
    const entries = await hotlistAfter(this.db, after, limit);
    const last = entries[entries.length - 1];
    return {
      items: entries.map((e) => ({ seq: e.seq, cardNo: e.cardNo, usable: e.usable, at: e.at.toISOString() })),
      nextCursor: last ? last.seq : after,
    };
  }

  /** The holder's view: who read this card. */
  async cardAccessLog(
    cardNo: string,
    page: { cursor?: string; limit: number },
  ): Promise<Page<AccessLogItem>> {
    if (!(await cardsRepository.findByCardNo(this.db, cardNo))) raise(CardErrors.CARD_NOT_FOUND);
    return this.accessLogs({ ...page, cardNo });
  }

  async accessLogs(f: {
    partnerId?: string;
    cardNo?: string;
    from?: Date;
    to?: Date;
    cursor?: string;
    limit: number;
  }): Promise<Page<AccessLogItem>> {
    const rows = await repo.listAccessLogs(this.db, {
      ...f,
      afterId: f.cursor ? decodeCursor(f.cursor) : undefined,
      limit: f.limit + 1,
    });
    const page = rows.slice(0, f.limit);
    const last = page[page.length - 1];
    return {
      items: page.map(logItem),
      nextCursor: rows.length > f.limit && last ? encodeCursor(Number(last.id)) : null,
    };
  }
}

/** CLI: partners created and revoked by operators at the shell. */
export async function createPartnerFromCli(
  db: Db,
  clock: Clock,
  input: { name: string; department: string; scopes: string[] },
) {
  const bad = input.scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (bad.length || input.scopes.length === 0) throw new Error(`Scopes must be some of ${SCOPES.join(', ')}`);
  if (!input.name.trim() || !input.department.trim())
    throw new Error('A partner needs --name and --department');
  return new PartnersService(db, clock).create(
    { name: input.name.trim(), department: input.department.trim(), scopes: input.scopes as Scope[] },
    systemContext('cli'),
  );
}
