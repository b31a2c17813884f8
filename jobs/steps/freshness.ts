/**
 * What changed since a month was built, from the job declarations: for every daily partition the
 * month's numbers depend on, is its current version still built from its inputs as they are now (the
 * marker's fingerprint against `job.inputs`)? And the month close's blockers. `status` and `restate`
 * (src/ops/) add the exports.
 */
import { readPointer } from '../../src/lake/publish.js';
import { TABLES } from '../../src/rules/tables.js';
import { BillingMonth, BusinessDate, addDays, datesBetween, firstDayOf, lastDayOf, windowClosesAt } from '../../src/time/time.js';
import { Services } from '../../src/run/context.js';
import { Job, JobInputs } from '../../src/run/job.js';
import type { IngestJob } from './ingest.js';
import { notificationAttemptedDaily } from '../notification_attempted_daily.js';
import { notificationDeliveredDaily } from '../notification_delivered_daily.js';
import { outcomeExperienceLookupDaily } from '../outcome_experience_lookup_daily.js';
import { aceUnitCalcDaily } from '../ace_unit_calc_daily.js';
import { dimCustomerDaily } from '../dim_customer_daily.js';

const dimCustomer = dimCustomerDaily.name;

export interface PartitionStatus {
  job: string;
  period: string;
  state: 'current' | 'stale' | 'missing';
  reason: string;
}

/** A fingerprinted job's partition for a date: current when the marker's fingerprint equals its inputs' now. */
async function partitionStatus(services: Services, job: Job<JobInputs>, date: BusinessDate): Promise<PartitionStatus> {
  const period = { kind: 'date', date } as const;
  const { table, value } = job.marker!(period);
  const pointer = await readPointer(services.store, table, value);
  if (!pointer) return { job: job.name, period: date, state: 'missing', reason: `${table.name} ${table.partitionKey}=${value} was never built` };
  const { fingerprint } = await job.inputs(services, period);
  return fingerprint === pointer.fingerprint
    ? { job: job.name, period: date, state: 'current', reason: '' }
    : { job: job.name, period: date, state: 'stale', reason: `raw files in its window changed since run ${pointer.runId} (late or replaced data)` };
}

/** The ingest partitions a month's numbers read: attempts over the lookback too, the rest over the month (the certificate lists the same). */
export const MONTH_INPUTS: { job: IngestJob; lookback: boolean }[] = [
  { job: notificationAttemptedDaily, lookback: true },
  { job: notificationDeliveredDaily, lookback: false },
  { job: outcomeExperienceLookupDaily, lookback: false },
];

/** The status of every daily partition the numbers of `month` depend on (ingest and calc). */
export async function dailyStatus(services: Services, month: BillingMonth): Promise<PartitionStatus[]> {
  const first = firstDayOf(month);
  const last = lastDayOf(month);
  const lookback = services.config.attributionDays;
  const out: PartitionStatus[] = [];
  for (const date of datesBetween(addDays(first, -lookback), last)) {
    for (const input of MONTH_INPUTS) {
      if (date < first && !input.lookback) continue;
      out.push(await partitionStatus(services, input.job, date));
    }
  }
  const agg = await readPointer(services.store, TABLES.ace_unit_agg, month);
  const audit = await readPointer(services.store, TABLES.ace_unit_audit, month);
  if (!agg || !audit) {
    out.push({ job: aceUnitCalcDaily.name, period: month, state: 'missing', reason: `no ace_unit_audit for ${month}` });
  } else {
    const asOf = String(audit.meta.as_of_date) as BusinessDate;
    const upstreamStale = out.some((s) => s.state !== 'current' && s.job !== outcomeExperienceLookupDaily.name);
    const { fingerprint } = await aceUnitCalcDaily.inputs(services, { kind: 'date', date: asOf });
    out.push(
      fingerprint === agg.fingerprint && !upstreamStale
        ? { job: aceUnitCalcDaily.name, period: asOf, state: 'current', reason: '' }
        : { job: aceUnitCalcDaily.name, period: asOf, state: 'stale', reason: upstreamStale ? 'input partitions are stale' : 'input partitions were rebuilt since the calc ran' },
    );
  }
  return out;
}

/** One reason the month cannot be closed, with every period it concerns. */
export interface CloseBlocker {
  job: string;
  state: 'stale' | 'missing' | 'open' | 'partial';
  periods: string[];
  reason: string;
}

/**
 * Why month M cannot be marked final at `now` (SPEC "Schedule", month close); empty when it can:
 * the last day's window is still open; a partition the month's numbers depend on is stale or
 * missing (`dailyStatus`); the calc is not as of the last day; or
 * there is no client snapshot (dim_customer) for the last day, which the exports read.
 */
export async function monthCloseBlockers(services: Services, month: BillingMonth, now: Date): Promise<CloseBlocker[]> {
  const last = lastDayOf(month);
  const out: CloseBlocker[] = [];
  const closesAt = windowClosesAt(last, services.config.latenessHours);
  if (now < closesAt) out.push({ job: 'window', state: 'open', periods: [last], reason: `the arrival window of ${last} closes at ${closesAt.toISOString()}` });
  const statuses = await dailyStatus(services, month);
  for (const s of statuses) {
    if (s.job === aceUnitCalcDaily.name && s.state !== 'missing' && s.period !== last) {
      out.push({ job: s.job, state: 'partial', periods: [s.period], reason: `the month is computed as of ${s.period}, not ${last}` });
    }
    if (s.state === 'current') continue;
    const same = out.find((b) => b.job === s.job && b.state === s.state);
    if (same) same.periods.push(s.period);
    else out.push({ job: s.job, state: s.state, periods: [s.period], reason: s.reason.replace(/ since run \S+/, ' since it was built') });
  }
  if (!(await readPointer(services.store, TABLES.dim_customer, last))) {
    out.push({ job: dimCustomer, state: 'missing', periods: [last], reason: `no client snapshot for ${last}, the day the exports take client attributes from` });
  }
  return out;
}

/** `notification_delivered_daily 2026-02-26, 2026-02-27 stale (…)`, for one-line messages. */
export function describeBlocker(b: CloseBlocker): string {
  const what = b.state === 'open' ? 'window still open' : b.state;
  return `${b.job === 'window' ? '' : `${b.job} `}${b.periods.join(', ')} ${what} (${b.reason})`;
}
