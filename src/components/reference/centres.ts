import type { Conn } from '../../platform/db';
import { defineErrors, raise } from '../../platform/errors';
import { findCentreByCodeOrName, type Centre } from './repository';

export const CentreErrors = defineErrors({
  CENTRE_NOT_OPEN: { kind: 'invalid', title: '该服务中心尚未开通，暂不能选择' },
  CENTRE_UNKNOWN: { kind: 'invalid', title: '没有这个服务中心' },
});

/** The code of a centre named by code or name, open or planned (for filters). */
export async function knownCentre(conn: Conn, given: string): Promise<string> {
  const centre = await findCentreByCodeOrName(conn, given);
  if (!centre) raise(CentreErrors.CENTRE_UNKNOWN, given);
  return centre.code;
}

/** The open centre a counter named; a planned one is refused until it opens. */
export async function openCentre(conn: Conn, given: string): Promise<Centre> {
  const centre = await findCentreByCodeOrName(conn, given);
  if (!centre) raise(CentreErrors.CENTRE_UNKNOWN, given);
  if (centre.status !== 'open') raise(CentreErrors.CENTRE_NOT_OPEN, `${centre.name}服务中心尚未开通`);
  return centre;
}
