/**
 * The local graph runner's scheduling (src/graph/runner.ts), with jobs that only record when they ran:
 * one job at a time by default, in the graph's declared order with dependencies first; at most
 * `parallel` at once otherwise; after a failed job no job starts (jobs already running finish).
 */
import { DAILY_GRAPH, Graph, JobName } from '../../src/graph/graph';
import { GraphFailedError, scheduleGraph } from '../../src/graph/runner';
import { JobResult } from '../../src/run/job';
import { parseParallel } from '../../src/cli/args';

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

test('a job listed before its dependency waits for it without holding the only slot', async () => {
  const graph: Graph = {
    name: 'daily',
    period: 'date',
    nodes: [
      { job: 'ace_unit_calc_daily', after: ['notification_attempted_daily'] },
      { job: 'dim_customer_daily', after: [] },
      { job: 'notification_attempted_daily', after: [] },
    ],
  };
  const r = recorder();
  const results = await scheduleGraph(graph, '2026-04-01', r.run, 1);
  expect(r.most()).toBe(1);
  expect(r.events.indexOf('start ace_unit_calc_daily')).toBeGreaterThan(r.events.indexOf('end notification_attempted_daily'));
  expect(results.map((x) => x.job)).toEqual(['ace_unit_calc_daily', 'dim_customer_daily', 'notification_attempted_daily']);
}, 120_000); // a deadlock would hang: fail (the bound is generous for a busy machine)

test('after a failed job no job starts, and the error names the failed job', async () => {
  const r = recorder(['notification_attempted_daily']);
  const err = await scheduleGraph(DAILY_GRAPH, '2026-04-01', r.run, 1).catch((e) => e);
  expect(err).toBeInstanceOf(GraphFailedError);
  expect(err.message).toBe('notification_attempted_daily 2026-04-01 failed: boom');
  expect(r.events).toEqual(['start notification_attempted_daily', 'end notification_attempted_daily']);
  expect(err.results).toEqual([]);
});

test('a failed lookup stops the calc too, as a failed level does in Step Functions', async () => {
  const r = recorder(['outcome_experience_lookup_daily']);
  const err = await scheduleGraph(DAILY_GRAPH, '2026-04-01', r.run, 1).catch((e) => e);
  expect(err.failedJob).toBe('outcome_experience_lookup_daily');
  expect(r.events).not.toContain('start dim_customer_daily');
  expect(r.events).not.toContain('start ace_unit_calc_daily');
  expect(err.results.map((x: JobResult) => x.job)).toEqual(['notification_attempted_daily', 'notification_delivered_daily']);
});

test('with parallel = 2 the jobs already running when one fails finish, and the results keep graph order', async () => {
  const r = recorder(['notification_delivered_daily']);
  const err = await scheduleGraph(DAILY_GRAPH, '2026-04-01', r.run, 2).catch((e) => e);
  expect(err.failedJob).toBe('notification_delivered_daily');
  expect(r.events).toContain('end notification_attempted_daily');
  expect(r.events).not.toContain('start ace_unit_calc_daily');
  const jobs = err.results.map((x: JobResult) => x.job);
  expect(jobs).not.toContain('notification_delivered_daily');
  expect(jobs).toEqual(daily.filter((j) => jobs.includes(j)));
});

test('parallel must be a whole number of at least 1', async () => {
  await expect(scheduleGraph(DAILY_GRAPH, '2026-04-01', recorder().run, 0)).rejects.toThrow(/parallel/);
});

test.each([
  [undefined, 1],
  ['1', 1],
  ['2', 2],
  ['16', 16],
])('--parallel %p is %p', (value, expected) => {
  expect(parseParallel(value)).toBe(expected);
});

test.each(['0', '-1', '1.5', 'two', '', '02', '1000'])('--parallel %p is refused, naming the flag and the value', (value) => {
  expect(() => parseParallel(value)).toThrow(`--parallel ${JSON.stringify(value)} is not valid`);
});
