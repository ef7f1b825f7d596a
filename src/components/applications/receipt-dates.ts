import { addDays } from '../../platform/dates';
import type { Conn } from '../../platform/db';
import { addWorkingDays, calendarSpanFor, referenceRepository } from '../reference';

export const WORKING_DAYS_TO_READY = 12;
export const WORKING_DAYS_TO_READY_ELDERLY = 5;
export const ELDERLY_AGE = 70;
export const PICKUP_DEADLINE_DAYS = 365;

/** The dates printed on a pickup receipt (领卡回执). */
export async function receiptDates(
  conn: Conn,
  appliedOn: string,
  holderAge: number,
): Promise<{ expectedReadyDate: string; deadline: string }> {
  const workingDays = holderAge >= ELDERLY_AGE ? WORKING_DAYS_TO_READY_ELDERLY : WORKING_DAYS_TO_READY;
  const calendar = await referenceRepository.calendarBetween(
    conn,
    appliedOn,
    addDays(appliedOn, calendarSpanFor(workingDays)),
  );
  const expectedReadyDate = addWorkingDays(appliedOn, workingDays, calendar);
  return { expectedReadyDate, deadline: addDays(expectedReadyDate, PICKUP_DEADLINE_DAYS) };
}

/** Cached calendar for bulk work (the collection import), keyed by the first day asked for. */
export class ReceiptDateCalculator {
  private calendar: Map<string, 'holiday' | 'workday'> | undefined;
  private from = '';
  private to = '';

  constructor(private readonly conn: Conn) {}

  async datesFor(
    appliedOn: string,
    holderAge: number,
  ): Promise<{ expectedReadyDate: string; deadline: string }> {
    const workingDays = holderAge >= ELDERLY_AGE ? WORKING_DAYS_TO_READY_ELDERLY : WORKING_DAYS_TO_READY;
    const until = addDays(appliedOn, calendarSpanFor(WORKING_DAYS_TO_READY));
    if (!this.calendar || appliedOn < this.from || until > this.to) {
      this.from = addDays(appliedOn, -60);
      this.to = addDays(until, 60);
      this.calendar = await referenceRepository.calendarBetween(this.conn, this.from, this.to);
    }
    const expectedReadyDate = addWorkingDays(appliedOn, workingDays, this.calendar);
    return { expectedReadyDate, deadline: addDays(expectedReadyDate, PICKUP_DEADLINE_DAYS) };
  }
}
