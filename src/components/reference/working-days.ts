import { addDays, weekday } from '../../platform/dates';

/**
 * The day that is `count` working days after `from`, counting from the next day: Monday to Friday,
 * less public holidays, plus make-up working days on weekends (the calendar table).
 */
export function addWorkingDays(
  from: string,
  count: number,
  calendar: Map<string, 'holiday' | 'workday'>,
): string {
  let day = from;
  let left = count;
  while (left > 0) {
    day = addDays(day, 1);
    const special = calendar.get(day);
    const dow = weekday(day);
    const working = special === 'workday' || (special !== 'holiday' && dow !== 0 && dow !== 6);
    if (working) left--;
  }
  return day;
}

/** Enough calendar days to hold `count` working days even around the Spring Festival. */
export function calendarSpanFor(count: number): number {
  return count * 2 + 21;
}
