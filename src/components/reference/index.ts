export * as referenceRepository from './repository';
export type { Centre } from './repository';
export { addWorkingDays, calendarSpanFor } from './working-days';
export { openCentre, knownCentre, CentreErrors } from './centres';
