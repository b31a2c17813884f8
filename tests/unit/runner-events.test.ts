/**
 * The events the graph runner reports (src/graph/runner.ts), which the terminal console renders:
 * started and finished per job with its result, failed with the reason, and not_run for the jobs that
 * never started after a failure. A listener that throws never fails the run.
 */
import { DAILY_GRAPH, JobName } from '../../src/graph/graph';
import { GraphFailedError, JobEvent, scheduleGraph } from '../../src/graph/runner';
import { JobResult } from '../../src/run/job';

const D = '2026-04-01';
const ok = (job: JobName): JobResult => ({ job, runId: 'r', status: 'succeeded', rows: 7, elapsedMs: 0, warnings: [], details: {}, published: [] });
const brief = (e: JobEvent) => `${e.type} ${e.job}`;

test('each job: started, then finished with its result, in the order they ran', async () => {
  const events: JobEvent[] = [];
  await scheduleGraph(DAILY_GRAPH, D, async (job) => ok(job), 1, (e) => events.push(e));
  expect(events.map(brief)).toEqual(DAILY_GRAPH.nodes.flatMap((n) => [`job.started ${n.job}`, `job.finished ${n.job}`]));
  expect(events.every((e) => e.period === D)).toBe(true);
  expect(events.find((e) => e.type === 'job.finished' && e.job === 'ace_unit_calc_daily')).toMatchObject({ result: { rows: 7 } });
});

test('a failed job reports its reason; the jobs that never started report not_run', async () => {
  const events: JobEvent[] = [];
  const run = async (job: JobName) => {
    if (job === 'notification_delivered_daily') throw new Error(`${job} ${D}: boom`);
    return ok(job);
  };
  await expect(scheduleGraph(DAILY_GRAPH, D, run, 1, (e) => events.push(e))).rejects.toThrow(GraphFailedError);
  expect(events.slice(0, 4).map(brief)).toEqual([
    'job.started notification_attempted_daily',
    'job.finished notification_attempted_daily',
    'job.started notification_delivered_daily',
    'job.failed notification_delivered_daily',
  ]);
  // The order of the jobs that never started is the scheduler's business.
  expect(events.slice(4).map(brief).sort()).toEqual(['job.not_run ace_unit_calc_daily', 'job.not_run dim_customer_daily', 'job.not_run outcome_experience_lookup_daily']);
  expect(events[3]).toMatchObject({ error: `notification_delivered_daily ${D}: boom`, superseded: false });
});

test('a listener that throws does not fail the graph', async () => {
  const results = await scheduleGraph(DAILY_GRAPH, D, async (job) => ok(job), 1, () => {
    throw new Error('display broke');
  });
  expect(results).toHaveLength(DAILY_GRAPH.nodes.length);
});
