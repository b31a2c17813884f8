/**
 * Shared pieces of the reliability tests (docs/reliability.md): spawning the real CLI against a temp
 * lake, listing run folders, comparing rows without their run id, and the conservation law.
 */
import { spawnSync, SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Lake, query } from '../helpers/lake';
import { ObjectInfo, ObjectStore } from '../../src/lake/objectStore';

export const REPO = path.resolve(__dirname, '../..');
export const TSX = path.join(REPO, 'node_modules/.bin/tsx');

/** The environment a spawned CLI gets in tests: the lake at `root`, UTC, JSON logs, a small DuckDB; `extra` on top. */
export function cliEnv(root: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    TMPDIR: process.env.TMPDIR ?? '/tmp',
    TZ: 'UTC',
    ACE_LAKE_ROOT: root,
    ACE_DUCKDB_MEMORY_LIMIT: '512MB',
    ACE_DUCKDB_TEMP_DIR: path.join(root, '_duckdb_tmp'),
    LOG_FORMAT: 'json',
    ...extra,
  };
}

/** Runs `tsx src/cli/<cli>.ts args…` with the lake as ACE_LAKE_ROOT (JSON logs); never throws. */
export function cli(lake: Lake, cliName: string, args: string[], env: Record<string, string> = {}): SpawnSyncReturns<string> {
  return spawnSync(TSX, [path.join(REPO, `src/cli/${cliName}.ts`), ...args], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 900_000,
    env: cliEnv(lake.root, env),
  });
}

/** The `run=<id>` folder names of a partition, sorted. */
export function runFolders(lake: Lake, table: string, key: string, value: string): string[] {
  const dir = path.join(lake.root, 'tables', table, `${key}=${value}`);
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((n) => n.startsWith('run=')).map((n) => n.slice(4)).sort();
}

/** Every row of a table's current versions, without run_id, in a stable order. */
export async function rowsButRunId(lake: Lake, table: string, where = 'true'): Promise<unknown[]> {
  return query(lake, `SELECT * EXCLUDE (run_id) FROM ${table} WHERE ${where} ORDER BY ALL`);
}


/** Every file under a folder of the lake (relative keys), for "nothing was written" checks. */
export function listFiles(lake: Lake, under: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    if (!fs.existsSync(dir)) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(path.relative(lake.root, p));
    }
  };
  walk(path.join(lake.root, under));
  return out.sort();
}

/** Delegates everything to a real store; subclasses change one behaviour (a lost response, a stall). */
export class WrappedStore implements ObjectStore {
  constructor(readonly inner: ObjectStore) {}
  get downloads() { return this.inner.downloads; }
  describe(key: string) { return this.inner.describe(key); }
  list(prefix: string): Promise<ObjectInfo[]> { return this.inner.list(prefix); }
  readText(key: string) { return this.inner.readText(key); }
  writeText(key: string, body: string) { return this.inner.writeText(key, body); }
  putFile(localPath: string, key: string) { return this.inner.putFile(localPath, key); }
  copy(fromKey: string, toKey: string) { return this.inner.copy(fromKey, toKey); }
  localPaths(keys: string[], scratchDir: string) { return this.inner.localPaths(keys, scratchDir); }
  scratchDir(runId: string) { return this.inner.scratchDir(runId); }
  readVersioned(key: string) { return this.inner.readVersioned(key); }
  createIfAbsent(key: string, body: string) { return this.inner.createIfAbsent(key, body); }
  replaceIfMatch(key: string, body: string, etag: string) { return this.inner.replaceIfMatch(key, body, etag); }
  deleteIfMatch(key: string, etag: string) { return this.inner.deleteIfMatch(key, etag); }
  delete(key: string) { return this.inner.delete(key); }
  deletePrefix(prefix: string) { return this.inner.deletePrefix(prefix); }
}
