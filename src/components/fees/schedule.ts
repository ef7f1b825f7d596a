import { recordAudit } from '../../platform/audit';
import type { RequestContext } from '../../platform/context';
import { localDate, type Clock } from '../../platform/dates';
import { inTransaction, type Db } from '../../platform/db';
import * as repo from './repository';
import type { FeeItem, FeeRow } from './repository';

const ITEMS: FeeItem[] = ['replacement', 'exchange', 'anonymous_issue'];

export interface FeeScheduleItem {
  item: FeeItem;
  amountFen: number;
  effectiveFrom: string;
  documentNo: string;
}

const view = (r: FeeRow): FeeScheduleItem => ({
  item: r.item,
  amountFen: r.amountFen,
  effectiveFrom: r.effectiveFrom,
  documentNo: r.documentNo,
});

/** The price bureau's schedule: versioned rows, never edited, the one in force chosen by date. */
export class FeeScheduleService {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  async inForce(on?: string): Promise<FeeScheduleItem[]> {
    const day = on ?? localDate(this.clock.now());
    const rows = await Promise.all(ITEMS.map((item) => repo.feeInForce(this.db, item, day)));
    return rows.filter((r): r is FeeRow => r !== undefined).map(view);
  }

  async add(
    input: { item: FeeItem; amountFen: number; effectiveFrom: string; documentNo: string },
    ctx: RequestContext,
  ): Promise<FeeScheduleItem> {
    const at = this.clock.now();
    return inTransaction(this.db, async (trx) => {
      const row = await repo.insertFee(trx, { ...input, createdBy: ctx.actor.id, at });
      await recordAudit(
        trx,
        ctx,
        {
          action: 'fee_schedule.added',
          entityType: 'fee_schedule',
          entityId: String(row.id),
          after: view(row),
        },
        at,
      );
      return view(row);
    });
  }
}
