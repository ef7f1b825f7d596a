export { CardsService, CARD_VALIDITY_YEARS, type AnonymousIssue } from './service';
export { cardView, cardViewByNo, toCardView, type CardView } from './view';
export { CardErrors } from './errors';
export * as cardsRepository from './repository';
export type { CardRecord, CardStatus, CardType } from './repository';
export { cardRoutes, cardParams } from './routes';
export { cardChange, transitionCard, handOverCard, isUsable } from './lifecycle';
export { appendHotlist, hotlistAfter, hotlistOfCard, type HotlistEntry } from './hotlist';
