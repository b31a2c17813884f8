/**
 * `pipeline restate --month M`: rebuilds exactly the partitions whose inputs changed since they were
 * built (src/runtime/status.ts), oldest first; recomputes the month as of the same date as before;
 * then writes the exports again: a new version with the earlier one kept under versions/ and a
 * unit-by-unit diff, or nothing when no number changed.
 */
import { Services } from '../runtime/context.js';
import { JobResult } from '../runtime/job.js';
import { monthStatus } from '../runtime/status.js';
import { BillingMonth } from '../time/time.js';
import { MONTHLY_GRAPH, isJobName } from './graph.js';
import { RunOptions, runGraph, runOne } from './runner.js';

export async function restateMonth(services: Services, month: BillingMonth, flags: { final?: boolean; allowPartial?: boolean }, options: RunOptions = {}): Promise<JobResult[]> {
  const statuses = await monthStatus(services, month);
  const results: JobResult[] = [];
  const rebuild = statuses
    .filter((s) => s.state !== 'current' && s.job.endsWith('_daily') && s.job !== 'ace_unit_calc_daily')
    .sort((a, b) => (a.period === b.period ? a.job.localeCompare(b.job) : a.period < b.period ? -1 : 1));
  services.log.info({ event: 'restate.plan', partitions: rebuild.length }, `restating ${month}: ${rebuild.length} partition(s) to rebuild`);
  for (const s of rebuild) {
    if (isJobName(s.job)) results.push(await runOne(services, s.job, { date: s.period }, options.onEvent));
  }
  const calc = statuses.find((s) => s.job === 'ace_unit_calc_daily');
  if (calc && (calc.state !== 'current' || rebuild.length > 0) && calc.state !== 'missing') {
    results.push(await runOne(services, 'ace_unit_calc_daily', { date: calc.period }, options.onEvent));
  }
  results.push(...(await runGraph(services, MONTHLY_GRAPH, { month, flags }, options)));
  return results;
}
