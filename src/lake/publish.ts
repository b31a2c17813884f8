/**
 * The one publish path every table uses. A run writes its partition under its own run folder
 * (`tables/<table>/<key>=<value>/run=<run_id>/`), writes the run's manifest, then makes it current
 * by replacing the partition's `_current.json` pointer in one atomic step. Readers only follow
 * pointers, so they see the previous complete version or the new one, never a part.
 */
import fs from 'node:fs';
import path from 'node:path';
import { StorageError, SupersededError } from '../errors.js';
import { TableDef } from '../rules/tables.js';
import { ObjectStore, PreconditionFailedError } from './objectStore.js';
import { faultPoint } from '../faults.js';
import type { PublishFence } from './coordination.js';
import { parseJson, readJson } from './json.js';

export interface Pointer {
  table: string;
  partitionKey: string;
  partitionValue: string;
  runId: string;
  /** Keys of the Parquet files of this version, relative to the lake root. */
  files: string[];
  rows: number;
  /** Fingerprint of the inputs this version was built from (null when not tracked). */
  fingerprint: string | null;
  publishedAt: string;
  /** Free-form facts about the version (as_of_date, input versions, counts). */
  meta: Record<string, unknown>;
}

export interface StagedPartition {
  table: TableDef;
  value: string;
  /** Local Parquet files to publish, in order. */
  files: string[];
  /** Parquet files already in the lake (the parts shard tasks wrote), copied into the version after `files`, in order. */
  lakeFiles?: string[];
  rows: number;
  fingerprint?: string | null;
  meta?: Record<string, unknown>;
}

export function partitionPrefix(table: string, key: string, value: string): string {
  return `tables/${table}/${key}=${value}`;
}

export function pointerKey(table: string, key: string, value: string): string {
  return `${partitionPrefix(table, key, value)}/_current.json`;
}

export function runPrefix(table: string, key: string, value: string, runId: string): string {
  return `${partitionPrefix(table, key, value)}/run=${runId}`;
}

/** The current version of a partition, or null when it was never published. */
export async function readPointer(store: ObjectStore, table: TableDef, value: string): Promise<Pointer | null> {
  return readJson<Pointer>(store, pointerKey(table.name, table.partitionKey, value));
}

/** Current pointers of every partition of a table, sorted by partition value. */
export async function listPointers(store: ObjectStore, table: TableDef): Promise<Pointer[]> {
  const objects = await store.list(`tables/${table.name}/`);
  const keys = objects.map((o) => o.key).filter((k) => k.endsWith('/_current.json') && k.split('/').length === 4);
  const pointers = await Promise.all(keys.map((k) => readJson<Pointer>(store, k)));
  return pointers.filter((p): p is Pointer => p !== null).sort((a, b) => (a.partitionValue < b.partitionValue ? -1 : 1));
}

/** What a pointer swap is conditional on. */
export interface SwapGuard {
  /** Checked right before the swap: the run still holds its publish lock. */
  fence?: PublishFence;
  /** The pointer's etag when the run started publishing (null: there was none); read just before the swap when absent. */
  expectedEtag?: string | null;
}

/**
 * Uploads the staged files under the run's folder, writes its manifest, then swaps the pointer (only
 * if it is still the version `guard.expectedEtag` names, and the run still holds its lock).
 * Returns the new pointer. The previous version's files are left for garbage collection.
 */
export async function publishPartition(store: ObjectStore, staged: StagedPartition, runId: string, guard: SwapGuard = {}): Promise<Pointer> {
  const { table, value } = staged;
  const prefix = runPrefix(table.name, table.partitionKey, value, runId);
  const keys: string[] = [];
  const sizes = new Map<string, number>();
  for (const [i, file] of staged.files.entries()) {
    const key = `${prefix}/part-${String(i).padStart(5, '0')}${path.extname(file) || '.parquet'}`;
    sizes.set(key, fs.statSync(file).size);
    await store.putFile(file, key);
    keys.push(key);
  }
  for (const [j, source] of (staged.lakeFiles ?? []).entries()) {
    const key = `${prefix}/part-${String(staged.files.length + j).padStart(5, '0')}.parquet`;
    const [info] = (await store.list(source)).filter((o) => o.key === source);
    if (!info) throw new StorageError(`publishing ${table.name} ${table.partitionKey}=${value}: its part ${store.describe(source)} is missing; the previous version stays current. Rerun the shard that wrote it, then the merge`);
    sizes.set(key, info.size);
    await store.copy(source, key);
    keys.push(key);
  }
  // The version becomes current only once every object is there with its size (a lost or short upload
  // fails here, before the pointer moves); a retried upload of the same key is the same object.
  const stored = new Map((await store.list(`${prefix}/`)).map((o) => [o.key, o.size]));
  const bad = keys.filter((k) => stored.get(k) !== sizes.get(k));
  if (bad.length > 0) {
    throw new StorageError(`publishing ${table.name} ${table.partitionKey}=${value}: ${bad.map((k) => `${store.describe(k)} (${stored.get(k) ?? 'missing'} bytes, expected ${sizes.get(k)})`).join(', ')} did not verify; the previous version stays current. Rerun the job`);
  }
  const pointer: Pointer = {
    table: table.name,
    partitionKey: table.partitionKey,
    partitionValue: value,
    runId,
    files: keys,
    rows: staged.rows,
    fingerprint: staged.fingerprint ?? null,
    publishedAt: new Date().toISOString(),
    meta: staged.meta ?? {},
  };
  await store.writeText(`${prefix}/_manifest.json`, JSON.stringify(pointer, null, 2));
  faultPoint('after-data-before-pointer');
  await swapPointer(store, staged, pointer, guard);
  // History of the versions that were really made current (an orphan of a killed run never is).
  await store.writeText(`${historyPrefix(table, value)}${pointer.publishedAt}_${runId}.json`, JSON.stringify(pointer));
  return pointer;
}

/**
 * Makes `pointer` current: create-if-absent or replace-if-match on `_current.json`, right after checking
 * the fence. On an error it reads the pointer back: its own run there is a lost response (success); a
 * newer run there supersedes this one; an older run there (a run fenced out after its last check whose
 * write landed) is replaced, since this run holds the lock and the newest run wins.
 */
async function swapPointer(store: ObjectStore, staged: StagedPartition, pointer: Pointer, guard: SwapGuard): Promise<void> {
  const { table, value } = staged;
  const key = pointerKey(table.name, table.partitionKey, value);
  const body = JSON.stringify(pointer, null, 2);
  let expected = guard.expectedEtag !== undefined ? guard.expectedEtag : ((await store.readVersioned(key))?.etag ?? null);
  for (let attempt = 0; ; attempt++) {
    await guard.fence?.assertHeld();
    try {
      if (expected === null) await store.createIfAbsent(key, body);
      else await store.replaceIfMatch(key, body, expected);
      return;
    } catch (err) {
      const current = await store.readVersioned(key).catch(() => null);
      let holder: string | null = null;
      try {
        holder = current ? (parseJson<Pointer>(store, key, current.body).runId ?? null) : null;
      } catch {
        // an unreadable pointer: replaced below like an older run's
      }
      if (holder === pointer.runId) return;
      if (!(err instanceof PreconditionFailedError) || attempt >= 3) throw err;
      if (holder !== null && holder > pointer.runId) {
        throw new SupersededError(`superseded: run ${holder} made ${table.name} ${table.partitionKey}=${value} current while this run ${pointer.runId} was publishing; nothing more was published by this run`);
      }
      expected = current?.etag ?? null;
    }
  }
}

/** Where a partition keeps the pointers of the versions that were made current, one file each. */
function historyPrefix(table: TableDef, value: string): string {
  return `${partitionPrefix(table.name, table.partitionKey, value)}/_history/`;
}

/** The version itself when its run folder is still there (garbage collection removes old ones), else null. */
async function stillReadable(store: ObjectStore, table: TableDef, value: string, p: Pointer): Promise<Pointer | null> {
  return (await store.readText(`${runPrefix(table.name, table.partitionKey, value, p.runId)}/_manifest.json`)) === null ? null : p;
}

/**
 * The version of a partition that was current at `instant` (from the partition's `_history/`, written
 * after each pointer swap), while its files are kept (until garbage collection); null when there was none.
 */
export async function versionAsOf(store: ObjectStore, table: TableDef, value: string, instant: string): Promise<Pointer | null> {
  const prefix = historyPrefix(table, value);
  // History keys start with the ISO publish time, so key order is time order.
  const entries = (await store.list(prefix)).filter((o) => o.key.slice(prefix.length) <= `${instant}_\uffff`);
  const last = entries[entries.length - 1];
  const p = last ? await readJson<Pointer>(store, last.key) : null;
  if (!p || p.publishedAt > instant) return null;
  return stillReadable(store, table, value, p);
}

/**
 * The newest version of a partition that was made current and matches `accept` (from `_history/`,
 * newest first), provided its run folder was not garbage-collected; null when there is none.
 */
export async function findVersion(store: ObjectStore, table: TableDef, value: string, accept: (p: Pointer) => boolean): Promise<Pointer | null> {
  const entries = (await store.list(historyPrefix(table, value))).map((o) => o.key).sort().reverse();
  for (const key of entries) {
    const p = await readJson<Pointer>(store, key);
    if (p && accept(p) && (await stillReadable(store, table, value, p))) return p;
  }
  return null;
}
