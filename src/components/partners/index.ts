export { PartnersService, createPartnerFromCli, SCOPES, type Scope } from './service';
export { partnerRoutes } from './routes';
export { PartnerErrors } from './errors';
export * as partnersRepository from './repository';
