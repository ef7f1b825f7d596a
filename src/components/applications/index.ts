export {
  ApplicationsService,
  namedApplicationProblem,
  holdsNamedCard,
  B_CARD_MIN_AGE,
  type ApplyInput,
} from './service';
export { PickupService } from './pickup';
export { applicationRoutes } from './routes';
export { ApplicationErrors } from './errors';
export { applicationView, applicationAuditView, type ApplicationView } from './view';
export { receiptDates, ReceiptDateCalculator } from './receipt-dates';
export * as applicationsRepository from './repository';
export type { ApplicationRecord, NamedCardType } from './repository';
export { ReplacementsService, ReplacementErrors, FREE_EXCHANGE_YEARS } from './replacements';
export { sealUncollected } from './sealing';
export { withdrawUncollected } from './withdrawal';
