import { recordAudit } from '../../platform/audit';
import { asOperator, type RequestContext } from '../../platform/context';
import { ageOn, localDate, type Clock } from '../../platform/dates';
import { inTransaction, isDuplicateKey, type Db, type Trx } from '../../platform/db';
import { CommonErrors, raise } from '../../platform/errors';
import { decodeCursor, encodeCursor } from '../../platform/pagination';
import { cardsRepository } from '../cards';
import {
  checkTendered,
  feeDue,
  feesRepository,
  recordPayment,
  type FeeDue,
  type PaymentTendered,
} from '../fees';
import { knownCentre, openCentre, referenceRepository } from '../reference';
import { GUARDIAN_BELOW_AGE, ResidentErrors, residentsRepository, type ResidentRecord } from '../residents';
import { ApplicationErrors } from './errors';
import { receiptDates } from './receipt-dates';
import * as repo from './repository';
import type { NamedCardType } from './repository';
import { applicationAuditView, applicationView, type ApplicationView } from './view';
import { markCancelled } from './withdrawal';

export const B_CARD_MIN_AGE = 16;

export interface ApplyInput {
  residentId: string;
  cardType: NamedCardType;
  bank?: string;
  centre: string;
  payment?: PaymentTendered;
}

/**
 * The rules every named application obeys, at the counter or from a collection batch: B cards for 16+
 * with a partner bank, a guardian on file under 16. Returns the rule broken, or null.
 */
export async function namedApplicationProblem(
  trx: Trx,
  resident: ResidentRecord,
  cardType: NamedCardType,
  bank: string | undefined,
  today: string,
): Promise<(typeof ApplicationErrors)[keyof typeof ApplicationErrors] | null> {
  const age = ageOn(resident.birthDate, today);
  if (cardType === 'B') {
    if (age < B_CARD_MIN_AGE) return ApplicationErrors.B_CARD_UNDERAGE;
    if (!bank) return ApplicationErrors.BANK_MISSING;
    if (!(await referenceRepository.isBank(trx, bank))) return ApplicationErrors.BANK_UNKNOWN;
  }
  if (age < GUARDIAN_BELOW_AGE && !resident.guardianIdHash) return ApplicationErrors.GUARDIAN_MISSING;
  return null;
}

/** One live named card and no open named application: checked here, enforced by unique keys. */
export async function holdsNamedCard(trx: Trx, residentDbId: number): Promise<boolean> {
  const [card, open] = await Promise.all([
    cardsRepository.liveNamedCardOf(trx, residentDbId),
    repo.openNamedApplicationOf(trx, residentDbId),
  ]);
  return card !== undefined || open !== undefined;
}

export class ApplicationsService {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  async apply(input: ApplyInput, ctx: RequestContext): Promise<ApplicationView> {
    const operator = asOperator(ctx);
    const now = this.clock.now();
    const today = localDate(now);
    try {
      return await inTransaction(this.db, async (trx) => {
        // the resident's row lock queues concurrent applications for one person behind each other
        const resident = await residentsRepository.findByPublicId(trx, input.residentId, { forUpdate: true });
        if (!resident) raise(ResidentErrors.RESIDENT_NOT_FOUND);
        const centre = await openCentre(trx, input.centre);
        const problem = await namedApplicationProblem(trx, resident, input.cardType, input.bank, today);
        if (problem) raise(problem);
        if (await holdsNamedCard(trx, resident.dbId)) raise(ApplicationErrors.NAMED_CARD_EXISTS);

        const reissue = await cardsRepository.hasEverHadNamedCard(trx, resident.dbId);
        const fee: FeeDue = reissue
          ? await feeDue(trx, 'replacement', today)
          : { amountFen: 0, item: 'first_issue' };
        checkTendered(fee.amountFen, input.payment);

        const dates = await receiptDates(trx, today, ageOn(resident.birthDate, today));
        const { application, receipt } = await repo.insertApplicationWithReceipt(
          trx,
          {
            residentDbId: resident.dbId,
            cardType: input.cardType,
            bank: input.cardType === 'B' ? (input.bank ?? null) : null,
            reason: reissue ? 'reissue' : 'first',
            centre: centre.code,
            channel: 'counter',
            feeItem: reissue ? fee.item : null,
            feeAmountFen: fee.amountFen,
            waiverReason: null,
            waiverApprovedBy: null,
            exchangeReason: null,
            replacesCardDbId: null,
            appliedOn: today,
            createdAt: now,
            createdBy: operator.id,
          },
          { centre: centre.code, ...dates },
        );
        if (fee.amountFen > 0 && input.payment) {
          await recordPayment(trx, {
            applicationId: application.dbId,
            item: 'replacement',
            amountFen: fee.amountFen,
            method: input.payment.method,
            operatorId: operator.id,
            centre: operator.centre ?? centre.code,
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
              residentId: resident.id,
              receiptNo: receipt.receiptNo,
            }),
          },
          now,
        );
        return applicationView(trx, application, { receipt, residentId: resident.id });
      });
    } catch (err) {
      // the unique key caught what the row lock could not (another path opened the slot)
      if (isDuplicateKey(err, 'applications_one_open_named') || isDuplicateKey(err, 'cards_one_live_named')) {
        raise(ApplicationErrors.NAMED_CARD_EXISTS);
      }
      throw err;
    }
  }

  async get(applicationNo: string): Promise<ApplicationView> {
    const app = await repo.findByNo(this.db, applicationNo);
    if (!app) raise(ApplicationErrors.APPLICATION_NOT_FOUND);
    return applicationView(this.db, app);
  }

  async byReceipt(receiptNo: string): Promise<ApplicationView> {
    const receipt = await repo.findReceipt(this.db, receiptNo);
    if (!receipt) raise(ApplicationErrors.RECEIPT_NOT_FOUND);
    const app = await repo.findByDbId(this.db, receipt.applicationDbId);
    return applicationView(this.db, app!, { receipt });
  }

  async list(filter: {
    status?: string;
    centre?: string;
    cursor?: string;
    limit: number;
  }): Promise<{ items: ApplicationView[]; nextCursor: string | null }> {
    const afterId = filter.cursor ? decodeCursor(filter.cursor) : undefined;
    const centre = filter.centre ? await knownCentre(this.db, filter.centre) : undefined;
    const rows = await repo.listApplications(this.db, {
      status: filter.status,
      centre,
      afterId,
      limit: filter.limit + 1,
    });
    const page = rows.slice(0, filter.limit);
    const items = await Promise.all(page.map((a) => applicationView(this.db, a)));
    const last = page[page.length - 1];
    return { items, nextCursor: rows.length > filter.limit && last ? encodeCursor(last.dbId) : null };
  }

  /** Only a submitted application can be withdrawn; what was paid is recorded as refunded. */
  async cancel(applicationNo: string, ctx: RequestContext): Promise<ApplicationView> {
    const now = this.clock.now();
    return inTransaction(this.db, async (trx) => {
      const app = await repo.findByNo(trx, applicationNo, { forUpdate: true });
      if (!app) raise(ApplicationErrors.APPLICATION_NOT_FOUND);
      if (app.status !== 'submitted')
        raise(CommonErrors.INVALID_STATE, `申领状态为 ${app.status}，只能撤销已提交未制卡的申领`);
      const refunded = await feesRepository.markRefunded(trx, app.dbId, ctx.actor.id, now);
      const after = await markCancelled(trx, ctx, app, now, { refundedPayments: refunded });
      return applicationView(trx, after);
    });
  }
}
