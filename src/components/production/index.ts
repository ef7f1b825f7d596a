export { ProductionService, ProductionErrors } from './service';
export { productionRoutes } from './routes';
export { produceCards } from './job';
export * as productionRepository from './repository';
