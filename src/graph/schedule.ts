/**
 * Pure: which dates the scheduled daily run processes (SPEC "Schedule"), for the local scheduled form
 * (`npm run pipeline -- daily`) and the production daily state machine alike.
 *
 * The one rule: a run at `now` processes every complete date after the newest date whose window had
 * closed at the last *successful* scheduled run, through yesterday. Windows close in date order, so
 * "closed since the last successful run" is a date range, and what a successful run must remember is
 * one date, `closed_through`. Both forms keep it in the lake's `_state/daily_last_run.json`
 * (DAILY_STATE_KEY): the local form writes it after its last date succeeded, the state machine after
 * its Map succeeded; a failed run writes nothing, so the next run starts from the same date again.
 */
import { BillingMonth, BusinessDate, addDays, businessDateOf, datesBetween, monthOf, previousMonth } from '../time/time.js';

/** Key, relative to the lake root, of the last successful scheduled daily run. */
export const DAILY_STATE_KEY = '_state/daily_last_run.json';

/** What a successful scheduled run records (and the state machine writes: same fields). */
export interface DailyRunState {
  /** When the run planned its dates (ISO-8601 UTC). */
  at: string;
  /** Newest date whose arrival window had closed at `at`: every date up to it is final. */
  closed_through: BusinessDate;
  /** Newest month whose every date's window had closed at `at` (the month close needs ≥ its month). */
  closed_month: BillingMonth;
  /** The dates the run processed. */
  dates: BusinessDate[];
}

const HOUR_MS = 3_600_000;

/**
 * Newest date D whose window had closed at `at`: end(D) + lateness ≤ at. end(D) is midnight ET
 * starting D+1, and midnight ET starting X is ≤ t exactly when X ≤ the ET date of t, so D is the ET
 * date of (at − lateness), minus one day: DST-safe with no arithmetic on local hours.
 */
export function closedThrough(at: Date, latenessHours: number): BusinessDate {
  return addDays(businessDateOf(new Date(at.getTime() - latenessHours * HOUR_MS)), -1);
}

/** Newest month all of whose dates are on or before `closed`. */
export function closedMonth(closed: BusinessDate): BillingMonth {
  return previousMonth(monthOf(addDays(closed, 1)));
}

/**
 * The dates a scheduled run at `now` processes, oldest first: after `last.closed_through` (the last
 * successful scheduled run), or when there is none, after what had closed 24 hours ago; through
 * yesterday (the newest complete date). With the default lateness at 04:15 ET: yesterday and the
 * two days before; after an outage, every date whose window closed in between as well.
 */
export function scheduledDates(now: Date, latenessHours: number, last: Pick<DailyRunState, 'closed_through'> | null): BusinessDate[] {
  const after = last ? last.closed_through : closedThrough(new Date(now.getTime() - 24 * HOUR_MS), latenessHours);
  return datesBetween(addDays(after, 1), addDays(businessDateOf(now), -1));
}

/** The state a successful scheduled run planned at `at` records. */
export function dailyRunState(at: Date, latenessHours: number, dates: BusinessDate[]): DailyRunState {
  const closed = closedThrough(at, latenessHours);
  return { at: at.toISOString(), closed_through: closed, closed_month: closedMonth(closed), dates };
}

/**
 * Reads a stored state. A state written before `closed_through` existed (`{at, dates}`) counts from
 * its `at`. An unreadable one is stale, like every `_state/` object: `warn` names it and the run plans
 * as if there were none (the last 24 hours); a date that plan misses is still named by the month close.
 */
export function parseDailyRunState(text: string | null, latenessHours: number, warn: (message: string) => void): Pick<DailyRunState, 'closed_through'> | null {
  if (text === null) return null;
  let value: Partial<DailyRunState> = {};
  try {
    value = (JSON.parse(text) ?? {}) as Partial<DailyRunState>;
  } catch {
    // judged below, with the same message as any other unreadable state
  }
  if (typeof value.closed_through === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value.closed_through)) return { closed_through: value.closed_through };
  if (typeof value.at === 'string' && !Number.isNaN(Date.parse(value.at))) return { closed_through: closedThrough(new Date(value.at), latenessHours) };
  warn(
    `${DAILY_STATE_KEY} is not a scheduled-run state ({"at", "closed_through", …}); treated as absent (stale), so this run plans the last 24 hours only: ` +
      `to catch up an outage, run \`pipeline daily --from … --to …\` for the dates before, or write {"closed_through": "YYYY-MM-DD"} with the newest date already final`,
  );
  return null;
}

/**
 * The same rule in Athena (Trino) SQL, for the state machine, which has no date arithmetic of its own.
 * One row: `dates` (a JSON array, oldest first), `closed_through` and `closed_month` of this run. With `fromState`, the query has one execution parameter: the stored `closed_through`.
 * Each term is the TypeScript above: `now_et_date − 1` is yesterday; `closed(t)` is
 * `CAST((t − lateness) AT TIME ZONE 'America/New_York' AS date) − 1 day`.
 */
export function scheduledDatesSql(latenessHours: number, fromState: boolean): string {
  const closedAt = (instant: string) =>
    `date_add('day', -1, CAST((${instant} - INTERVAL '${latenessHours}' HOUR) AT TIME ZONE 'America/New_York' AS date))`;
  const after = fromState ? `CAST(? AS date)` : closedAt(`current_timestamp - INTERVAL '24' HOUR`);
  const yesterday = `date_add('day', -1, CAST(current_timestamp AT TIME ZONE 'America/New_York' AS date))`;
  // filter(): sequence() counts down when start > stop; an empty plan must stay empty.
  return (
    `SELECT json_format(CAST(transform(filter(sequence(date_add('day', 1, p.after), p.yesterday), d -> d > p.after AND d <= p.yesterday), ` +
    `d -> CAST(d AS varchar)) AS JSON)) AS dates, CAST(p.closed AS varchar) AS closed_through, ` +
    `date_format(date_add('month', -1, date_add('day', 1, p.closed)), '%Y-%m') AS closed_month ` +
    `FROM (SELECT ${after} AS after, ${yesterday} AS yesterday, ${closedAt('current_timestamp')} AS closed) AS p`
  );
}
