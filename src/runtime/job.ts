/** What a job module exports, and what a run reports. */
import { JobName } from '../graph/graph.js';
import { JobContext } from './context.js';

export interface JobOutcome {
  /** Main output rows (the table partition or export rows). */
  rows: number;
  /** Anything worth a line in the run summary (counts, paths). */
  details?: Record<string, unknown>;
  /** Set when the job decided there was nothing to do (inputs unchanged). */
  upToDate?: boolean;
}

export interface JobDefinition {
  name: JobName;
  period: 'date' | 'month';
  /** One line for `--help` and the docs. */
  description: string;
  run(ctx: JobContext): Promise<JobOutcome>;
  /**
   * Runs that share a lock scope never publish at the same time, and the newest supersedes older
   * ones. Default: the job's date or month; the calc uses the billing month it rewrites.
   */
  lockScope?: (period: string) => string;
}

export interface JobResult {
  job: JobName;
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
