import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BenchUsageError, parseBenchArgs } from '../../bench/args';
import { prepareTmp } from '../../bench/run';

describe('npm run bench arguments', () => {
  test('defaults: one day, 2026-04-01, month part at 300k a day, one run', () => {
    const a = parseBenchArgs(['--events', '1000000']);
    expect(a).toMatchObject({ events: [1_000_000], days: 1, date: '2026-04-01', naive: false, keep: false, monthEvents: 300_000, repeat: 1 });
  });

  test('sizes as a list with suffixes, flags and --name=value', () => {
    const a = parseBenchArgs(['--events=1M,10M', '--days', '30', '--naive', '--keep', '--month-events', '0', '--repeat', '3', '--date', '2026-05-01']);
    expect(a).toMatchObject({ events: [1_000_000, 10_000_000], days: 30, naive: true, keep: true, monthEvents: 0, repeat: 3, date: '2026-05-01' });
    expect(parseBenchArgs(['--events', '300k']).events).toEqual([300_000]);
  });

  test('usage errors name the flag', () => {
    expect(() => parseBenchArgs([])).toThrow(/--events is required/);
    expect(() => parseBenchArgs(['--events', 'many'])).toThrow(BenchUsageError);
    expect(() => parseBenchArgs(['--events', '10', '--days', '0'])).toThrow(/--days must be at least 1/);
    expect(() => parseBenchArgs(['--events', '10', '--date', '2026-04-02'])).toThrow(/first day of a month/);
    expect(() => parseBenchArgs(['--events', '10', '--fast'])).toThrow(/unknown argument "--fast"/);
  });
});

describe('issue 16: windows, shapes and --tmp', () => {
  test('--window and --shapes take comma lists; the default is the steady window with no extra shapes', () => {
    expect(parseBenchArgs(['--events', '1M'])).toMatchObject({ windows: ['steady'], shapes: [], s3: false });
    expect(parseBenchArgs(['--events', '1M', '--s3']).s3).toBe(true);
    // The children run compiled JavaScript, as the job image does, unless --tsx.
    expect(parseBenchArgs(['--events', '1M']).tsx).toBe(false);
    expect(parseBenchArgs(['--events', '1M', '--tsx']).tsx).toBe(true);
    const a = parseBenchArgs(['--events', '1M', '--window', 'steady,all-kept', '--shapes', 'prefixed,uuid,numeric,nested,compact']);
    expect(a).toMatchObject({ windows: ['steady', 'all-kept'], shapes: ['prefixed', 'uuid', 'numeric', 'nested', 'compact'] });
    expect(() => parseBenchArgs(['--events', '1M', '--window', 'quiet'])).toThrow(/--window takes a comma list of steady, all-kept/);
    expect(() => parseBenchArgs(['--events', '1M', '--shapes', 'guid'])).toThrow(/--shapes takes a comma list/);
  });

  test('npm run bench -- --tmp DIR: a folder that cannot be made is one line and exit 2, not a stack trace', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ace-bench-tmp-')), 'a-file');
    fs.writeFileSync(file, 'x');
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--events', '10', '--tmp', path.join(file, 'sub')], { cwd: path.resolve(__dirname, '../..'), encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^bench: cannot create the --tmp folder .*a-file\/sub \(ENOTDIR\)/);
  });

  test('npm run bench -- --tmp DIR: a missing folder is created', () => {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ace-bench-tmp-')), 'new', 'deeper');
    const a = parseBenchArgs(['--events', '10', '--tmp', dir]);
    expect(a.tmp).toBe(dir);
    expect(prepareTmp(dir)).toBeNull();
    expect(fs.statSync(dir).isDirectory()).toBe(true);
  });
});
