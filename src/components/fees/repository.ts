import type { Conn } from '../../platform/db';

export type FeeItem = 'replacement' | 'exchange' | 'anonymous_issue';
export type PaymentMethod = 'cash' | 'unionpay' | 'wechat' | 'alipay';

export interface FeeRow {
  id: number;
  item: FeeItem;
  amountFen: number;
  effectiveFrom: string;
  documentNo: string;
}

interface Row {
  id: number | string;
  item: FeeItem;
  amount_fen: number;
  effective_from: string;
  document_no: string;
}

const toFee = (r: Row): FeeRow => ({
  id: Number(r.id),
  item: r.item,
  amountFen: r.amount_fen,
  effectiveFrom: r.effective_from,
  documentNo: r.document_no,
});

/** The row in force: latest effective date on or before the day, the later created on a tie. */
export async function feeInForce(conn: Conn, item: FeeItem, day: string): Promise<FeeRow | undefined> {
  const row = (await conn('fee_schedule')
    .where('item', item)
    .where('effective_from', '<=', day)
    .orderBy([
      { column: 'effective_from', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .first()) as Row | undefined;
  return row ? toFee(row) : undefined;
}

export async function insertFee(
  conn: Conn,
  fee: {
    item: FeeItem;
    amountFen: number;
    effectiveFrom: string;
    documentNo: string;
    createdBy: string;
    at: Date;
  },
): Promise<FeeRow> {
  const [id] = await conn('fee_schedule').insert({
    item: fee.item,
    amount_fen: fee.amountFen,
    effective_from: fee.effectiveFrom,
    document_no: fee.documentNo,
    created_by: fee.createdBy,
    created_at: fee.at,
  });
  return {
    id: Number(id),
    item: fee.item,
    amountFen: fee.amountFen,
    effectiveFrom: fee.effectiveFrom,
    documentNo: fee.documentNo,
  };
}

export interface PaymentRecord {
  paymentNo: string;
  applicationId: number | null;
  item: FeeItem;
  amountFen: number;
  method: PaymentMethod;
  operatorId: string;
  centre: string;
  paidAt: Date;
  refundedAt: Date | null;
}

export async function insertPayment(conn: Conn, p: Omit<PaymentRecord, 'refundedAt'>): Promise<void> {
  await conn('payments').insert({
    payment_no: p.paymentNo,
    application_id: p.applicationId,
    item: p.item,
    amount_fen: p.amountFen,
    method: p.method,
    operator_id: p.operatorId,
    centre_code: p.centre,
    paid_at: p.paidAt,
  });
}

export async function paymentsOfApplication(conn: Conn, applicationId: number): Promise<PaymentRecord[]> {
  const rows = (await conn('payments').where('application_id', applicationId).orderBy('id')) as Array<{
    payment_no: string;
    application_id: number | string | null;
    item: FeeItem;
    amount_fen: number;
    method: PaymentMethod;
    operator_id: string;
    centre_code: string;
    paid_at: Date;
    refunded_at: Date | null;
  }>;
  return rows.map((r) => ({
    paymentNo: r.payment_no,
    applicationId: r.application_id === null ? null : Number(r.application_id),
    item: r.item,
    amountFen: r.amount_fen,
    method: r.method,
    operatorId: r.operator_id,
    centre: r.centre_code,
    paidAt: r.paid_at,
    refundedAt: r.refunded_at,
  }));
}

export async function markRefunded(conn: Conn, applicationId: number, by: string, at: Date): Promise<number> {
  return conn('payments')
    .where('application_id', applicationId)
    .whereNull('refunded_at')
    .update({ refunded_at: at, refunded_by: by });
}
