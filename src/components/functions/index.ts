export * as functionsRepository from './repository';
export type { FunctionDef } from './repository';
export { FunctionsService, BICYCLE_AGE } from './service';
export { functionRoutes } from './routes';
export { FunctionErrors } from './errors';
