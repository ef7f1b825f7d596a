import type { Conn } from '../../platform/db';
import { maskName } from '../../platform/masking';
import { functionsRepository, type FunctionDef } from '../functions';
import * as repo from './repository';
import type { CardRecord, CardViewRecord } from './repository';

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
export async function cardView(conn: Conn, card: CardRecord): Promise<CardView> {
  return cardViewByNo(conn, card.cardNo) as Promise<CardView>;
}

/** The view of the card with this number, or undefined when there is none. */
export async function cardViewByNo(conn: Conn, cardNo: string): Promise<CardView | undefined> {
  const [catalogue, record] = await Promise.all([
    functionsRepository.cachedCatalogue(conn),
    repo.findCardView(conn, cardNo),
  ]);
  return record && toCardView(record, catalogue);
}

/** The view of a card read with cardViewRecord, given the function catalogue. */
export function toCardView(record: CardViewRecord, catalogue: readonly FunctionDef[]): CardView {
  const { card, holder, replaces, replacedBy } = record;
  // a card that has ended (or never reached its holder) works nowhere, whatever was switched on
  const ended = ['cancelled', 'replaced', 'sealed'].includes(card.status);
  return {
    cardNo: card.cardNo,
    type: card.type,
    status: card.status,
    ...(holder ? { holder: { name: maskName(holder.name), idNumber: holder.idNumberMasked } } : {}),
    ...(card.bank ? { bank: card.bank } : {}),
    functions: catalogue
      .filter((f) => f.cardTypes.includes(card.type))
      .map((f) => ({
        code: f.code,
        status: ended ? 'inactive' : (record.functions.get(f.code) ?? 'inactive'),
      })),
    validUntil: card.validUntil,
    ...(replaces ? { replaces } : {}),
    ...(replacedBy ? { replacedBy } : {}),
  };
}
