/**
 * The local runner of a graph for one date or month: a job starts once the jobs it comes `after` have
 * succeeded, and at most `parallel` jobs run at a time (default 1), taking turns in the order they
 * became ready: for today's graphs, the declared order. Locally every job shares one DuckDB engine
 * whose threads already use every core, so two jobs at once only split the cores and the engine's
 * memory between them (docs/performance.md, "The local graph: one job at a time"). In production each
 * job is its own ECS task and Step Functions runs independent jobs in parallel. A failed job fails the
 * graph with its name and reason: as in Step Functions, where a failed job fails its level, no job
 * starts after it; jobs already running finish.
 */
import { AceError, SupersededError, oneLine } from '../errors.js';
import { JOBS } from '../../jobs/index.js';
import { Services } from '../run/context.js';
import { JobResult } from '../run/job.js';
import { RunRequest, runJob } from '../run/run.js';
import { Graph, JobName } from './graph.js';

/**
 * What the runner reports while a graph runs, for a person at a terminal (src/cli/progress.ts) or any
 * other listener. `not_run`: the job never started because a job before it failed.
 */
export type JobEvent =
  | { type: 'job.started'; job: JobName; period: string }
  | { type: 'job.finished'; job: JobName; period: string; result: JobResult }
  | { type: 'job.failed'; job: JobName; period: string; error: string; elapsedMs: number; superseded: boolean }
  | { type: 'job.not_run'; job: JobName; period: string };

export type JobEventListener = (event: JobEvent) => void;

/** Calls the listener; a display error never fails a run. */
function emitter(listener: JobEventListener | undefined): JobEventListener {
  return (event) => {
    try {
      listener?.(event);
    } catch {
      /* the listener's problem, not the run's */
    }
  };
}

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

export interface RunOptions {
  parallel?: number;
  onEvent?: JobEventListener;
}

export async function runGraph(services: Services, graph: Graph, request: RunRequest, options: RunOptions = {}): Promise<JobResult[]> {
  return scheduleGraph(graph, request.date ?? request.month ?? '', (job) => runJob(services, JOBS[job], request), options.parallel ?? 1, options.onEvent);
}

/** One job outside a graph (restate's rebuilds), reporting the same events as a graph's jobs. */
export async function runOne(services: Services, job: JobName, request: RunRequest, onEvent?: JobEventListener): Promise<JobResult> {
  const emit = emitter(onEvent);
  return observed(job, request.date ?? request.month ?? '', () => runJob(services, JOBS[job], request), emit);
}

async function observed(job: JobName, period: string, run: () => Promise<JobResult>, emit: JobEventListener): Promise<JobResult> {
  emit({ type: 'job.started', job, period });
  const started = Date.now();
  try {
    const result = await run();
    emit({ type: 'job.finished', job, period, result });
    return result;
  } catch (err) {
    emit({ type: 'job.failed', job, period, error: oneLine(err), elapsedMs: Date.now() - started, superseded: err instanceof SupersededError });
    throw err;
  }
}

/** The runner's scheduling, apart from what a job does: `run` is called once per job that starts. */
export async function scheduleGraph(graph: Graph, period: string, run: (job: JobName) => Promise<JobResult>, parallel: number, onEvent?: JobEventListener): Promise<JobResult[]> {
  const emit = emitter(onEvent);
  const results: JobResult[] = [];
  const promises = new Map<JobName, Promise<JobResult>>();
  let firstFailure: { job: JobName; err: unknown } | null = null;
  const slot = slots(parallel);

  const start = (job: JobName): Promise<JobResult> => {
    let p = promises.get(job);
    if (p) return p;
    const node = graph.nodes.find((n) => n.job === job)!;
    p = (async () => {
      // Dependencies first, then a slot: a job holding a slot never waits for another job.
      await Promise.all(node.after.map(start)).catch((err) => {
        emit({ type: 'job.not_run', job, period });
        throw err;
      });
      const release = await slot();
      try {
        if (firstFailure) {
          emit({ type: 'job.not_run', job, period });
          throw new Error('skipped: an earlier job failed');
        }
        const r = await observed(job, period, () => run(job), emit);
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
  const order: string[] = graph.nodes.map((n) => n.job);
  results.sort((a, b) => order.indexOf(a.job) - order.indexOf(b.job));
  if (firstFailure) {
    const { job, err } = firstFailure as { job: JobName; err: unknown };
    const reason = oneLine(err).replace(new RegExp(`^${job} ${period}: `), '');
    throw new GraphFailedError(job, period, reason, results, err);
  }
  return results;
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
