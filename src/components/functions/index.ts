export * as functionsRepository from './repository';
export type { FunctionDef } from './repository';
