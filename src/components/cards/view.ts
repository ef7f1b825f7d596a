import type { Conn } from '../../platform/db';
import { maskName } from '../../platform/masking';
import type { PiiVault } from '../../platform/pii';
import { functionsRepository } from '../functions';
import { residentsRepository } from '../residents';
import * as repo from './repository';
import type { CardRecord } from './repository';

export interface CardView {
  cardNo: string;
  type: string;
  status: string;
  holder?: { name: string; idNumber: string };
  bank?: string;
  functions: Array<{ code: string; status: 'inactive' | 'active' | 'suspended' }>;
  validUntil: string;
  replaces?: string;
  replacedBy?: string;
}

/** A card as the counter and the call centre see it: the holder masked, every allowed function listed. */
export async function cardView(conn: Conn, card: CardRecord, _vault?: PiiVault): Promise<CardView> {
  const [catalogue, stored, resident, { replaces, replacedBy }] = await Promise.all([
    functionsRepository.cachedCatalogue(conn),
    repo.functionsOfCard(conn, card.dbId),
    card.residentDbId === null ? undefined : residentsRepository.findByDbId(conn, card.residentDbId),
    repo.neighboursOf(conn, card),
  ]);
  const statusByCode = new Map(stored.map((f) => [f.code, f.status]));
  // a card that has ended (or never reached its holder) works nowhere, whatever was switched on
  const ended = ['cancelled', 'replaced', 'sealed'].includes(card.status);
  return {
    cardNo: card.cardNo,
    type: card.type,
    status: card.status,
    ...(resident
      ? {
          holder: {
            name: maskName(resident.name),
            idNumber: resident.idNumberMasked,
          },
        }
      : {}),
    ...(card.bank ? { bank: card.bank } : {}),
    functions: catalogue
      .filter((f) => f.cardTypes.includes(card.type))
      .map((f) => ({ code: f.code, status: ended ? 'inactive' : (statusByCode.get(f.code) ?? 'inactive') })),
    validUntil: card.validUntil,
    ...(replaces ? { replaces } : {}),
    ...(replacedBy ? { replacedBy } : {}),
  };
}
