/**
 * What a job is: a declaration the runtime runs. A job names its period kind, the tables it publishes,
 * where its inputs are (pointers and listings only: `inputs` downloads nothing) and a `build` step that
 * stages SQL results. The runtime (run.ts) owns the sequence around it, the same for every job.
 */
import type { TableDef } from '../rules/tables.js';
import type { Pointer } from '../lake/publish.js';
import type { JobContext, Services } from './context.js';
import type { Period } from './period.js';

export { periodValue } from './period.js';
export type { Period, ShardMode } from './period.js';

/** What `inputs` found. `fingerprint` null: the inputs cannot be fingerprinted, so the job always builds. */
export interface JobInputs {
  fingerprint: string | null;
}

export interface JobOutcome {
  /** Main output rows (the table partition or export rows). */
  rows: number;
  /** Anything worth a line in the run summary (counts, paths). */
  details?: Record<string, unknown>;
  /** Set when the job decided there was nothing to do (inputs unchanged). */
  upToDate?: boolean;
}

export interface Job<I extends JobInputs = JobInputs> {
  /** Its SPEC.md name. */
  name: string;
  period: Period['kind'];
  /** One line for `--help` and the docs. */
  description: string;
  /** The tables it publishes; staging any other is an error. */
  outputs: readonly TableDef[];
  /** Whether it can split its period across tasks (`--shard k/N`, then `--merge-shards N`). */
  shardable: boolean;
  /** Whether its shards read raw lines routed by `--route N` first (the event streams: src/run/route.ts). */
  routed?: boolean;
  /**
   * The output partition staged last, whose pointer records the inputs' fingerprint: when it matches
   * the inputs, the run has nothing to do (unless --force). Without one, the job always builds.
   */
  marker?: (period: Period) => { table: TableDef; value: string };
  /** What an up-to-date run reports, from the marker's current version (default: its row count). */
  upToDate?: (marker: Pointer) => JobOutcome;
  /**
   * Runs that share a lock scope never publish at the same time, and the newest supersedes older
   * ones. Default: the period's value; the calc uses the billing month it rewrites.
   */
  lockScope?: (period: Period) => string;
  /** Where the inputs are: pointers and listings, nothing downloaded (the runtime enforces it). */
  inputs(services: Services, period: Period): Promise<I>;
  /** Stages the outputs from the inputs; fetches through `ctx.fetch` only the files it reads. */
  build(ctx: JobContext, inputs: I): Promise<JobOutcome>;
}

/** Declares a job: checks the period kind of `inputs` at compile time and keeps `I` for `build`. */
export function defineJob<I extends JobInputs>(job: Job<I>): Job<I> {
  return job;
}

export interface JobResult {
  job: string;
  date?: string;
  month?: string;
  runId: string;
  status: 'succeeded' | 'failed' | 'up_to_date' | 'superseded';
  rows: number;
  elapsedMs: number;
  warnings: string[];
  details: Record<string, unknown>;
  published: { table: string; partition: string; rows: number }[];
  error?: string;
}
