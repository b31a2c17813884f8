/** argv validation shared by the CLIs: strict patterns before any value is used; `--help` goes to stdout. */
import { Command, CommanderError } from 'commander';
import { UsageError } from '../errors.js';
import { print } from './output.js';
import type { ShardMode } from '../run/job.js';
import { JOBS, SHARDABLE_JOBS, isJobName } from '../../jobs/index.js';
import { BillingMonth, BusinessDate, parseBillingMonth, parseBusinessDate } from '../time/time.js';

export function requireDate(value: string | undefined, flag: string, job?: string): BusinessDate {
  if (value === undefined) throw new UsageError(`${job ? `${job}: ` : ''}${flag} YYYY-MM-DD is required`);
  const d = parseBusinessDate(value);
  if (!d) throw new UsageError(`${job ? `${job}: ` : ''}${flag} ${JSON.stringify(value)} is not a valid date; use YYYY-MM-DD, e.g. 2026-03-08`);
  return d;
}

export function requireMonth(value: string | undefined, flag: string, job?: string): BillingMonth {
  if (value === undefined) throw new UsageError(`${job ? `${job}: ` : ''}${flag} YYYY-MM is required`);
  const m = parseBillingMonth(value);
  if (!m) throw new UsageError(`${job ? `${job}: ` : ''}${flag} ${JSON.stringify(value)} is not a valid month; use YYYY-MM, e.g. 2026-03`);
  return m;
}


/**
 * `--hour-ending T` (an ISO instant with its offset, e.g. the hourly schedule's scheduled time): the
 * arrival hour that ended last at or before T, the hour the schedule routes.
 */
export function parseHourEnding(text: string): Date {
  const t = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(t)) throw new UsageError(`--hour-ending ${JSON.stringify(text)} is not valid: use an ISO instant with its offset, e.g. 2026-03-10T15:20:00Z (routes the arrival hour 14:00–15:00 UTC)`);
  return new Date(Math.floor(t / 3_600_000) * 3_600_000 - 3_600_000);
}

/** `--route N` (with `--hour-ending T`: one arrival hour), `--shard k/N` or `--merge-shards N` into a shard mode; undefined when none is given. */
export function parseShard(job: string, shard: string | undefined, merge: string | undefined, route?: string, hourEnding?: string): ShardMode | undefined {
  if (hourEnding !== undefined && route === undefined) throw new UsageError('--hour-ending goes with --route N: it names the arrival hour to route');
  if (shard === undefined && merge === undefined && route === undefined) return undefined;
  if (!isJobName(job) || !SHARDABLE_JOBS.includes(job)) throw new UsageError(`${job} does not run in shards; only ${SHARDABLE_JOBS.join(', ')} do`);
  if ([shard, merge, route].filter((x) => x !== undefined).length > 1) throw new UsageError('use one of --route N, --shard k/N or --merge-shards N');
  if (route !== undefined) {
    if (!JOBS[job].routed) throw new UsageError(`${job} does not route raw lines; only ${SHARDABLE_JOBS.filter((j) => JOBS[j].routed).join(', ')} do`);
    if (!/^\d{1,4}$/.test(route) || Number(route) < 1 || Number(route) > 1024) throw new UsageError(`--route ${JSON.stringify(route)} is not valid: use the shard count N (1 to 1024)`);
    return hourEnding === undefined ? { kind: 'route', n: Number(route) } : { kind: 'route', n: Number(route), hour: parseHourEnding(hourEnding) };
  }
  if (shard !== undefined) {
    const m = /^(\d{1,4})\/(\d{1,4})$/.exec(shard);
    const [k, n] = m ? [Number(m[1]), Number(m[2])] : [NaN, NaN];
    if (!m || n < 1 || n > 1024 || k >= n) throw new UsageError(`--shard ${JSON.stringify(shard)} is not valid: use k/N with 0 <= k < N <= 1024, e.g. 0/4`);
    return { kind: 'shard', k, n };
  }
  if (!/^\d{1,4}$/.test(merge!) || Number(merge) < 1 || Number(merge) > 1024) throw new UsageError(`--merge-shards ${JSON.stringify(merge)} is not valid: use the shard count N (1 to 1024)`);
  return { kind: 'merge', n: Number(merge) };
}

/** Thrown once `--help` has been printed: the command ends with exit 0 and nothing else. */
export class HelpShown extends Error {}

/**
 * Parses argv with a commander program, turning its errors (unknown option, missing value) into a
 * UsageError (one line, exit code 2) instead of commander printing and exiting on its own.
 */
export function parseArgs(program: Command, argv: string[] = process.argv): Command {
  program.exitOverride().configureOutput({ writeErr: () => undefined, writeOut: print });
  try {
    program.parse(argv);
  } catch (err) {
    if (err instanceof CommanderError && (err.code === 'commander.helpDisplayed' || err.code === 'commander.version')) throw new HelpShown();
    throw new UsageError((err as Error).message.replace(/^error: /, ''));
  }
  return program;
}

/** `--parallel N` (jobs of a graph run at once by the local runner) into a number; 1 when not given. */
export function parseParallel(value: string | undefined): number {
  if (value === undefined) return 1;
  if (!/^[1-9][0-9]{0,2}$/.test(value)) throw new UsageError(`--parallel ${JSON.stringify(value)} is not valid: use a whole number from 1 to 999, e.g. 2`);
  return Number(value);
}
