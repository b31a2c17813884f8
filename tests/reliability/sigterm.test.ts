/** SIGTERM from ECS: the process stops with a one-line reason and exit 143, and publishes nothing after the signal. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import {
  ShutdownError,
  notePublished,
  publishing,
  requestShutdown,
  resetShutdownState,
  shutdownRequested,
  throwIfShuttingDown,
} from '../../src/run/abort';

const CHILD = path.join(__dirname, 'fixtures', 'sigterm-child.ts');

function runChild(mode: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, mode], { cwd: path.join(__dirname, '..', '..'), env: { ...process.env, LOG_FORMAT: 'json' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes('ready\n') && !child.killed) child.kill('SIGTERM');
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

afterEach(() => resetShutdownState());

test('outside the publish phase: exits at once, 143, "stopped by SIGTERM, nothing published"', async () => {
  const { code, stdout, stderr } = await runChild('working');
  expect(code).toBe(143);
  expect(stdout).not.toContain('published');
  expect(stderr.trim().split('\n').filter((l) => !/NodeVersionSupportWarning|^\s*$/.test(l)).pop()).toBe('error: stopped by SIGTERM, nothing published');
});

test('during the publish phase: the current partition finishes, the next ones are not published', async () => {
  const { code, stdout, stderr } = await runChild('publishing');
  expect(code).toBe(143);
  expect(stdout).toBe('ready\npublished 0\n');
  expect(stderr).toContain('SIGTERM received while publishing: stopping before the next partition');
  expect(stderr).toContain('error: stopped by SIGTERM after 1 partition(s) had been published (they stay current); nothing more published, rerun to complete');
});

test('throwIfShuttingDown and publishing() refuse to start after the signal', async () => {
  expect(shutdownRequested()).toBe(false);
  expect(() => throwIfShuttingDown()).not.toThrow();
  requestShutdown('SIGTERM');
  expect(() => throwIfShuttingDown()).toThrow(new ShutdownError('SIGTERM', 0));
  const publish = jest.fn();
  await expect(publishing(async () => publish())).rejects.toThrow('stopped by SIGTERM, nothing published');
  expect(publish).not.toHaveBeenCalled();
  notePublished();
  expect(() => throwIfShuttingDown()).toThrow(/after 1 partition\(s\) had been published/);
});
