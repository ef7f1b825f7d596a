import { cardsRepository, hotlistOfCard } from '../../src/components/cards';
import { harness } from './harness';

/** The hotlist entries of one card, oldest first (the partner endpoint pages the same table). */
export async function hotlistOf(cardNo: string): Promise<Array<{ usable: boolean; reason: string }>> {
  const db = harness().deps.db;
  const card = await cardsRepository.findByCardNo(db, cardNo);
  if (!card) throw new Error(`no card ${cardNo}`);
  return hotlistOfCard(db, card.dbId);
}

export function functionStatuses(card: {
  functions: Array<{ code: string; status: string }>;
}): Record<string, string> {
  return Object.fromEntries(card.functions.map((f) => [f.code, f.status]));
}
