export { ProductionService, ProductionErrors } from './service';
export { productionRoutes } from './routes';
export { produceCards } from './job';
export { recoverRuns, recoverUnfinishedRuns } from './recovery';
export * as productionRepository from './repository';
