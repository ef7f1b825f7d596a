import { recordAudit } from '../../platform/audit';
import { asOperator, type RequestContext } from '../../platform/context';
import { ageOn, localDate, type Clock } from '../../platform/dates';
import { inTransaction, type Db, type Trx } from '../../platform/db';
import { CommonErrors, raise } from '../../platform/errors';
import { maskIdNumber, maskName } from '../../platform/masking';
import type { PiiVault } from '../../platform/pii';
import { cardsRepository, handOverCard, type CardRecord } from '../cards';
import { fileFormalReport } from '../loss-reports';
import { examineIdNumber, GUARDIAN_BELOW_AGE, residentsRepository } from '../residents';
import { ApplicationErrors } from './errors';
import * as repo from './repository';
import { applicationAuditView } from './view';

export const AGENT_MIN_AGE = 18;

export interface PickupInput {
  receiptNo: string;
  idNumber: string;
  agent?: { name: string; idNumber: string; relation: string };
}

export interface PickupResult {
  applicationNo: string;
  card: { cardNo: string; type: string; status: 'active'; validUntil: string };
}

/** Handing a produced card over at the counter of the receipt's centre (领卡). */
export class PickupService {
  constructor(
    private readonly db: Db,
    private readonly vault: PiiVault,
    private readonly clock: Clock,
  ) {}

  async collect(input: PickupInput, ctx: RequestContext): Promise<PickupResult> {
    const operator = asOperator(ctx);
    const now = this.clock.now();
    const today = localDate(now);
    return inTransaction(this.db, async (trx) => {
      const receipt = await repo.findReceipt(trx, input.receiptNo);
      if (!receipt) raise(ApplicationErrors.RECEIPT_NOT_FOUND);
      const app = await repo.findByDbId(trx, receipt.applicationDbId, { forUpdate: true });
      if (!app) raise(ApplicationErrors.RECEIPT_NOT_FOUND);
      if (receipt.centre !== operator.centre)
        raise(ApplicationErrors.WRONG_CENTRE, `该卡在${receipt.centre}服务中心领取`);
      if (app.status === 'collected') raise(ApplicationErrors.ALREADY_COLLECTED);
      if (app.status === 'submitted' || app.status === 'in_production')
        raise(ApplicationErrors.NOT_READY, `预计可领卡日期 ${receipt.expectedReadyDate}`);
      if (app.status !== 'ready') raise(CommonErrors.INVALID_STATE, `申领状态为 ${app.status}`);

      const holder = await residentsRepository.findByDbId(trx, app.residentDbId);
      if (!holder || !this.vault.lookupHash(input.idNumber).equals(holder.idNumberHash))
        raise(ApplicationErrors.IDENTITY_MISMATCH);
      if (input.agent) {
        const agentFacts = examineIdNumber(input.agent.idNumber, today);
        if (typeof agentFacts === 'string' || ageOn(agentFacts.birthDate, today) < AGENT_MIN_AGE)
          raise(ApplicationErrors.AGENT_UNDERAGE);
      }
      if (ageOn(holder.birthDate, today) < GUARDIAN_BELOW_AGE) {
        const guardianHash = holder.guardianIdHash;
        if (
          !input.agent ||
          !guardianHash ||
          !this.vault.lookupHash(input.agent.idNumber).equals(guardianHash) ||
          input.agent.name !== holder.guardianName
        ) {
          raise(ApplicationErrors.GUARDIAN_REQUIRED);
        }
      }

      const card = await cardsRepository.findByApplication(trx, app.dbId, { forUpdate: true });
      if (!card || card.status !== 'produced')
        raise(CommonErrors.INVALID_STATE, '卡片状态异常，请联系管理员');
      await settleReportedPredecessor(trx, ctx, card, now);
      await handOverCard(trx, ctx, card, now, { applicationNo: app.applicationNo });
      await repo.updateApplication(
        trx,
        app.dbId,
        {
          status: 'collected',
          collectedAt: now,
          collectedByOperator: operator.id,
          pickupAgentName: input.agent?.name ?? null,
          pickupAgentIdMasked: input.agent ? maskIdNumber(input.agent.idNumber) : null,
          pickupAgentIdSealed: input.agent ? this.vault.seal(input.agent.idNumber) : null,
          pickupAgentRelation: input.agent?.relation ?? null,
        },
        now,
      );
      const by = input.agent
        ? {
            agent: {
              name: maskName(input.agent.name),
              idNumber: maskIdNumber(input.agent.idNumber),
              relation: input.agent.relation,
            },
          }
        : { agent: null };
      await recordAudit(
        trx,
        ctx,
        [
          {
            action: 'application.collected',
            entityType: 'application',
            entityId: app.applicationNo,
            before: applicationAuditView(app),
            after: applicationAuditView(
              { ...app, status: 'collected' },
              { cardNo: card.cardNo, centre: operator.centre, ...by },
            ),
          },
        ],
        now,
      );
      return {
        applicationNo: app.applicationNo,
        card: { cardNo: card.cardNo, type: card.type, status: 'active', validUntil: card.validUntil },
      };
    });
  }
}

/**
 * An exchange card collected while the card it replaces stands temporarily reported: the holder now
 * has its successor, so the missing card is lost for good. The loss is made formal (its temporary report
 * superseded) before the hand-over, which would otherwise retire the card with its report still open.
 */
async function settleReportedPredecessor(
  trx: Trx,
  ctx: RequestContext,
  card: CardRecord,
  now: Date,
): Promise<void> {
  if (card.replacesCardDbId === null) return;
  const old = await cardsRepository.findByDbId(trx, card.replacesCardDbId, { forUpdate: true });
  if (old?.status === 'temp_lost') await fileFormalReport(trx, ctx, old, now);
}
