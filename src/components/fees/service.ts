import { randomDigits } from '../../platform/numbers';
import type { Conn } from '../../platform/db';
import { inSavepoint, isDuplicateKey } from '../../platform/db';
import { raise } from '../../platform/errors';
import { localDate } from '../../platform/dates';
import { FeeErrors } from './errors';
import * as repo from './repository';
import type { FeeItem, PaymentMethod, PaymentRecord } from './repository';

export interface FeeDue {
  amountFen: number;
  item: FeeItem | 'first_issue';
}

export interface PaymentTendered {
  amountFen: number;
  method: PaymentMethod;
}

/** The amount due for an item on a day, from the schedule row in force. */
export async function feeDue(conn: Conn, item: FeeItem, day: string): Promise<FeeDue> {
  const row = await repo.feeInForce(conn, item, day);
  if (!row) raise(FeeErrors.FEE_NOT_DEFINED, `${item} @ ${day}`);
  return { amountFen: row.amountFen, item };
}

/**
 * The counter states what it collected; anything but the amount due is refused. A free item must come
 * with no payment (or a zero one): the system never produces a charge for something free.
 */
export function checkTendered(due: number, tendered: PaymentTendered | undefined): void {
  const paid = tendered?.amountFen ?? 0;
  if (paid !== due)
    raise(FeeErrors.FEE_MISMATCH, `应收 ${(due / 100).toFixed(2)} 元，实收 ${(paid / 100).toFixed(2)} 元`);
}

/** Records a payment in the caller's transaction; a clash of random numbers just draws again. */
export async function recordPayment(
  conn: Conn,
  p: Omit<PaymentRecord, 'paymentNo' | 'refundedAt'>,
): Promise<PaymentRecord> {
  for (let attempt = 0; ; attempt++) {
    const paymentNo = localDate(p.paidAt).replaceAll('-', '') + randomDigits(8);
    try {
      await inSavepoint(conn, (sp) => repo.insertPayment(sp, { ...p, paymentNo }));
      return { ...p, paymentNo, refundedAt: null };
    } catch (err) {
      if (!isDuplicateKey(err, 'payments_no') || attempt >= 5) throw err;
    }
  }
}
