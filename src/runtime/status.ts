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
import { BillingMonth, BusinessDate, addDays, datesBetween, firstDayOf, lastDayOf } from '../time/time.js';
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
