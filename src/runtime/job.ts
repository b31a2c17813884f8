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
}

export interface JobResult {
  job: JobName;
  date?: string;
  month?: string;
  runId: string;
  status: 'succeeded' | 'failed' | 'up_to_date';
  rows: number;
  elapsedMs: number;
  warnings: string[];
  details: Record<string, unknown>;
  published: { table: string; partition: string; rows: number }[];
  error?: string;
}
