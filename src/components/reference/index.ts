export * as referenceRepository from './repository';
export type { Centre } from './repository';
export { addWorkingDays, calendarSpanFor } from './working-days';
export { openCentre, CentreErrors } from './centres';
