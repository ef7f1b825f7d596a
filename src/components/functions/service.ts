import { recordAudit } from '../../platform/audit';
import type { RequestContext } from '../../platform/context';
import { ageOn, localDate, type Clock } from '../../platform/dates';
import { inTransaction, type Db } from '../../platform/db';
import { CommonErrors, raise } from '../../platform/errors';
import type { PiiVault } from '../../platform/pii';
import { CardErrors, cardsRepository, cardView, type CardView } from '../cards';
import { residentsRepository } from '../residents';
import { FunctionErrors } from './errors';
import * as repo from './repository';
import type { FunctionDef } from './repository';

/** Public bicycles: a named card's holder must be 16 to 70 (anonymous cards may, with no holder to check). */
export const BICYCLE_AGE = { min: 16, max: 70 };

export class FunctionsService {
  constructor(
    private readonly db: Db,
    private readonly vault: PiiVault,
    private readonly clock: Clock,
  ) {}

  async catalogue(): Promise<FunctionDef[]> {
    return repo.catalogue(this.db);
  }

  /** An administrator opens a planned function (library, parking) when the service starts, or closes it. */
  async setAvailability(
    code: string,
    availability: 'open' | 'planned',
    ctx: RequestContext,
  ): Promise<FunctionDef> {
    const at = this.clock.now();
    const changed = await inTransaction(this.db, async (trx) => {
      const fn = await repo.findFunction(trx, code, { forUpdate: true });
      if (!fn) raise(FunctionErrors.FUNCTION_NOT_FOUND);
      if (fn.availability !== availability) {
        await repo.setAvailability(trx, code, availability);
        await recordAudit(
          trx,
          ctx,
          {
            action: availability === 'open' ? 'function.opened' : 'function.closed',
            entityType: 'function',
            entityId: code,
            before: { availability: fn.availability },
            after: { availability },
          },
          at,
        );
      }
      return { ...fn, availability };
    });
    repo.forgetCatalogue();
    return changed;
  }

  async activate(cardNo: string, code: string, ctx: RequestContext): Promise<CardView> {
    return this.switch(cardNo, code, 'active', ctx);
  }

  async deactivate(cardNo: string, code: string, ctx: RequestContext): Promise<CardView> {
    return this.switch(cardNo, code, 'inactive', ctx);
  }

  private async switch(
    cardNo: string,
    code: string,
    to: 'active' | 'inactive',
    ctx: RequestContext,
  ): Promise<CardView> {
    const at = this.clock.now();
    return inTransaction(this.db, async (trx) => {
      const card = await cardsRepository.findByCardNo(trx, cardNo, { forUpdate: true });
      if (!card) raise(CardErrors.CARD_NOT_FOUND);
      const fn = await repo.findFunction(trx, code);
      if (!fn) raise(FunctionErrors.FUNCTION_NOT_FOUND);
      if (!fn.cardTypes.includes(card.type))
        raise(FunctionErrors.FUNCTION_NOT_ALLOWED, `${fn.name}功能不适用于${card.type}卡`);
      if (to === 'active' && fn.availability !== 'open')
        raise(FunctionErrors.FUNCTION_NOT_AVAILABLE, `${fn.name}功能尚未开通`);
      if (card.status !== 'active')
        raise(CommonErrors.INVALID_STATE, `卡片状态为 ${card.status}，只有正常使用的卡可以开通或关闭功能`);
      if (to === 'active' && code === 'bicycle' && card.residentDbId !== null) {
        const holder = await residentsRepository.findByDbId(trx, card.residentDbId);
        const age = ageOn(holder!.birthDate, localDate(at));
        if (age < BICYCLE_AGE.min || age > BICYCLE_AGE.max)
          raise(
            FunctionErrors.AGE_RESTRICTED,
            `公共自行车功能限${BICYCLE_AGE.min}至${BICYCLE_AGE.max}周岁的持卡人`,
          );
      }
      const before =
        (await cardsRepository.functionsOfCard(trx, card.dbId)).find((f) => f.code === code)?.status ??
        'inactive';
      if (before !== to) {
        await cardsRepository.setFunctionStatus(trx, card.dbId, code, to, at);
        await recordAudit(
          trx,
          ctx,
          {
            action: to === 'active' ? 'card.function_activated' : 'card.function_deactivated',
            entityType: 'card',
            entityId: card.cardNo,
            before: { function: code, status: before },
            after: { function: code, status: to },
          },
          at,
        );
      }
      return cardView(trx, card);
    });
  }
}
