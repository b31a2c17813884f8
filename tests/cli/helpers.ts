/** Runs the real CLIs through a shell, so their stdout can go into a pipe (`| wc -l`, `| head -1`). */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { REPO, TSX, cliEnv } from '../reliability/helpers';

export { REPO };

/** A fresh empty lake folder (the query CLI needs no tables for table-less SQL). */
export function emptyLake(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'ace-cli-lake-'));
}

/** Single-quotes a word for bash. */
export function shq(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** `tsx src/cli/<name>.ts args…` as a shell word list, to put in front of a pipe. */
export function cliCommand(name: string, args: string[]): string {
  return [TSX, path.join(REPO, `src/cli/${name}.ts`), ...args].map(shq).join(' ');
}

/** Runs a bash script with the lake as ACE_LAKE_ROOT (JSON logs on stderr); never throws. */
export function bash(lake: string, script: string, env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('bash', ['-c', script], {
    cwd: REPO,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 900_000,
    env: cliEnv(lake, env),
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
