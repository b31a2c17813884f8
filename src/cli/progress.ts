/**
 * What a person at a terminal sees while a graph runs, as pure functions of the runner's events
 * (src/graph/runner.ts): one line per finished job in the manner of dbt, a progress line with the
 * date, jobs done and an estimate of the time left, and a closing summary. No I/O here: the run
 * console (src/cli/terminal.ts) writes these lines.
 */
import type { JobEvent } from '../graph/runner.js';

export interface Style {
  color: boolean;
}

/** Colour only on a terminal, and never when NO_COLOR is set to a non-empty value (no-color.org). */
export function colorEnabled(isTTY: boolean | undefined, env: Record<string, string | undefined>): boolean {
  return isTTY === true && !env.NO_COLOR;
}

const SGR = { bold: 1, dim: 2, red: 31, green: 32, yellow: 33, cyan: 36 } as const;

export function paint(style: Style, color: keyof typeof SGR, text: string): string {
  return style.color ? `\x1b[${SGR[color]}m${text}\x1b[0m` : text;
}

/** What a job's main count (its result's `rows`) is, in its line. */
const NOUN: Record<string, string> = {
  notification_attempted_daily: 'events',
  notification_delivered_daily: 'events',
  outcome_experience_lookup_daily: 'configs',
  dim_customer_daily: 'clients',
  ace_unit_calc_daily: 'units',
  ace_unit_monthly_output: 'clients',
  ace_unit_monthly_outcome_experience_output: 'rows',
};

export function countLabel(job: string, rows: number): string {
  const noun = NOUN[job] ?? 'rows';
  return `${rows} ${rows === 1 ? noun.replace(/s$/, '') : noun}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** `0.2 s`, `42.0 s`, `2m 05s`, `1h 02m`. */
export function formatDuration(ms: number): string {
  const safe = Math.max(0, ms);
  if (safe < 59_950) return `${(safe / 1000).toFixed(1)} s`;
  const s = Math.round(safe / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** What the console knows about a run so far; `applyEvent` returns the next state. */
export interface Tally {
  /** Jobs the command plans to run, or null when not known in advance (restate). */
  total: number | null;
  /** Jobs with a line: finished, failed or not run. */
  done: number;
  ok: number;
  upToDate: number;
  failed: number;
  notRun: number;
  /** Warning lines logged (job warnings and others). */
  warnings: number;
  running: { job: string; period: string }[];
  /** The latest period a job started for (the date a backfill is on). */
  period: string | null;
  /** Run time (ms since the command started) when the last job finished: the base of the estimate. */
  lastDoneAtMs: number;
}

export function newTally(total: number | null = null): Tally {
  return { total, done: 0, ok: 0, upToDate: 0, failed: 0, notRun: 0, warnings: 0, running: [], period: null, lastDoneAtMs: 0 };
}

/** The state after an event; `atMs` is the run time at which it happened. */
export function applyEvent(t: Tally, e: JobEvent, atMs: number): Tally {
  const running = t.running.filter((r) => !(r.job === e.job && r.period === e.period));
  switch (e.type) {
    case 'job.started':
      return { ...t, running: [...running, { job: e.job, period: e.period }], period: e.period };
    case 'job.finished': {
      const upToDate = e.result.status === 'up_to_date';
      return { ...t, running, done: t.done + 1, ok: t.ok + (upToDate ? 0 : 1), upToDate: t.upToDate + (upToDate ? 1 : 0), lastDoneAtMs: atMs };
    }
    case 'job.failed':
      return { ...t, running, done: t.done + 1, failed: t.failed + 1, lastDoneAtMs: atMs };
    case 'job.not_run':
      return { ...t, running, done: t.done + 1, notRun: t.notRun + 1 };
    default: {
      const never: never = e;
      throw new Error(`unknown job event ${JSON.stringify(never)}`);
    }
  }
}

/**
 * Time left: the average time per job so far, times the jobs left, less the time since the last job
 * finished. Null until a job finished or when the total is not known. A backfill repeats the same
 * jobs date after date, so the average is a fair guide.
 */
export function estimateRemainingMs(done: number, total: number | null, lastDoneAtMs: number, nowMs: number): number | null {
  if (total === null || done === 0) return null;
  const left = total - done;
  if (left <= 0) return 0;
  return Math.max(0, (lastDoneAtMs / done) * left - (nowMs - lastDoneAtMs));
}

/** Status text starts at this column, after the dots, so the statuses line up (as dbt's do). */
const LABEL_WIDTH = 58;

function counter(index: number, total: number | null): string {
  return total === null ? `[${index}]` : `[${String(index).padStart(String(total).length)}/${total}]`;
}

/**
 * The line of a job that ended (`[12/155] ace_unit_calc_daily 2026-03-08 ...... OK 1027 units in 0.2 s`);
 * `index` is its place among the jobs that ended. A failure adds its reason on a second line.
 */
export function formatJobLine(e: Exclude<JobEvent, { type: 'job.started' }>, index: number, total: number | null, style: Style): string {
  const label = `${e.job} ${e.period} `;
  const head = `${counter(index, total)} ${label}${paint(style, 'dim', '.'.repeat(Math.max(3, LABEL_WIDTH - label.length)))} `;
  switch (e.type) {
    case 'job.finished': {
      const r = e.result;
      const took = `in ${formatDuration(r.elapsedMs)}`;
      const warned = r.warnings.length > 0 ? paint(style, 'yellow', `, ${plural(r.warnings.length, 'warning')}`) : '';
      if (r.status === 'up_to_date') return `${head}${paint(style, 'cyan', 'SKIP')} up to date ${took}${warned}`;
      if (r.status === 'succeeded') return `${head}${paint(style, 'green', 'OK')} ${countLabel(r.job, r.rows)} ${took}${warned}`;
      return `${head}${paint(style, 'yellow', r.status.toUpperCase())} ${took}${warned}`;
    }
    case 'job.failed': {
      const status = e.superseded ? paint(style, 'yellow', 'SUPERSEDED') : paint(style, 'red', paint(style, 'bold', 'FAIL'));
      return `${head}${status} in ${formatDuration(e.elapsedMs)}\n    ${paint(style, e.superseded ? 'yellow' : 'red', e.error)}`;
    }
    case 'job.not_run':
      return `${head}${paint(style, 'dim', 'NOT RUN (an earlier job failed)')}`;
    default: {
      const never: never = e;
      throw new Error(`unknown job event ${JSON.stringify(never)}`);
    }
  }
}

/**
 * The live line (`2026-03-08 · 37/155 jobs · running ace_unit_calc_daily · 42.0 s elapsed · about 2m 10s left`),
 * cut to `width` columns so that a carriage return redraws it in place (a wrapped line would not).
 */
export function formatProgressLine(t: Tally, nowMs: number, width: number | undefined): string {
  const parts: string[] = [];
  if (t.period) parts.push(t.period);
  parts.push(t.total === null ? `${plural(t.done, 'job')} done` : `${t.done}/${t.total} jobs`);
  if (t.running.length > 0) parts.push(`running ${t.running.map((r) => r.job).join(', ')}`);
  parts.push(`${formatDuration(nowMs)} elapsed`);
  const left = estimateRemainingMs(t.done, t.total, t.lastDoneAtMs, nowMs);
  if (t.total !== null) parts.push(left === null ? 'estimating the time left' : left < 1000 ? 'almost done' : `about ${formatDuration(left)} left`);
  const line = parts.join(' · ');
  return width && width > 1 && line.length > width - 1 ? `${line.slice(0, width - 2)}…` : line;
}

/** The closing summary (`Done in 2m 13s: 150 ok, 5 skipped (up to date), 0 failed; 3 warnings.`). */
export function formatSummary(t: Tally, elapsedMs: number, style: Style): string {
  const stopped = t.failed > 0 || t.notRun > 0 || (t.total !== null && t.done < t.total);
  const counts = [
    paint(style, t.ok > 0 ? 'green' : 'dim', `${t.ok} ok`),
    `${t.upToDate} skipped (up to date)`,
    t.failed > 0 ? paint(style, 'red', paint(style, 'bold', `${t.failed} failed`)) : '0 failed',
  ];
  if (t.notRun > 0) counts.push(`${t.notRun} not run`);
  if (t.total !== null && t.done < t.total) counts.push(`${t.total - t.done} not reached`);
  const warnings = t.warnings > 0 ? paint(style, 'yellow', plural(t.warnings, 'warning')) : '0 warnings';
  const head = stopped ? paint(style, 'red', 'Stopped after') : paint(style, 'green', 'Done in');
  return `${head} ${formatDuration(elapsedMs)}: ${counts.join(', ')}; ${warnings}.`;
}

/** Info events a person wants to see even without --verbose (what the command decided to do). */
const NOTICE_EVENTS = new Set(['backfill.resumed', 'schedule.dates', 'restate.plan']);
/** Shown by the job's own line instead. */
const SHOWN_BY_JOB_LINE = new Set(['job.failed', 'job.superseded']);

/**
 * A pino JSON line as the terminal shows it without --verbose: warnings and errors (yellow, red) and
 * a few notices; null for the detail lines that only go to the log file.
 */
export function formatLogNotice(o: Record<string, unknown>, style: Style): string | null {
  const level = Number(o.level);
  const event = typeof o.event === 'string' ? o.event : '';
  const msg = String(o.msg ?? event);
  const where = [o.job, o.date ?? o.month].filter((v) => typeof v === 'string' && v).join(' ');
  const text = `${where ? `${where}: ` : ''}${msg}`;
  if (level >= 50) return SHOWN_BY_JOB_LINE.has(event) ? null : paint(style, 'red', `ERROR ${text}`);
  if (level >= 40) return SHOWN_BY_JOB_LINE.has(event) ? null : paint(style, 'yellow', `WARN  ${text}`);
  if (NOTICE_EVENTS.has(event)) return paint(style, 'dim', text);
  return null;
}
