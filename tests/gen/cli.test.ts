import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const REPO = resolve(__dirname, '../..');
const TSX = join(REPO, 'node_modules', '.bin', 'tsx');

function run(args: string[]) {
  const r = spawnSync(TSX, ['src/cli/generate.ts', ...args], { cwd: REPO, encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('npm run generate (real CLI)', () => {
  const root = mkdtempSync(join(tmpdir(), 'ace-gen-cli-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  test('writes a lake and prints the summary as JSON', () => {
    const r = run(['--root', root, '--seed', '5', '--from', '2026-03-07', '--to', '2026-03-08', '--events-per-day', '200', '--no-gzip']);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ seed: 5, from: '2026-03-07', to: '2026-03-08', days: 2, notifications: 400 });
    expect(summary.injected.plainFiles).toBe(summary.files.total);
    expect(existsSync(join(root, 'warehouse', 'dim_customer.csv'))).toBe(true);
  });

  test.each([
    [['--from', '2026-02-30', '--to', '2026-03-01'], /--from <date>.*calendar date/],
    [['--from', '2026-03-02', '--to', '2026-03-01'], /to \(2026-03-01\) is before from/],
    [['--from', '2026-03-01', '--to', '2026-03-01', '--files-per-hour', '3'], /--files-per-hour must be an integer from 1 to 2/],
    [['--to', '2026-03-01'], /required option '--from/],
  ])('rejects %p with one line and exit 2', (args, message) => {
    const r = run(['--root', root, ...args]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });
});
