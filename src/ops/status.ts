/**
 * `npm run status`: the status of every partition the numbers of a month depend on: the daily ones
 * (jobs/steps/freshness.ts, from the job declarations), then each monthly export, current while it was
 * built from the current audit and nothing upstream is stale. `pipeline restate` rebuilds the stale ones.
 */
import { PartitionStatus, dailyStatus } from '../../jobs/steps/freshness.js';
import { JOBS } from '../../jobs/index.js';
import { readJson } from '../lake/json.js';
import { readPointer } from '../lake/publish.js';
import { TABLES } from '../rules/tables.js';
import { Services } from '../run/context.js';
import { BillingMonth } from '../time/time.js';
import { MONTHLY_GRAPH } from '../graph/graph.js';

export type { PartitionStatus };

export async function monthStatus(services: Services, month: BillingMonth): Promise<PartitionStatus[]> {
  const out = await dailyStatus(services, month);
  const audit = await readPointer(services.store, TABLES.ace_unit_audit, month);
  const calc = JOBS.ace_unit_calc_daily.name;
  const lookup = JOBS.outcome_experience_lookup_daily.name;
  const lookupsChanged = out.some((s) => s.job === lookup && s.state !== 'current');
  for (const job of MONTHLY_GRAPH.nodes.map((n) => n.job)) {
    const manifest = await readJson<{ source_run_ids: Record<string, unknown>; version: number }>(services.exportStore, `${job}/billing_month=${month}/_manifest.json`);
    const calcStale = out.some((s) => s.job === calc && s.state !== 'current');
    if (!manifest) out.push({ job, period: month, state: 'missing', reason: 'never exported' });
    else if (calcStale || manifest.source_run_ids.ace_unit_audit !== audit?.runId || lookupsChanged) {
      out.push({ job, period: month, state: 'stale', reason: `version ${manifest.version} was built from other inputs${lookupsChanged ? ' (experience config changed)' : ''}` });
    } else out.push({ job, period: month, state: 'current', reason: `version ${manifest.version}` });
  }
  return out;
}
