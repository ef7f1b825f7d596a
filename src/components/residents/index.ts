export {
  ResidentsService,
  checkAgainstIdNumber,
  disclosureFor,
  type ResidentLinks,
  type ResidentView,
} from './service';
export { residentRoutes } from './routes';
export { ResidentErrors } from './errors';
export * as residentsRepository from './repository';
export type { ResidentRecord } from './repository';
export { sealResident, openResident, residentAuditView, type ResidentData } from './model';
export * from './personal-data';
