/**
 * The local graph runner's scheduling (src/graph/runner.ts), with jobs that only record when they ran:
 * one job at a time by default, in the graph's declared order with dependencies first; at most
 * `parallel` at once otherwise; a failed job stops what depends on it and nothing else.
 */
import { DAILY_GRAPH, JobName } from '../../src/graph/graph';
import { GraphFailedError, scheduleGraph } from '../../src/graph/runner';
import { JobResult } from '../../src/runtime/job';

function recorder(fail: JobName[] = []) {
  const events: string[] = [];
  let running = 0;
  let most = 0;
  const run = async (job: JobName): Promise<JobResult> => {
    events.push(`start ${job}`);
    most = Math.max(most, ++running);
    await new Promise((r) => setTimeout(r, 5));
    running--;
    events.push(`end ${job}`);
    if (fail.includes(job)) throw new Error(`${job} 2026-04-01: boom`);
    return { job, runId: 'r', status: 'succeeded', rows: 0, elapsedMs: 0, warnings: [], details: {}, published: [] };
  };
  return { run, events, most: () => most };
}

const daily = DAILY_GRAPH.nodes.map((n) => n.job);

test('by default the jobs run one at a time, in the declared order, the calc after both ingests', async () => {
  const r = recorder();
  const results = await scheduleGraph(DAILY_GRAPH, '2026-04-01', r.run, 1);
  expect(r.events).toEqual(daily.flatMap((j) => [`start ${j}`, `end ${j}`]));
  expect(results.map((x) => x.job)).toEqual(daily);
});

test('with parallel = 2 at most two jobs run at once and the calc still waits for both ingests', async () => {
  const r = recorder();
  await scheduleGraph(DAILY_GRAPH, '2026-04-01', r.run, 2);
  expect(r.most()).toBe(2);
  const at = (e: string) => r.events.indexOf(e);
  expect(at('start ace_unit_calc_daily')).toBeGreaterThan(at('end notification_attempted_daily'));
  expect(at('start ace_unit_calc_daily')).toBeGreaterThan(at('end notification_delivered_daily'));
});

test('a failed ingest skips the calc, lets the independent jobs run, and names the failed job', async () => {
  const r = recorder(['notification_attempted_daily']);
  const err = await scheduleGraph(DAILY_GRAPH, '2026-04-01', r.run, 1).catch((e) => e);
  expect(err).toBeInstanceOf(GraphFailedError);
  expect(err.message).toBe('notification_attempted_daily 2026-04-01 failed: boom');
  expect(r.events).not.toContain('start ace_unit_calc_daily');
  expect(err.results.map((x: JobResult) => x.job)).toEqual(['notification_delivered_daily', 'outcome_experience_lookup_daily', 'dim_customer_daily']);
});

test('parallel must be a whole number of at least 1', async () => {
  await expect(scheduleGraph(DAILY_GRAPH, '2026-04-01', recorder().run, 0)).rejects.toThrow(/parallel/);
});
