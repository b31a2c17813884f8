/** Pure: which dates the scheduled daily run processes. */
import { BusinessDate, addDays, businessDateOf, windowClosesAt, windowOf } from '../time/time.js';

/**
 * Every complete date whose arrival window is still open now, or closed since the previous scheduled
 * run (or within the last 24 h when there is none), oldest first. With the default lateness at 04:15 ET:
 * yesterday and the two days before.
 */
export function openDates(now: Date, latenessHours: number, lastRun: Date | null): BusinessDate[] {
  const since = lastRun ?? new Date(now.getTime() - 24 * 3_600_000);
  const out: BusinessDate[] = [];
  let d = addDays(businessDateOf(now), -1);
  while (windowOf(d).endUtc <= now && windowClosesAt(d, latenessHours) > since) {
    out.unshift(d);
    d = addDays(d, -1);
  }
  return out;
}
