/**
 * Regression (issue 13, point 1): `npm run -s query -- --format csv "…" | wc -l` counted only the rows
 * that fit in the pipe before process.exit dropped the rest (626 of 20001 lines). Every printing CLI
 * now exits only after stdout drained, and a reader that closes early (`| head -1`) ends it quietly.
 */
import fs from 'node:fs';
import path from 'node:path';
import { bash, cliCommand, emptyLake, REPO } from './helpers';

const ROWS = 20_000;
// 20 000 rows of ~106 bytes: about 2 MiB of CSV, far more than a pipe holds (64 KiB).
const BIG = `SELECT range AS n, repeat('x', 100) AS s FROM range(${ROWS})`;
const query = (format: string, sql = BIG) => cliCommand('query', ['--format', format, sql]);

describe('printing CLIs flush stdout completely into a pipe', () => {
  let lake: string;
  beforeAll(() => {
    lake = emptyLake();
  });
  afterAll(() => fs.rmSync(lake, { recursive: true, force: true }));

  test('query --format csv over 1 MiB piped into a counter: every row and every byte arrives', () => {
    let expectedBytes = 'n,s\n'.length;
    for (let n = 0; n < ROWS; n++) expectedBytes += `${n},${'x'.repeat(100)}\n`.length;
    expect(expectedBytes).toBeGreaterThan(1024 * 1024);
    const r = bash(lake, `${query('csv')} | awk '{ bytes += length($0) + 1 } END { print NR, bytes }'`);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${ROWS + 1} ${expectedBytes}\n`);
  });

  test('query --format json over 1 MiB through a pipe parses whole, with every row', () => {
    const r = bash(lake, `${query('json')} | cat`);
    expect(r.status).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(1024 * 1024);
    const rows = JSON.parse(r.stdout) as { n: string }[];
    expect(rows).toHaveLength(ROWS);
    expect(Number(rows[ROWS - 1].n)).toBe(ROWS - 1);
  });

  test('query --format table over 1 MiB through a pipe ends with its row count line', () => {
    const r = bash(lake, `${query('table')} | awk '{ last = $0 } END { print NR; print last }'`);
    expect(r.stdout).toBe(`${ROWS + 3}\n(${ROWS} rows)\n`);
  });

  test('a reader that closes early (| head -1): the first line, no EPIPE stack, exit status 0', () => {
    const r = bash(lake, `${query('csv')} | head -n 1; echo "query exit \${PIPESTATUS[0]}" >&2`);
    expect(r.stdout).toBe('n,s\n');
    expect(r.stderr).toBe('query exit 0\n');
  });

  test('the same with stderr in the pipe too (2>&1 | head -1)', () => {
    const r = bash(lake, `${query('csv')} 2>&1 | head -n 1; echo "query exit \${PIPESTATUS[0]}" >&2`);
    expect(r.stdout).toBe('n,s\n');
    expect(r.stderr).toBe('query exit 0\n');
  });

  test('a job prints its result line whole through a pipe', () => {
    const r = bash(lake, `${cliCommand('job', ['notification_attempted_daily', '--date', '2026-03-05'])} | cat`);
    expect(r.status).toBe(0);
    expect(r.stdout.endsWith('\n')).toBe(true);
    expect(JSON.parse(r.stdout)).toMatchObject({ job: 'notification_attempted_daily', date: '2026-03-05', status: 'succeeded' });
  });

  test('--help prints the usage through the pipe and exits 0 (it said "error: (outputHelp)", exit 2)', () => {
    const r = bash(lake, `${cliCommand('query', ['--help'])} | cat; echo "query exit \${PIPESTATUS[0]}" >&2`);
    expect(r.stdout).toMatch(/^Usage: query \[options\] <sql>\n[\s\S]*--format <format>/);
    expect(r.stderr).toBe('query exit 0\n');
  });

  test('one mechanism: no CLI writes to stdout or exits except through src/cli/output.ts', () => {
    const dir = path.join(REPO, 'src/cli');
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'output.ts')) {
      const text = fs.readFileSync(path.join(dir, file), 'utf8');
      expect({ file, stdout: /process\.stdout\.write/.test(text) }).toEqual({ file, stdout: false });
      // main.ts keeps one process.exit: the default of the signal handler, which must not wait for a reader.
      const exits = (text.match(/process\.exit\b(?!Code)/g) ?? []).length;
      expect({ file, exits }).toEqual({ file, exits: file === 'main.ts' ? 1 : 0 });
    }
  });
});
