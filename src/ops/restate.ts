/**
 * `pipeline restate --month M`: rebuilds exactly the partitions whose inputs changed since they were
 * built (jobs/steps/freshness.ts), oldest first; recomputes the month as of the same date as before;
 * then writes the exports again: a new version with the earlier one kept under versions/ and a
 * unit-by-unit diff, or nothing when no number changed.
 */
import { monthStatus } from './status.js';
import { Services } from '../run/context.js';
import { JobResult } from '../run/job.js';
import { BillingMonth, parseBusinessDate } from '../time/time.js';
import { DAILY_GRAPH, MONTHLY_GRAPH, isJobName, levelsOf } from '../graph/graph.js';
import { RunOptions, runGraph, runOne } from '../graph/runner.js';

export async function restateMonth(services: Services, month: BillingMonth, flags: { final?: boolean; allowPartial?: boolean }, options: RunOptions = {}): Promise<JobResult[]> {
  const statuses = await monthStatus(services, month);
  // Daily partitions in the graph's order: every ingest date first, then the calc as of its date.
  const level = new Map(levelsOf(DAILY_GRAPH).flatMap((jobs, i) => jobs.map((j) => [j as string, i] as const)));
  const rebuild = statuses
    .filter((s) => s.state !== 'current' && level.has(s.job) && parseBusinessDate(s.period) !== null)
    .sort((a, b) => level.get(a.job)! - level.get(b.job)! || (a.period === b.period ? a.job.localeCompare(b.job) : a.period < b.period ? -1 : 1));
  services.log.info({ event: 'restate.plan', partitions: rebuild.length }, `restating ${month}: ${rebuild.length} partition(s) to rebuild`);
  const results: JobResult[] = [];
  for (const s of rebuild) {
    if (isJobName(s.job)) results.push(await runOne(services, s.job, { date: s.period }, options.onEvent));
  }
  results.push(...(await runGraph(services, MONTHLY_GRAPH, { month, flags }, options)));
  return results;
}
