import type { Conn } from '../../platform/db';
import { feesRepository } from '../fees';
import { residentsRepository } from '../residents';
import { cardsRepository } from '../cards';
import type { ApplicationRecord, ReceiptRecord } from './repository';
import * as repo from './repository';

export interface ApplicationView {
  applicationNo: string;
  residentId: string;
  cardType: string;
  bank?: string;
  reason: string;
  status: string;
  centre: string;
  fee: { amountFen: number; item: string };
  payment?: { paymentNo: string; amountFen: number; method: string; paidAt: string; refundedAt?: string };
  waiver?: { reason: string; approvedBy: string };
  receipt: { receiptNo: string; centre: string; expectedReadyDate: string; deadline: string };
  cardNo?: string;
  replacesCardNo?: string;
}

/** The one shape of an application, from POST and GET alike. */
export async function applicationView(
  conn: Conn,
  app: ApplicationRecord,
  known: { receipt?: ReceiptRecord; residentId?: string } = {},
): Promise<ApplicationView> {
  const [receipt, residentId, payments, card, replaces] = await Promise.all([
    known.receipt ?? repo.receiptOf(conn, app.dbId),
    known.residentId ?? residentsRepository.findByDbId(conn, app.residentDbId).then((r) => r!.id),
    app.feeAmountFen > 0 ? feesRepository.paymentsOfApplication(conn, app.dbId) : [],
    app.status === 'submitted' ? undefined : cardsRepository.findByApplication(conn, app.dbId),
    app.replacesCardDbId === null ? undefined : cardsRepository.cardNoOf(conn, app.replacesCardDbId),
  ]);
  const payment = payments[0];
  return {
    applicationNo: app.applicationNo,
    residentId,
    cardType: app.cardType,
    ...(app.bank ? { bank: app.bank } : {}),
    reason: app.reason,
    status: app.status,
    centre: app.centre,
    fee: { amountFen: app.feeAmountFen, item: app.feeItem ?? 'first_issue' },
    ...(payment
      ? {
          payment: {
            paymentNo: payment.paymentNo,
            amountFen: payment.amountFen,
            method: payment.method,
            paidAt: payment.paidAt.toISOString(),
            ...(payment.refundedAt ? { refundedAt: payment.refundedAt.toISOString() } : {}),
          },
        }
      : {}),
    ...(app.waiverReason && app.waiverApprovedBy
      ? { waiver: { reason: app.waiverReason, approvedBy: app.waiverApprovedBy } }
      : {}),
    receipt: {
      receiptNo: receipt!.receiptNo,
      centre: receipt!.centre,
      expectedReadyDate: receipt!.expectedReadyDate,
      deadline: receipt!.deadline,
    },
    ...(card ? { cardNo: card.cardNo } : {}),
    ...(replaces ? { replacesCardNo: replaces } : {}),
  };
}

/** What audit events keep of an application (no personal data in it). */
export function applicationAuditView(
  app: ApplicationRecord,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    applicationNo: app.applicationNo,
    cardType: app.cardType,
    bank: app.bank,
    reason: app.reason,
    status: app.status,
    centre: app.centre,
    feeAmountFen: app.feeAmountFen,
    ...extra,
  };
}
