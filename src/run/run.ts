/**
 * The one sequence every job goes through, for one date or month: resolve the input pointers
 * (`job.inputs`, nothing downloaded) → fingerprint → up-to-date check against the marker partition →
 * build (which fetches only the files it reads and stages its outputs) → publish what it staged, under
 * the job's publish lock (a newer concurrent run supersedes this one) → ledger. Every run, whatever its
 * end, appends a row to the run ledger; any failure leaves the previously published versions current.
 */
import fsp from 'node:fs/promises';
import { AceError, SupersededError, oneLine } from '../errors.js';
import { RunCoordinator } from '../lake/coordination.js';
import { Job, JobInputs, JobOutcome, JobResult, Period, ShardMode, periodValue as valueOf } from './job.js';
import { JobContext, Services, makeScratch, newRunId } from './context.js';
import { assertLakeReadable } from './services.js';
import { recordRun, registerLedgerPartition } from './ledger.js';
import { publishing } from './abort.js';
import { readPointer } from '../lake/publish.js';
import { BillingMonth, BusinessDate } from '../time/time.js';

export interface RunRequest {
  date?: string;
  month?: string;
  /** Flags a job understands: force (rerun on unchanged inputs), allowPartial and final (exports). */
  flags?: { force?: boolean; allowPartial?: boolean; final?: boolean; shard?: ShardMode; failOnAnomaly?: boolean };
}

/** The request's period for a job of this kind (the CLI has validated the value). */
export function periodOf(job: Pick<Job, 'period'>, request: Pick<RunRequest, 'date' | 'month'>): Period {
  return job.period === 'date' ? { kind: 'date', date: request.date as BusinessDate } : { kind: 'month', month: request.month as BillingMonth };
}

/** Up-to-date check: the marker partition's current version was built from exactly these inputs. */
async function upToDate(ctx: JobContext, job: Job<JobInputs>, inputs: JobInputs): Promise<JobOutcome | null> {
  if (inputs.fingerprint === null || !job.marker || ctx.flags.force || ctx.shard.kind === 'shard' || ctx.shard.kind === 'route') return null;
  const { table, value } = job.marker(ctx.period);
  const pointer = await readPointer(ctx.store, table, value);
  if (pointer?.fingerprint !== inputs.fingerprint) return null;
  ctx.log.info({ event: 'job.up_to_date', table: table.name, partition: value }, `up to date: the inputs of ${table.name} ${table.partitionKey}=${value} did not change since run ${pointer.runId} (--force reruns anyway)`);
  return { ...(job.upToDate ? job.upToDate(pointer) : { rows: pointer.rows }), upToDate: true };
}

export async function runJob<I extends JobInputs>(services: Services, job: Job<I>, request: RunRequest): Promise<JobResult> {
  const runId = newRunId();
  const p = periodOf(job, request);
  const period = p.kind === 'date' ? { date: p.date } : { month: p.month };
  const periodValue = valueOf(p);
  const log = services.log.child({ job: job.name, ...period, runId });
  const startedAt = new Date();
  assertLakeReadable(services.config, job.name, job.period === 'date');
  const db = await services.engine.connect();
  const scratch = await makeScratch(services.store, runId);
  const ctx = new JobContext(job.name, p, job.outputs, runId, services, db, scratch, log);
  ctx.flags = request.flags ?? {};
  // Shards of one day run side by side: each has its own lock scope; the merge uses the day's.
  const shard = request.flags?.shard;
  const scope = (job.lockScope ? job.lockScope(p) : periodValue) + (shard?.kind === 'shard' ? `@shard-${shard.k}-of-${shard.n}` : shard?.kind === 'route' ? `@route-${shard.n}` : '');
  const coordinator = new RunCoordinator(services.store, job.name, scope, runId, {
    timing: services.hooks?.lockTiming,
    warn: (message) => log.warn({ event: 'lock.warning' }, message),
  });
  let result: JobResult | null = null;
  let failure: unknown = null;
  log.info({ event: 'job.started' }, 'started');
  try {
    await coordinator.start();
    const inputs = await job.inputs(services, p);
    ctx.fingerprint = inputs.fingerprint;
    const outcome = (await upToDate(ctx, job, inputs)) ?? (await job.build(ctx, inputs));
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
      codeVersion: services.config.codeVersion,
    })
      .then(() => registerLedgerPartition(services.catalog, job.name, runId))
      .catch((err) => log.error({ event: 'ledger.failed', error: oneLine(err) }, 'could not record the run in the ledger'));
    db.close();
    await fsp.rm(scratch, { recursive: true, force: true });
  }
}
