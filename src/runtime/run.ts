/**
 * Runs one job for one date or month: a run id, a DuckDB connection, a scratch folder; the job's
 * recipe; then publishing what it staged. Any failure leaves the previously published versions current.
 */
import fsp from 'node:fs/promises';
import { AceError, oneLine } from '../errors.js';
import { JobDefinition, JobResult } from './job.js';
import { JobContext, Services, makeScratch, newRunId } from './context.js';
import { assertLakeReadable } from './services.js';

export interface RunRequest {
  date?: string;
  month?: string;
  /** Extra flags a job understands (allowPartial, force). */
  flags?: { force?: boolean; allowPartial?: boolean };
}

export async function runJob(services: Services, job: JobDefinition, request: RunRequest): Promise<JobResult> {
  const runId = newRunId();
  const period = job.period === 'date' ? { date: request.date } : { month: request.month };
  const log = services.log.child({ job: job.name, ...period, runId });
  const started = Date.now();
  assertLakeReadable(services.config, job.name, job.period === 'date');
  const db = await services.engine.connect();
  const scratch = await makeScratch(services.store, runId);
  const ctx = new JobContext(job.name, period, runId, services, db, scratch, log);
  ctx.flags = request.flags ?? {};
  log.info({ event: 'job.started' }, 'started');
  try {
    const outcome = await job.run(ctx);
    await ctx.publishAll();
    const result: JobResult = {
      job: job.name,
      ...period,
      runId,
      status: outcome.upToDate ? 'up_to_date' : 'succeeded',
      rows: outcome.rows,
      elapsedMs: Date.now() - started,
      warnings: ctx.warnings,
      details: outcome.details ?? {},
      published: ctx.published.map((p) => ({ table: p.table, partition: `${p.partitionKey}=${p.partitionValue}`, rows: p.rows })),
    };
    log.info({ event: 'job.succeeded', rows: result.rows, elapsed_ms: result.elapsedMs }, `done: ${result.rows} rows in ${(result.elapsedMs / 1000).toFixed(1)} s`);
    return result;
  } catch (err) {
    if (err instanceof AceError) {
      err.context.job ??= job.name;
      if (job.period === 'date') err.context.date ??= request.date;
      else err.context.month ??= request.month;
    }
    log.error({ event: 'job.failed', error: oneLine(err) }, 'failed');
    throw err;
  } finally {
    db.close();
    await fsp.rm(scratch, { recursive: true, force: true });
  }
}
