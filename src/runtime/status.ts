/**
 * What changed since a month was built: for every partition the month's numbers depend on, is its
 * current version still built from the current inputs? Ingest partitions compare the fingerprint of
 * the raw objects now in their window; the calc compares its input versions; exports compare the
 * audit version they were built from. `pipeline restate` rebuilds exactly the stale ones.
 */
import { JOBS } from '../../jobs/index.js';
import { calcInputs } from '../../jobs/ace_unit_calc_daily.js';
import { readPointer } from '../lake/publish.js';
import { TABLES, TableDef } from '../rules/tables.js';
import { BillingMonth, BusinessDate, addDays, datesBetween, firstDayOf, lastDayOf, windowClosesAt } from '../time/time.js';
import { ConfigError } from '../errors.js';
import { Services } from './context.js';
import { ingestFingerprint, listRawFiles } from './ingest.js';
import { JobDefinition } from './job.js';
import { StreamSpec } from '../sql/ingest.js';
import { MONTHLY_JOBS } from '../graph/graph.js';
import { readJson } from '../lake/json.js';

export interface PartitionStatus {
  job: string;
  period: string;
  state: 'current' | 'stale' | 'missing';
  reason: string;
}

type IngestJob = JobDefinition & { ingest: { spec: StreamSpec; table: TableDef; hours: (d: BusinessDate, l: number) => { read: Date[]; owned: Date[] } } };

async function ingestStatus(services: Services, job: IngestJob, date: BusinessDate): Promise<PartitionStatus> {
  const { spec, table, hours } = job.ingest;
  const h = hours(date, services.config.latenessHours);
  const pointer = await readPointer(services.store, table, date);
  if (!pointer) return { job: job.name, period: date, state: 'missing', reason: `${table.name} ${table.partitionKey}=${date} was never built` };
  const files = await listRawFiles(services.raw, spec.stream, h.read, h.owned);
  const fp = ingestFingerprint(spec, files, services.config.latenessHours, services.config.maxRejectRate, services.config.customerIdKey);
  return fp === pointer.fingerprint
    ? { job: job.name, period: date, state: 'current', reason: '' }
    : { job: job.name, period: date, state: 'stale', reason: `raw files in its window changed since run ${pointer.runId} (late or replaced data)` };
}

/** The status of every partition the numbers of `month` depend on. */
export async function monthStatus(services: Services, month: BillingMonth): Promise<PartitionStatus[]> {
  const first = firstDayOf(month);
  const last = lastDayOf(month);
  const lookback = services.config.attributionDays;
  const out: PartitionStatus[] = [];
  for (const date of datesBetween(addDays(first, -lookback), last)) {
    for (const name of ['notification_attempted_daily', 'notification_delivered_daily', 'outcome_experience_lookup_daily'] as const) {
      if (date < first && name !== 'notification_attempted_daily') continue;
      out.push(await ingestStatus(services, JOBS[name] as IngestJob, date));
    }
  }
  const agg = await readPointer(services.store, TABLES.ace_unit_agg, month);
  const audit = await readPointer(services.store, TABLES.ace_unit_audit, month);
  if (!agg || !audit) {
    out.push({ job: 'ace_unit_calc_daily', period: month, state: 'missing', reason: `no ace_unit_audit for ${month}` });
  } else {
    const asOf = String(audit.meta.as_of_date) as BusinessDate;
    const upstreamStale = out.some((s) => s.state !== 'current' && s.job !== 'outcome_experience_lookup_daily');
    const { fingerprint } = await calcInputs(services.store, asOf, lookback);
    out.push(
      fingerprint === agg.fingerprint && !upstreamStale
        ? { job: 'ace_unit_calc_daily', period: asOf, state: 'current', reason: '' }
        : { job: 'ace_unit_calc_daily', period: asOf, state: 'stale', reason: upstreamStale ? 'input partitions are stale' : 'input partitions were rebuilt since the calc ran' },
    );
  }
  const lookupsChanged = out.some((s) => s.job === 'outcome_experience_lookup_daily' && s.state !== 'current');
  for (const job of MONTHLY_JOBS) {
    const manifest = await readJson<{ source_run_ids: Record<string, unknown>; version: number }>(services.exportStore, `${job}/billing_month=${month}/_manifest.json`);
    const calcStale = out.some((s) => s.job === 'ace_unit_calc_daily' && s.state !== 'current');
    if (!manifest) out.push({ job, period: month, state: 'missing', reason: 'never exported' });
    else if (calcStale || manifest.source_run_ids.ace_unit_audit !== audit?.runId || lookupsChanged) {
      out.push({ job, period: month, state: 'stale', reason: `version ${manifest.version} was built from other inputs${lookupsChanged ? ' (experience config changed)' : ''}` });
    } else out.push({ job, period: month, state: 'current', reason: `version ${manifest.version}` });
  }
  return out;
}

/**
 * Now, or `ACE_NOW` (an ISO-8601 instant) to rehearse a scheduled run or a month close at another
 * moment: the scheduled daily plan and the month close's window check read the clock through it.
 */
export function currentTime(env: NodeJS.ProcessEnv = process.env): Date {
  const raw = env.ACE_NOW;
  if (raw === undefined || raw === '') return new Date();
  const t = Date.parse(raw);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(raw) || Number.isNaN(t)) throw new ConfigError(`ACE_NOW=${raw} is not valid: use an ISO-8601 instant such as 2026-03-03T11:00:00Z, or unset it`);
  return new Date(t);
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
 * missing (`monthStatus`, the exports themselves aside); the calc is not as of the last day; or
 * there is no client snapshot (dim_customer) for the last day, which the exports read.
 */
export async function monthCloseBlockers(services: Services, month: BillingMonth, now: Date): Promise<CloseBlocker[]> {
  const last = lastDayOf(month);
  const out: CloseBlocker[] = [];
  const closesAt = windowClosesAt(last, services.config.latenessHours);
  if (now < closesAt) out.push({ job: 'window', state: 'open', periods: [last], reason: `the arrival window of ${last} closes at ${closesAt.toISOString()}` });
  const statuses = (await monthStatus(services, month)).filter((s) => !(MONTHLY_JOBS as readonly string[]).includes(s.job));
  for (const s of statuses) {
    if (s.job === 'ace_unit_calc_daily' && s.state !== 'missing' && s.period !== last) {
      out.push({ job: s.job, state: 'partial', periods: [s.period], reason: `the month is computed as of ${s.period}, not ${last}` });
    }
    if (s.state === 'current') continue;
    const same = out.find((b) => b.job === s.job && b.state === s.state);
    if (same) same.periods.push(s.period);
    else out.push({ job: s.job, state: s.state, periods: [s.period], reason: s.reason.replace(/ since run \S+/, ' since it was built') });
  }
  if (!(await readPointer(services.store, TABLES.dim_customer, last))) {
    out.push({ job: 'dim_customer_daily', state: 'missing', periods: [last], reason: `no client snapshot for ${last}, the day the exports take client attributes from` });
  }
  return out;
}

/** `notification_delivered_daily 2026-02-26, 2026-02-27 stale (…)`, for one-line messages. */
export function describeBlocker(b: CloseBlocker): string {
  const what = b.state === 'open' ? 'window still open' : b.state;
  return `${b.job === 'window' ? '' : `${b.job} `}${b.periods.join(', ')} ${what} (${b.reason})`;
}
