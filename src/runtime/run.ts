/**
 * Runs one job for one date or month: a run id, a DuckDB connection, a scratch folder; the job's
 * recipe; then publishing what it staged under the job's publish lock (a newer concurrent run
 * supersedes this one). Every run, whatever its end, appends a row to the run ledger. Any failure
 * leaves the previously published versions current.
 */
import fsp from 'node:fs/promises';
import { AceError, SupersededError, oneLine } from '../errors.js';
import { RunCoordinator } from '../lake/coordination.js';
import { JobDefinition, JobResult } from './job.js';
import { JobContext, Services, makeScratch, newRunId } from './context.js';
import { assertLakeReadable } from './services.js';
import { recordRun, registerLedgerPartition } from './ledger.js';
import { publishing } from './abort.js';
import type { ShardMode } from './ingest.js';

export interface RunRequest {
  date?: string;
  month?: string;
  /** Flags a job understands: force (rerun on unchanged inputs), allowPartial and final (exports). */
  flags?: { force?: boolean; allowPartial?: boolean; final?: boolean; shard?: ShardMode; failOnAnomaly?: boolean };
}

export async function runJob(services: Services, job: JobDefinition, request: RunRequest): Promise<JobResult> {
  const runId = newRunId();
  const period = job.period === 'date' ? { date: request.date } : { month: request.month };
  const periodValue = (request.date ?? request.month) as string;
  const log = services.log.child({ job: job.name, ...period, runId });
  const startedAt = new Date();
  assertLakeReadable(services.config, job.name, job.period === 'date');
  const db = await services.engine.connect();
  const scratch = await makeScratch(services.store, runId);
  const ctx = new JobContext(job.name, period, runId, services, db, scratch, log);
  ctx.flags = request.flags ?? {};
  // Shards of one day run side by side: each has its own lock scope; the merge uses the day's.
  const shard = request.flags?.shard;
  const scope = (job.lockScope ? job.lockScope(periodValue) : periodValue) + (shard?.kind === 'shard' ? `@shard-${shard.k}-of-${shard.n}` : '');
  const coordinator = new RunCoordinator(services.store, job.name, scope, runId, {
    timing: services.hooks?.lockTiming,
    warn: (message) => log.warn({ event: 'lock.warning' }, message),
  });
  let result: JobResult | null = null;
  let failure: unknown = null;
  log.info({ event: 'job.started' }, 'started');
  try {
    await coordinator.start();
    const outcome = await job.run(ctx);
    // The fence is checked before each pointer swap: a run whose lock was taken over publishes nothing more.
    await publishing(() => coordinator.publishExclusively((fence) => ctx.publishAll(fence)));
    result = {
      job: job.name,
      ...period,
      runId,
      status: outcome.upToDate ? 'up_to_date' : 'succeeded',
      rows: outcome.rows,
      elapsedMs: Date.now() - startedAt.getTime(),
      warnings: ctx.warnings,
      details: outcome.details ?? {},
      published: [
        ...ctx.published.map((p) => ({ table: p.table, partition: `${p.partitionKey}=${p.partitionValue}`, rows: p.rows })),
        ...ctx.stagedObjects.map((o) => ({ table: 'exports', partition: o.key, rows: 0 })),
      ],
    };
    log.info({ event: 'job.succeeded', rows: result.rows, elapsed_ms: result.elapsedMs }, `${result.status === 'up_to_date' ? 'up to date' : 'done'}: ${result.rows} rows in ${(result.elapsedMs / 1000).toFixed(1)} s`);
    return result;
  } catch (err) {
    failure = err;
    if (err instanceof AceError) {
      err.context.job ??= job.name;
      if (job.period === 'date') err.context.date ??= request.date;
      else err.context.month ??= request.month;
    }
    log.error({ event: err instanceof SupersededError ? 'job.superseded' : 'job.failed', error: oneLine(err) }, err instanceof SupersededError ? 'superseded' : 'failed');
    throw err;
  } finally {
    await coordinator.finish().catch(() => undefined);
    await recordRun(db, services.store, scratch, {
      job: job.name,
      runId,
      period: periodValue,
      status: result ? result.status === 'up_to_date' ? 'up_to_date' : 'succeeded' : failure instanceof SupersededError ? 'superseded' : 'failed',
      startedAt,
      finishedAt: new Date(),
      fingerprint: ctx.fingerprint,
      rows: result?.rows ?? 0,
      outputs: result?.published ?? [],
      details: { ...(result?.details ?? {}), warnings: ctx.warnings },
      error: failure ? oneLine(failure) : null,
    })
      .then(() => registerLedgerPartition(services.catalog, job.name, runId))
      .catch((err) => log.error({ event: 'ledger.failed', error: oneLine(err) }, 'could not record the run in the ledger'));
    db.close();
    await fsp.rm(scratch, { recursive: true, force: true });
  }
}
