/**
 * The local runner of a graph for one date or month: each job starts as soon as the jobs it comes
 * `after` have succeeded, so independent jobs run concurrently. A failed job fails the graph with its
 * name and reason; jobs downstream of it never start; jobs already running finish.
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

export async function runGraph(services: Services, graph: Graph, request: RunRequest): Promise<JobResult[]> {
  const period = request.date ?? request.month ?? '';
  const results: JobResult[] = [];
  const promises = new Map<JobName, Promise<JobResult>>();
  let firstFailure: { job: JobName; err: unknown } | null = null;

  const start = (job: JobName): Promise<JobResult> => {
    let p = promises.get(job);
    if (p) return p;
    const node = graph.nodes.find((n) => n.job === job)!;
    p = (async () => {
      await Promise.all(node.after.map(start));
      if (firstFailure) throw new Error('skipped: an upstream job failed');
      try {
        const r = await runJob(services, JOBS[job], request);
        results.push(r);
        return r;
      } catch (err) {
        firstFailure ??= { job, err };
        throw err;
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
