export { feeDue, checkTendered, recordPayment, type FeeDue, type PaymentTendered } from './service';
export { FeeScheduleService } from './schedule';
export { feeRoutes } from './routes';
export { FeeErrors } from './errors';
export * as feesRepository from './repository';
export type { FeeItem, PaymentMethod, PaymentRecord } from './repository';
