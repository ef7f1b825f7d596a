export {
  LossReportsService,
  fileFormalReport,
  lockCard,
  verifyHolder,
  cancelCard,
  type CancelReason,
} from './service';
export { lossReportRoutes } from './routes';
export { LossReportErrors } from './errors';
export { lapseTemporaryReport, sweepLapsedReports, lapseReport } from './jobs';
export * as lossReportsRepository from './repository';
