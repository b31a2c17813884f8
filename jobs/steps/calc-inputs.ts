/**
 * The calc's inputs for month M as of D, from pointers only (nothing downloaded): per date of the month
 * so far, the delivered partition, the attempted partitions of its lookback and the day's intermediates
 * as they stand; the fingerprint of them all; and what is missing. Used by the job and by `status`.
 */
import crypto from 'node:crypto';
import { ObjectStore } from '../../src/lake/objectStore.js';
import { Pointer, readPointer } from '../../src/lake/publish.js';
import { TABLES } from '../../src/rules/tables.js';
import { RULE_VERSION } from '../../src/rules/ace.js';
import { BillingMonth, BusinessDate, addDays, datesBetween, firstDayOf, monthOf } from '../../src/time/time.js';
import { JobInputs } from '../../src/run/job.js';

export interface CalcDay {
  date: BusinessDate;
  delivered: Pointer | null;
  /** notification_attempted of [date − lookback, date], oldest first (null where missing). */
  attempted: { date: BusinessDate; pointer: Pointer | null }[];
  /** The versions the day's intermediates are built from; equal to theirs when they are current. */
  fingerprint: string;
  /** The day's intermediates as they stand. */
  current: { engagements: Pointer | null; unattributed: Pointer | null; attempts: Pointer | null };
}

export interface CalcInputs extends JobInputs {
  fingerprint: string;
  month: BillingMonth;
  asOf: BusinessDate;
  lookback: number;
  days: CalcDay[];
  /** Partitions of the month that do not exist (the run fails naming them). */
  missing: string[];
  /** Lookback dates before M-01 without attempts (the run warns). */
  missingLookback: BusinessDate[];
}

/** The calc's inputs as of `asOf`; `fingerprint` covers every input version, the rule and the lookback. */
export async function calcInputs(store: ObjectStore, asOf: BusinessDate, lookback: number): Promise<CalcInputs> {
  const month = monthOf(asOf);
  const first = firstDayOf(month);
  const allDates = datesBetween(addDays(first, -lookback), asOf);
  const read = (table: typeof TABLES.notification_delivered, dates: BusinessDate[]) => Promise.all(dates.map((d) => readPointer(store, table, d)));
  const monthDates = datesBetween(first, asOf);
  const [attempted, delivered, engagements, unattributed, attempts] = await Promise.all([
    read(TABLES.notification_attempted, allDates),
    read(TABLES.notification_delivered, allDates),
    read(TABLES.ace_engagement_daily, monthDates),
    read(TABLES.unattributed_deliveries, monthDates),
    read(TABLES.ace_attempt_daily, monthDates),
  ]);
  const missing: string[] = [];
  const versions: string[] = [];
  allDates.forEach((d, i) => {
    for (const [t, p] of [[TABLES.notification_delivered, delivered[i]], [TABLES.notification_attempted, attempted[i]]] as const) {
      versions.push(`${t.name}/${d}=${p?.runId ?? 'none'}`);
      if (!p && d >= first) missing.push(`${t.name} dt=${d}`);
    }
  });
  const missingLookback = allDates.filter((d, i) => d < first && !attempted[i]);
  const days = monthDates.map((date, j): CalcDay => {
    const i = allDates.indexOf(date);
    const window = allDates.slice(Math.max(0, i - lookback), i + 1).map((d, k) => ({ date: d, pointer: attempted[Math.max(0, i - lookback) + k] }));
    // The same JSON the intermediates record: the input versions they were built from.
    const fingerprint = JSON.stringify({
      delivered: delivered[i]?.runId ?? null,
      attempted: Object.fromEntries(window.map((w) => [w.date, w.pointer?.runId ?? null])),
      attributionDays: lookback,
      ruleVersion: RULE_VERSION,
    });
    return { date, delivered: delivered[i], attempted: window, fingerprint, current: { engagements: engagements[j], unattributed: unattributed[j], attempts: attempts[j] } };
  });
  const fingerprint = crypto.createHash('sha256').update(JSON.stringify({ rule: RULE_VERSION, asOf, lookback, inputs: versions })).digest('hex');
  return { fingerprint, month, asOf, lookback, days, missing, missingLookback };
}
