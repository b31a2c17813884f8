/**
 * Issue 15 §5: `npm run pipeline` at a terminal. The real CLI runs under a pseudo-terminal
 * (`script -qec`, util-linux), so stderr is a TTY: one dbt-style line per finished job, a progress
 * line redrawn in place and cleared at the end, warnings and failures in colour, a closing summary,
 * no JSON. Piped, stderr still gets the JSON lines. Either way the JSON log lands in the lake's `_logs/`.
 * Nothing here depends on timing: durations are matched by shape only.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generate } from '../../src/gen/generator';
import { REPO, TSX, cliEnv } from '../reliability/helpers';
import { cliCommand } from './helpers';

jest.setTimeout(600_000);

const SGR = /\x1b\[[0-9;]*m/g;
const CLEAR = '\r\x1b[K';
const JOB_LINE = /^\[\s*(\d+)\/(\d+)\] (\w+) (\d{4}-\d{2}-\d{2}) \.{3,} (OK|SKIP|FAIL|NOT RUN)\b(.*)$/;

let root: string;

beforeAll(async () => {
  const probe = spawnSync('script', ['--version'], { encoding: 'utf8' });
  if (probe.status !== 0) throw new Error('this test needs `script` from util-linux (Debian: bsdutils) to give the CLI a pseudo-terminal');
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'ace-term-'));
  await generate({ root, seed: 5, from: '2026-02-26', to: '2026-03-06', eventsPerDay: 60, clean: true });
});

afterAll(() => {
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

/** The pipeline under a pseudo-terminal: what the terminal received (stdout and stderr, as the pty mixes them). */
function atTerminal(args: string[], env: Record<string, string> = {}): { status: number | null; raw: string } {
  const r = spawnSync('script', ['-qec', cliCommand('pipeline', args), '/dev/null'], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 300_000,
    maxBuffer: 64 * 1024 * 1024,
    // LOG_FORMAT empty: the TTY decides, as for a person.
    env: cliEnv(root, { LOG_FORMAT: '', ...env }),
  });
  return { status: r.status, raw: r.stdout };
}

/** The lines a person sees at the end: each progress redraw overwritten by what followed it, colours removed. */
function screen(raw: string): string[] {
  return raw
    .split('\n')
    .map((l) => l.replace(/\r$/, '').split(CLEAR).pop()!.replace(SGR, ''))
    .filter((l) => l.trim() !== '');
}

function logFiles(): string[] {
  const dir = path.join(root, '_logs');
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).flatMap((day) => fs.readdirSync(path.join(dir, day)).map((f) => path.join(dir, day, f))).sort();
}

function jsonLines(text: string): Record<string, unknown>[] {
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

test('at a terminal, a backfill shows a dbt-style line per job, a progress line cleared at the end, warnings in yellow and a summary; the JSON goes to _logs/', () => {
  const before = logFiles();
  const { status, raw } = atTerminal(['daily', '--from', '2026-03-01', '--to', '2026-03-02']);
  const lines = screen(raw);
  expect({ status, lines }).toMatchObject({ status: 0 });

  const jobs = lines.map((l) => JOB_LINE.exec(l)).filter((m): m is RegExpExecArray => m !== null);
  expect(jobs.map((m) => `${m[1]}/${m[2]} ${m[3]} ${m[4]} ${m[5]}`)).toEqual(
    ['2026-03-01', '2026-03-02'].flatMap((d, i) =>
      ['notification_attempted_daily', 'notification_delivered_daily', 'outcome_experience_lookup_daily', 'dim_customer_daily', 'ace_unit_calc_daily'].map((j, k) => `${i * 5 + k + 1}/10 ${j} ${d} OK`),
    ),
  );
  const calc = jobs.find((m) => m[3] === 'ace_unit_calc_daily')!;
  expect(calc[0]).toMatch(/^\[ 5\/10\] ace_unit_calc_daily 2026-03-01 \.+ OK \d+ units in \d+\.\d s, 1 warning$/);

  // The progress line: drawn in place (carriage return, clear to the end of the line), with the date,
  // jobs done of all and the time; cleared before the summary.
  expect(raw).toMatch(/\r\x1b\[K(\x1b\[2m)?2026-03-0[12] · \d+\/10 jobs · /);
  expect(raw.lastIndexOf(' jobs · ')).toBeLessThan(raw.lastIndexOf(CLEAR));
  expect(raw.lastIndexOf(CLEAR)).toBeLessThan(raw.indexOf('Done in'));

  // The missing lookback dates warn, in yellow, naming the job and date; the summary counts them.
  expect(raw).toContain('\x1b[33mWARN  ace_unit_calc_daily 2026-03-01: lookback partitions');
  expect(raw).toContain('\x1b[32mOK\x1b[0m');
  const summary = lines.find((l) => l.startsWith('Done in'));
  expect(summary).toMatch(/^Done in \d+\.\d s: 10 ok, 0 skipped \(up to date\), 0 failed; 2 warnings\.$/);

  // No JSON at the terminal; it is all in the log file the summary names.
  expect(lines.filter((l) => l.trimStart().startsWith('{'))).toEqual([]);
  const [file] = logFiles().filter((f) => !before.includes(f));
  expect(lines[lines.length - 1]).toBe(`Log: ${file}`);
  expect(path.relative(root, file)).toMatch(/^_logs\/\d{4}-\d{2}-\d{2}\/\d{8}T\d{9}Z-[0-9a-f]{8}\.jsonl$/);
  const log = jsonLines(fs.readFileSync(file, 'utf8'));
  expect(log[0]).toMatchObject({ event: 'cli.run', command: 'pipeline', argv: ['daily', '--from', '2026-03-01', '--to', '2026-03-02'] });
  expect(log.filter((o) => o.event === 'job.started')).toHaveLength(10);
  expect(log.filter((o) => o.event === 'job.warning')).toHaveLength(2);
  expect(log.some((o) => o.event === 'partition.published')).toBe(true);
});

test('NO_COLOR: no colour at all; --verbose adds the detailed lines; an up-to-date job is SKIP', () => {
  const { status, raw } = atTerminal(['daily', '--date', '2026-03-02', '--verbose'], { NO_COLOR: '1' });
  const lines = screen(raw);
  expect({ status, lines }).toMatchObject({ status: 0 });
  expect(raw).not.toMatch(SGR);
  expect(lines).toContainEqual(expect.stringMatching(/^\[1\/5\] notification_attempted_daily 2026-03-02 \.+ SKIP up to date in \d+\.\d s$/));
  expect(lines).toContainEqual(expect.stringMatching(/^\d{2}:\d{2}:\d{2} \[notification_attempted_daily 2026-03-02\] up to date: the inputs of notification_attempted/));
  expect(lines).toContainEqual(expect.stringMatching(/^Done in .*: \d+ ok, \d+ skipped \(up to date\), 0 failed; /));
});

test('a failure stands out: FAIL in red with its reason, the summary says Stopped, then the one-line error; the log is still written', () => {
  const before = logFiles();
  // 2026-03-03 never ran: the calc of 2026-03-04 fails naming the missing partitions.
  const { status, raw } = atTerminal(['daily', '--date', '2026-03-04']);
  const lines = screen(raw);
  expect(status).not.toBe(0);
  expect(raw).toContain('\x1b[31m\x1b[1mFAIL');
  const fail = lines.findIndex((l) => /^\[5\/5\] ace_unit_calc_daily 2026-03-04 \.+ FAIL in \d+\.\d s$/.test(l));
  expect(fail).toBeGreaterThan(-1);
  expect(lines[fail + 1]).toMatch(/^ {4}ace_unit_calc_daily 2026-03-04: .*2026-03-03/);
  const summary = lines.findIndex((l) => l.startsWith('Stopped after'));
  expect(lines[summary]).toMatch(/: 4 ok, 0 skipped \(up to date\), 1 failed; \d+ warnings?\.$/);
  expect(lines.findIndex((l) => l.startsWith('error: '))).toBeGreaterThan(summary);
  const [file] = logFiles().filter((f) => !before.includes(f));
  expect(jsonLines(fs.readFileSync(file, 'utf8')).filter((o) => o.event === 'job.failed')).toHaveLength(1);
});

test('piped, stderr gets the JSON lines as before (no job lines, no progress), stdout the results; the log file holds the same lines', () => {
  const before = logFiles();
  const r = spawnSync(TSX, [path.join(REPO, 'src/cli/pipeline.ts'), 'daily', '--date', '2026-03-01'], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 300_000,
    env: cliEnv(root, { LOG_FORMAT: '' }),
  });
  expect({ status: r.status, stderr: r.stderr }).toMatchObject({ status: 0 });
  const stderr = jsonLines(r.stderr);
  expect(stderr.filter((o) => o.event === 'job.started')).toHaveLength(5);
  expect(r.stderr).not.toContain(CLEAR);
  expect(jsonLines(r.stdout).map((o) => o.job)).toHaveLength(5);
  const [file] = logFiles().filter((f) => !before.includes(f));
  const log = jsonLines(fs.readFileSync(file, 'utf8'));
  expect(log[0]).toMatchObject({ event: 'cli.run' });
  expect(log.slice(1)).toEqual(stderr);
});
