/**
 * The local runner of a graph for one date or month: each job starts once the jobs it comes `after`
 * have succeeded, and at most `parallel` jobs run at a time (default 1: one after the other, in the
 * graph's declared order). Locally every job shares one DuckDB engine whose threads already use every
 * core, so two jobs at once only split the cores and the engine's memory between them; measured at 10M
 * events a day, one at a time takes the same wall time and keeps the process's peak memory to that of
 * its largest job (docs/performance.md, "Memory"). In production each job is its own ECS task and
 * Step Functions runs independent jobs in parallel. A failed job fails the graph with its name and
 * reason once every job that does not depend on it has run; jobs downstream of it never start.
 */
import { AceError, oneLine } from '../errors.js';
import { JOBS } from '../../jobs/index.js';
import { Services } from '../runtime/context.js';
import { JobResult } from '../runtime/job.js';
import { RunRequest, runJob } from '../runtime/run.js';
import { Graph, JobName } from './graph.js';

export class GraphFailedError extends AceError {
  constructor(
    readonly failedJob: string,
    readonly period: string,
    readonly reason: string,
    readonly results: JobResult[],
    cause: unknown,
  ) {
    super(cause instanceof AceError ? cause.code : 'internal', `${failedJob} ${period} failed: ${reason}`, { job: failedJob }, { cause });
  }
}

export async function runGraph(services: Services, graph: Graph, request: RunRequest, options: { parallel?: number } = {}): Promise<JobResult[]> {
  return scheduleGraph(graph, request.date ?? request.month ?? '', (job) => runJob(services, JOBS[job], request), options.parallel ?? 1);
}

/** The runner's scheduling, apart from what a job does: `run` is called once per job that starts. */
export async function scheduleGraph(graph: Graph, period: string, run: (job: JobName) => Promise<JobResult>, parallel: number): Promise<JobResult[]> {
  const results: JobResult[] = [];
  const promises = new Map<JobName, Promise<JobResult>>();
  let firstFailure: { job: JobName; err: unknown } | null = null;
  const slot = slots(parallel);

  const start = (job: JobName): Promise<JobResult> => {
    let p = promises.get(job);
    if (p) return p;
    const node = graph.nodes.find((n) => n.job === job)!;
    p = (async () => {
      await Promise.all(node.after.map(start)); // rejects when an upstream job failed: this one never starts
      const release = await slot();
      try {
        const r = await run(job);
        results.push(r);
        return r;
      } catch (err) {
        firstFailure ??= { job, err };
        throw err;
      } finally {
        release();
      }
    })();
    promises.set(job, p);
    return p;
  };

  await Promise.allSettled(graph.nodes.map((n) => start(n.job)));
  if (firstFailure) {
    const { job, err } = firstFailure as { job: JobName; err: unknown };
    const reason = oneLine(err).replace(new RegExp(`^${job} ${period}: `), '');
    throw new GraphFailedError(job, period, reason, results, err);
  }
  const order = graph.nodes.map((n) => n.job);
  return results.sort((a, b) => order.indexOf(a.job) - order.indexOf(b.job));
}

/** A counting semaphore: `await slot()` waits for one of `n` slots, in call order, and returns its release. */
function slots(n: number): () => Promise<() => void> {
  if (!Number.isInteger(n) || n < 1) throw new Error(`parallel must be a whole number ≥ 1, got ${n}`);
  let free = n;
  const waiting: (() => void)[] = [];
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else free++;
  };
  return async () => {
    if (free > 0) free--;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    return release;
  };
}
