import { recordAudit } from '../../platform/audit';
import { asOperator, type RequestContext } from '../../platform/context';
import { addYears, ageOn, localDate, type Clock } from '../../platform/dates';
import { inTransaction, isDuplicateKey, type Db, type Trx } from '../../platform/db';
import { CommonErrors, defineErrors, raise } from '../../platform/errors';
import { type CardRecord } from '../cards';
import { checkTendered, feeDue, recordPayment, type FeeDue, type PaymentTendered } from '../fees';
import { fileFormalReport, LossReportErrors, lockCard } from '../loss-reports';
import { residentsRepository } from '../residents';
import { receiptDates } from './receipt-dates';
import * as repo from './repository';
import { applicationAuditView, applicationView, type ApplicationView } from './view';

export const ReplacementErrors = defineErrors({
  WAIVER_NOT_ALLOWED: { kind: 'invalid', title: '只有制卡两年内的质量问题可以免收换卡费' },
  REPLACEMENT_IN_PROGRESS: { kind: 'conflict', title: '该卡已有补换卡申请在办理中' },
});

/** A quality defect is exchanged free within this many years of production. */
export const FREE_EXCHANGE_YEARS = 2;

export type ExchangeReason = 'damaged' | 'expired' | 'info_changed';

/** 补卡 and 换卡: a new application for the same type and bank that takes the old card's slot. */
export class ReplacementsService {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /** 补卡 after loss; files the formal report in the same step when the card is not yet formally lost. */
  async replace(
    cardNo: string,
    input: { payment: PaymentTendered },
    ctx: RequestContext,
  ): Promise<ApplicationView> {
    const now = this.clock.now();
    return this.guard(() =>
      inTransaction(this.db, async (trx) => {
        const card = await lockCard(trx, cardNo);
        if (card.type === 'C_ANON')
          raise(LossReportErrors.ANONYMOUS_CARD_NOT_REPORTABLE, '不记名卡不办理补卡');
        if (!['active', 'temp_lost', 'lost'].includes(card.status))
          raise(CommonErrors.INVALID_STATE, `卡片状态为 ${card.status}，不能补卡`);
        const fee = await feeDue(trx, 'replacement', localDate(now));
        checkTendered(fee.amountFen, input.payment);
        if (card.status !== 'lost') await fileFormalReport(trx, ctx, card, now);
        return this.open(trx, ctx, card, now, { reason: 'replacement', fee, payment: input.payment });
      }),
    );
  }

  /** 换卡 for a damaged, expired or outdated card; the old card works until the new one is collected. */
  async exchange(
    cardNo: string,
    input: { reason: ExchangeReason; waiver?: { reason: string }; payment?: PaymentTendered },
    ctx: RequestContext,
  ): Promise<ApplicationView> {
    const operator = asOperator(ctx);
    const now = this.clock.now();
    const today = localDate(now);
    return this.guard(() =>
      inTransaction(this.db, async (trx) => {
        const card = await lockCard(trx, cardNo);
        if (card.type === 'C_ANON') raise(CommonErrors.INVALID_STATE, '不记名卡不办理换卡');
        if (card.status !== 'active')
          raise(CommonErrors.INVALID_STATE, `卡片状态为 ${card.status}，只有正常使用的卡可以换卡`);
        let fee: FeeDue;
        if (input.waiver) {
          // the fee is waived for a quality defect, which shows as damage: a change of particulars is
          // the holder's own, and a card does not expire within the free period
          if (input.reason !== 'damaged' || addYears(localDate(card.producedAt), FREE_EXCHANGE_YEARS) < today)
            raise(ReplacementErrors.WAIVER_NOT_ALLOWED);
          fee = { amountFen: 0, item: 'exchange' };
        } else {
          fee = await feeDue(trx, 'exchange', today);
        }
        checkTendered(fee.amountFen, input.payment);
        return this.open(trx, ctx, card, now, {
          reason: 'exchange',
          fee,
          payment: input.payment,
          exchangeReason: input.reason,
          waiver: input.waiver ? { reason: input.waiver.reason, approvedBy: operator.id } : undefined,
        });
      }),
    );
  }

  private async open(
    trx: Trx,
    ctx: RequestContext,
    card: CardRecord,
    now: Date,
    o: {
      reason: 'replacement' | 'exchange';
      fee: FeeDue;
      payment?: PaymentTendered;
      exchangeReason?: ExchangeReason;
      waiver?: { reason: string; approvedBy: string };
    },
  ): Promise<ApplicationView> {
    const operator = asOperator(ctx);
    const today = localDate(now);
    const resident = await residentsRepository.findByDbId(trx, card.residentDbId!, { forUpdate: true });
    if (await repo.openNamedApplicationOf(trx, card.residentDbId!))
      raise(ReplacementErrors.REPLACEMENT_IN_PROGRESS);
    const centre = operator.centre ?? card.centre;
    const dates = await receiptDates(trx, today, ageOn(resident!.birthDate, today));
    const { application, receipt } = await repo.insertApplicationWithReceipt(
      trx,
      {
        residentDbId: card.residentDbId!,
        cardType: card.type === 'B' ? 'B' : 'C_NAMED',
        bank: card.bank,
        reason: o.reason,
        centre,
        channel: 'counter',
        feeItem: o.fee.item,
        feeAmountFen: o.fee.amountFen,
        waiverReason: o.waiver?.reason ?? null,
        waiverApprovedBy: o.waiver?.approvedBy ?? null,
        exchangeReason: o.exchangeReason ?? null,
        replacesCardDbId: card.dbId,
        appliedOn: today,
        createdAt: now,
        createdBy: operator.id,
      },
      { centre, ...dates },
    );
    if (o.fee.amountFen > 0 && o.payment) {
      await recordPayment(trx, {
        applicationId: application.dbId,
        item: o.reason,
        amountFen: o.fee.amountFen,
        method: o.payment.method,
        operatorId: operator.id,
        centre,
        paidAt: now,
      });
    }
    await recordAudit(
      trx,
      ctx,
      {
        action: 'application.submitted',
        entityType: 'application',
        entityId: application.applicationNo,
        after: applicationAuditView(application, {
          replacesCardNo: card.cardNo,
          receiptNo: receipt.receiptNo,
          waiver: o.waiver ?? null,
        }),
      },
      now,
    );
    return applicationView(trx, application, { receipt, residentId: resident!.id });
  }

  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (isDuplicateKey(err, 'applications_one_open_replacement'))
        raise(ReplacementErrors.REPLACEMENT_IN_PROGRESS);
      throw err;
    }
  }
}
