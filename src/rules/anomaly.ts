/**
 * Anomaly checks, pure: which history a metric's value on date D is judged against, the robust band
 * median ± k·MAD of that history, and the flags. Like Glue Data Quality's DetectAnomalies, but with
 * a rule a person can redo by hand (docs/decisions.md "Anomaly checks").
 */
import { BusinessDate, addDays } from '../time/time.js';

/** No value is judged before this many dates of history exist (SPEC "Interfaces", anomaly checks). */
export const MIN_HISTORY = 14;
/** The same weekday over the last 8 weeks … */
export const WEEKDAY_WEEKS = 8;
/** … once at least this many of those weeks have a value; before that, the last 28 days. */
export const WEEKDAY_MIN = 4;
export const LAST_DAYS = 28;
/**
 * The MAD used is at least this share of the median, at least √median for a count (its Poisson noise:
 * a few weeks of history can show a MAD far below it by chance), and at least the metric's absolute
 * floor, so a history that barely moves does not flag every small change: with k = 5 the band is at
 * least ± 25 % of the median. A 90 % drop of a count of 30 or more is always outside it.
 */
export const MIN_RELATIVE_MAD = 0.05;

export type Scope = 'stream' | 'client' | 'day';

/** One watched number: a metric of a stream, of a client, or of the whole day. */
export interface Series {
  scope: Scope;
  /** The stream, the client_id, or `all`. */
  subject: string;
  metric: string;
  /** A count (MAD at least √median and 1) or a share (MAD at least `floor`). */
  kind: 'count' | 'share';
  /** The smallest MAD that counts for a share. */
  floor: number;
  /** Value by date (YYYY-MM-DD); a date without a value has no data (not zero). */
  values: Map<string, number>;
}

export interface Band {
  basis: 'weekday' | 'last28';
  /** The history values the band was computed from. */
  history: number[];
  median: number;
  /** The MAD used: the history's MAD, raised to the floors of MIN_RELATIVE_MAD when smaller. */
  mad: number;
  low: number;
  high: number;
}

export interface Anomaly {
  date: string;
  scope: Scope;
  subject: string;
  metric: string;
  value: number;
  median: number;
  mad: number;
  low: number;
  high: number;
  basis: Band['basis'];
  history: number;
}

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Median absolute deviation from the median. */
export function mad(xs: number[]): number {
  const m = median(xs);
  return median(xs.map((x) => Math.abs(x - m)));
}

/**
 * The band for `date`, or null when fewer than MIN_HISTORY earlier dates have a value. The history is
 * the same weekday over the last WEEKDAY_WEEKS weeks when at least WEEKDAY_MIN of them have a value,
 * else the last LAST_DAYS days.
 */
export function bandFor(date: BusinessDate, values: Map<string, number>, k: number, kind: Series['kind'], floor = 0): Band | null {
  const earlier = [...values.keys()].filter((d) => d < date).length;
  if (earlier < MIN_HISTORY) return null;
  const pick = (dates: string[]) => dates.filter((d) => values.has(d)).map((d) => values.get(d) as number);
  const weekday = pick(Array.from({ length: WEEKDAY_WEEKS }, (_, i) => addDays(date, -7 * (i + 1))));
  const basis = weekday.length >= WEEKDAY_MIN ? 'weekday' : 'last28';
  const history = basis === 'weekday' ? weekday : pick(Array.from({ length: LAST_DAYS }, (_, i) => addDays(date, -(i + 1))));
  if (history.length === 0) return null;
  const m = median(history);
  const spread = Math.max(mad(history), MIN_RELATIVE_MAD * Math.abs(m), kind === 'count' ? Math.max(1, Math.sqrt(Math.abs(m))) : floor);
  return { basis, history, median: m, mad: spread, low: m - k * spread, high: m + k * spread };
}

/** The flags of `dates`: each series' value on each date judged against its band. */
export function detect(series: Series[], dates: string[], k: number): Anomaly[] {
  const out: Anomaly[] = [];
  for (const date of dates) {
    for (const s of series) {
      const value = s.values.get(date);
      if (value === undefined) continue;
      const band = bandFor(date as BusinessDate, s.values, k, s.kind, s.floor);
      if (!band || (value >= band.low && value <= band.high)) continue;
      out.push({ date, scope: s.scope, subject: s.subject, metric: s.metric, value, median: band.median, mad: band.mad, low: band.low, high: band.high, basis: band.basis, history: band.history.length });
    }
  }
  return out;
}

/** One line for a warning: `anomaly: client c07 delivered on 2026-03-18 = 10, outside [85, 115] (median 100 ± k·MAD of the same weekday, 8 values)`. */
export function describeAnomaly(a: Anomaly, k: number): string {
  const n = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(4).replace(/0+$/, '').replace(/\.$/, ''));
  const who = a.scope === 'day' ? 'all clients' : `${a.scope} ${a.subject}`;
  const basis = a.basis === 'weekday' ? `the same weekday over ${WEEKDAY_WEEKS} weeks` : `the last ${LAST_DAYS} days`;
  return `anomaly: ${who} ${a.metric} on ${a.date} = ${n(a.value)}, outside [${n(a.low)}, ${n(a.high)}] (median ${n(a.median)} ± ${k}·MAD ${n(a.mad)} of ${basis}, ${a.history} values)`;
}
