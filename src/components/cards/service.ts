import { recordAudit } from '../../platform/audit';
import { asOperator, type RequestContext } from '../../platform/context';
import { addYears, localDate, type Clock } from '../../platform/dates';
import { inTransaction, type Db } from '../../platform/db';
import { raise } from '../../platform/errors';
import type { PiiVault } from '../../platform/pii';
import { checkTendered, feeDue, recordPayment, type PaymentTendered } from '../fees';
import { openCentre } from '../reference';
import { CardErrors } from './errors';
import * as repo from './repository';
import { cardViewByNo, type CardView } from './view';

export const CARD_VALIDITY_YEARS = 10;

export interface AnonymousIssue {
  cards: Array<{ cardNo: string; type: 'C_ANON'; status: 'active' }>;
  fee: { amountFen: number; item: 'anonymous_issue' };
}

export class CardsService {
  constructor(
    private readonly db: Db,
    private readonly vault: PiiVault,
    private readonly clock: Clock,
  ) {}

  async get(cardNo: string): Promise<CardView> {
    const view = await cardViewByNo(this.db, cardNo);
    if (!view) raise(CardErrors.CARD_NOT_FOUND);
    return view;
  }

  /** Anonymous cards are handed over on the spot: no holder, no receipt, active at once. */
  async issueAnonymous(
    input: { quantity: number; centre: string; payment?: PaymentTendered },
    ctx: RequestContext,
  ): Promise<AnonymousIssue> {
    const operator = asOperator(ctx);
    const now = this.clock.now();
    const today = localDate(now);
    return inTransaction(this.db, async (trx) => {
      const centre = await openCentre(trx, input.centre);
      // handed over on the spot: the centre is the counter's own, as for a pickup
      if (centre.code !== operator.centre)
        raise(CardErrors.WRONG_CENTRE, `本柜台属于${operator.centre}服务中心`);
      const unit = await feeDue(trx, 'anonymous_issue', today);
      const due = unit.amountFen * input.quantity;
      checkTendered(due, input.payment);
      const cards = [];
      for (let i = 0; i < input.quantity; i++) {
        cards.push(
          await repo.insertCard(trx, {
            type: 'C_ANON',
            status: 'active',
            residentDbId: null,
            bank: null,
            applicationDbId: null,
            replacesCardDbId: null,
            centre: centre.code,
            producedAt: now,
            validUntil: addYears(today, CARD_VALIDITY_YEARS),
            collectedAt: now,
          }),
        );
      }
      const payment =
        due > 0 && input.payment
          ? await recordPayment(trx, {
              applicationId: null,
              item: 'anonymous_issue',
              amountFen: due,
              method: input.payment.method,
              operatorId: operator.id,
              centre: centre.code,
              paidAt: now,
            })
          : undefined;
      await recordAudit(
        trx,
        ctx,
        cards.map((c) => ({
          action: 'card.issued_anonymous',
          entityType: 'card',
          entityId: c.cardNo,
          after: {
            cardNo: c.cardNo,
            type: 'C_ANON',
            status: 'active',
            centre: centre.code,
            paymentNo: payment?.paymentNo ?? null,
          },
        })),
        now,
      );
      return {
        cards: cards.map((c) => ({ cardNo: c.cardNo, type: 'C_ANON' as const, status: 'active' as const })),
        fee: { amountFen: due, item: 'anonymous_issue' as const },
      };
    });
  }
}
