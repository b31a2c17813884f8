/**
 * The terminal lines of pipeline and demo (src/cli/progress.ts), from runner events, with no TTY:
 * the dbt-style job line, the progress line and its estimate, the summary, colours only when allowed.
 */
import { JobEvent } from '../../src/graph/runner';
import { JobName } from '../../src/graph/graph';
import { JobResult } from '../../src/run/job';
import {
  applyEvent,
  colorEnabled,
  estimateRemainingMs,
  formatDuration,
  formatJobLine,
  formatLogNotice,
  formatProgressLine,
  formatSummary,
  newTally,
  Tally,
} from '../../src/cli/progress';

const plainStyle = { color: false };
const colour = { color: true };
const SGR = /\x1b\[[0-9;]*m/;

function result(job: JobName, over: Partial<JobResult> = {}): JobResult {
  return { job, date: '2026-03-08', runId: 'r', status: 'succeeded', rows: 1027, elapsedMs: 200, warnings: [], details: {}, published: [], ...over };
}
const finished = (job: JobName, over: Partial<JobResult> = {}): JobEvent => ({ type: 'job.finished', job, period: '2026-03-08', result: result(job, over) });

describe('the job line', () => {
  test('a succeeded job: counter, name, date, dots, OK, its count and its time', () => {
    const line = formatJobLine(finished('ace_unit_calc_daily') as Extract<JobEvent, { type: 'job.finished' }>, 12, 155, plainStyle);
    expect(line).toMatch(/^\[ 12\/155\] ace_unit_calc_daily 2026-03-08 \.{3,} OK 1027 units in 0\.2 s$/);
  });

  test('statuses line up: the dots fill to the same column for short and long job names', () => {
    const a = formatJobLine(finished('dim_customer_daily') as never, 1, 9, plainStyle);
    const b = formatJobLine({ type: 'job.finished', job: 'ace_unit_monthly_outcome_experience_output', period: '2026-03', result: result('ace_unit_monthly_outcome_experience_output') } as never, 2, 9, plainStyle);
    expect(a.indexOf(' OK ')).toBe(b.indexOf(' OK '));
  });

  test('each job names its count: events, configs, clients, units, rows; one is singular', () => {
    const count = (job: JobName, rows: number) => formatJobLine(finished(job, { rows }) as never, 1, 1, plainStyle).replace(/^.* OK /, '').replace(/ in .*$/, '');
    expect(count('notification_attempted_daily', 211)).toBe('211 events');
    expect(count('outcome_experience_lookup_daily', 3)).toBe('3 configs');
    expect(count('dim_customer_daily', 6)).toBe('6 clients');
    expect(count('ace_unit_calc_daily', 1)).toBe('1 unit');
    expect(count('ace_unit_monthly_outcome_experience_output', 40)).toBe('40 rows');
  });

  test('an up-to-date job is SKIP; warnings are counted on the line', () => {
    expect(formatJobLine(finished('notification_delivered_daily', { status: 'up_to_date', elapsedMs: 30 }) as never, 2, 5, plainStyle)).toMatch(/ SKIP up to date in 0\.0 s$/);
    expect(formatJobLine(finished('ace_unit_calc_daily', { warnings: ['a', 'b'] }) as never, 5, 5, plainStyle)).toMatch(/ OK 1027 units in 0\.2 s, 2 warnings$/);
  });

  test('a failure is FAIL with its reason on the next line; a job after it is NOT RUN', () => {
    const fail = formatJobLine({ type: 'job.failed', job: 'ace_unit_calc_daily', period: '2026-03-09', error: 'ace_unit_calc_daily 2026-03-09: missing partitions', elapsedMs: 300, superseded: false }, 10, 155, plainStyle);
    expect(fail.split('\n')).toEqual([expect.stringMatching(/^\[ 10\/155\] ace_unit_calc_daily 2026-03-09 \.+ FAIL in 0\.3 s$/), '    ace_unit_calc_daily 2026-03-09: missing partitions']);
    expect(formatJobLine({ type: 'job.not_run', job: 'ace_unit_calc_daily', period: '2026-03-09' }, 11, 155, plainStyle)).toMatch(/ NOT RUN \(an earlier job failed\)$/);
  });

  test('with colour, OK is green, FAIL red and bold, warnings yellow; without, no escape code at all', () => {
    expect(formatJobLine(finished('ace_unit_calc_daily') as never, 1, 1, colour)).toContain('\x1b[32mOK\x1b[0m');
    expect(formatJobLine(finished('ace_unit_calc_daily', { warnings: ['w'] }) as never, 1, 1, colour)).toContain('\x1b[33m, 1 warning\x1b[0m');
    const fail = formatJobLine({ type: 'job.failed', job: 'ace_unit_calc_daily', period: 'd', error: 'e', elapsedMs: 0, superseded: false }, 1, 1, colour);
    expect(fail).toContain('\x1b[31m\x1b[1mFAIL');
    for (const line of [formatJobLine(finished('ace_unit_calc_daily', { warnings: ['w'] }) as never, 1, 1, plainStyle), formatSummary({ ...newTally(3), done: 3, ok: 1, failed: 1, warnings: 2 }, 1000, plainStyle)]) {
      expect(line).not.toMatch(SGR);
    }
  });

  test('a run whose total is not known in advance (restate) counts without it', () => {
    expect(formatJobLine(finished('ace_unit_calc_daily') as never, 3, null, plainStyle)).toMatch(/^\[3\] ace_unit_calc_daily/);
  });
});

describe('colour', () => {
  test.each([
    [true, {}, true],
    [true, { NO_COLOR: '1' }, false],
    [true, { NO_COLOR: '' }, true], // no-color.org: set to a non-empty value
    [false, {}, false],
    [undefined, {}, false],
  ])('isTTY=%s env=%j → %s', (isTTY, env, expected) => {
    expect(colorEnabled(isTTY, env)).toBe(expected);
  });
});

describe('the estimate of the time left', () => {
  test('none before a job finished, or without a total', () => {
    expect(estimateRemainingMs(0, 155, 0, 5000)).toBeNull();
    expect(estimateRemainingMs(3, null, 3000, 5000)).toBeNull();
  });

  test('the average time per job so far times the jobs left, counting down until the next job ends', () => {
    // 10 jobs in 20 s: 2 s a job, 90 left → 180 s; 5 s later → 175 s.
    expect(estimateRemainingMs(10, 100, 20_000, 20_000)).toBe(180_000);
    expect(estimateRemainingMs(10, 100, 20_000, 25_000)).toBe(175_000);
  });

  test('never below zero; zero when every job is done', () => {
    expect(estimateRemainingMs(1, 2, 1000, 60_000)).toBe(0);
    expect(estimateRemainingMs(5, 5, 9000, 9000)).toBe(0);
  });

  test.each([
    [200, '0.2 s'],
    [42_000, '42.0 s'],
    [59_990, '1m 00s'],
    [125_000, '2m 05s'],
    [3_720_000, '1h 02m'],
  ])('%d ms reads %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('the progress line', () => {
  const events: JobEvent[] = [
    { type: 'job.started', job: 'notification_attempted_daily', period: '2026-03-08' },
    finished('notification_attempted_daily'),
    { type: 'job.started', job: 'notification_delivered_daily', period: '2026-03-08' },
  ];
  const tally = (total: number | null): Tally => events.reduce((t, e, i) => applyEvent(t, e, i === 1 ? 2000 : 0), newTally(total));

  test('the date, jobs done of all, the running job, the time elapsed and left', () => {
    expect(formatProgressLine(tally(155), 3000, undefined)).toBe('2026-03-08 · 1/155 jobs · running notification_delivered_daily · 3.0 s elapsed · about 5m 07s left');
  });

  test('cut to the terminal width, so that a carriage return redraws it in place', () => {
    const line = formatProgressLine(tally(155), 3000, 40);
    expect(line.length).toBe(39);
    expect(line.endsWith('…')).toBe(true);
  });

  test('without a total: jobs done and no estimate', () => {
    expect(formatProgressLine(tally(null), 3000, undefined)).toBe('2026-03-08 · 1 job done · running notification_delivered_daily · 3.0 s elapsed');
  });
});

describe('the tally and the summary', () => {
  test('ok, skipped (up to date), failed and not run are counted from the events', () => {
    const evs: JobEvent[] = [
      finished('notification_attempted_daily'),
      finished('notification_delivered_daily', { status: 'up_to_date' }),
      { type: 'job.failed', job: 'ace_unit_calc_daily', period: 'd', error: 'e', elapsedMs: 1, superseded: false },
      { type: 'job.not_run', job: 'dim_customer_daily', period: 'd' },
    ];
    const t = evs.reduce((acc, e) => applyEvent(acc, e, 100), newTally(6));
    expect(t).toMatchObject({ done: 4, ok: 1, upToDate: 1, failed: 1, notRun: 1, running: [] });
    expect(formatSummary({ ...t, warnings: 3 }, 133_000, plainStyle)).toBe('Stopped after 2m 13s: 1 ok, 1 skipped (up to date), 1 failed, 1 not run, 2 not reached; 3 warnings.');
  });

  test('a clean run is Done', () => {
    expect(formatSummary({ ...newTally(5), done: 5, ok: 4, upToDate: 1 }, 7300, plainStyle)).toBe('Done in 7.3 s: 4 ok, 1 skipped (up to date), 0 failed; 0 warnings.');
  });
});

describe('log lines at the terminal without --verbose', () => {
  test('warnings and errors are shown (yellow, red), detail lines are not, a job failure is left to its FAIL line', () => {
    expect(formatLogNotice({ level: 40, job: 'ace_unit_calc_daily', date: '2026-03-01', event: 'job.warning', msg: 'lookback missing' }, plainStyle)).toBe('WARN  ace_unit_calc_daily 2026-03-01: lookback missing');
    expect(formatLogNotice({ level: 40, msg: 'w' }, colour)).toBe('\x1b[33mWARN  w\x1b[0m');
    expect(formatLogNotice({ level: 50, event: 'ledger.failed', msg: 'could not record' }, plainStyle)).toBe('ERROR could not record');
    expect(formatLogNotice({ level: 50, event: 'job.failed', msg: 'failed' }, plainStyle)).toBeNull();
    expect(formatLogNotice({ level: 30, event: 'partition.published', msg: 'published' }, plainStyle)).toBeNull();
    expect(formatLogNotice({ level: 30, event: 'backfill.resumed', msg: 'resuming: 2 date(s)' }, plainStyle)).toBe('resuming: 2 date(s)');
  });
});
