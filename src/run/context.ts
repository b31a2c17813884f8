/**
 * The job runtime: everything a job needs for one run (config, lake, catalog, DuckDB, logger, run id,
 * scratch folder) and the one way to write a table: stage Parquet into scratch, then publish every
 * staged partition at the end, after all checks passed. A job never sequences publishing by hand.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Config } from '../config/config.js';
import { Db, Engine, Params } from '../engine/duckdb.js';
import { ObjectStore } from '../lake/objectStore.js';
import { Catalog } from '../catalog/catalog.js';
import { Pointer, StagedPartition, publishPartition, pointerKey } from '../lake/publish.js';
import type { LockTiming, PublishFence } from '../lake/coordination.js';
import { TableDef } from '../rules/tables.js';
import { Logger } from '../log.js';
import { faultPoint } from '../faults.js';
import { Period, ShardMode, periodValue } from './period.js';
import { notePublished, throwIfShuttingDown } from './abort.js';

/** Tables the catalog views read: publishing one of them (re)creates the views. */
const VIEW_SOURCES = new Set(['dim_customer', 'outcome_experience_lookup']);

export interface Services {
  config: Config;
  store: ObjectStore;
  exportStore: ObjectStore;
  /** Where raw input is read: `<lake>/raw/` by default, or ACE_RAW_ROOT. */
  raw: RawSource;
  catalog: Catalog;
  engine: Engine;
  log: Logger;
  /** Test seams: called at fixed points of every run (never set in production). */
  hooks?: { beforePublish?: (ctx: JobContext) => Promise<void>; lockTiming?: Partial<LockTiming> };
}

/** The landing zone: a store and the key prefix under which `<stream>/YYYY/MM/DD/HH/<file>` live. */
export interface RawSource {
  store: ObjectStore;
  prefix: string;
}

/** An export object staged for publishing: a local file to move, or a small text. */
export interface StagedObject {
  key: string;
  file?: string;
  text?: string;
}

let lastRunMs = 0;

/**
 * A unique run id that sorts by start time: UTC start to the millisecond, then a random suffix
 * (`20261128T171836123Z-1a2b3c4d`). Within a process ids strictly increase, so a later run is
 * always "newer" for the publish coordination.
 */
export function newRunId(now = new Date()): string {
  const ms = Math.max(now.getTime(), lastRunMs + 1);
  lastRunMs = ms;
  const iso = new Date(ms).toISOString();
  const ts = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}${iso.slice(20, 23)}Z`;
  return `${ts}-${crypto.randomBytes(4).toString('hex')}`;
}

export class JobContext {
  readonly staged: StagedPartition[] = [];
  readonly published: Pointer[] = [];
  readonly stagedObjects: StagedObject[] = [];
  readonly warnings: string[] = [];
  /** Flags of the request: `force` (rerun even when inputs are unchanged), `allowPartial` (exports). */
  flags: { force?: boolean; allowPartial?: boolean; final?: boolean; shard?: ShardMode; failOnAnomaly?: boolean } = {};
  /** The input fingerprint the run was checked against (recorded in the run ledger). */
  fingerprint: string | null = null;

  constructor(
    readonly job: string,
    readonly period: Period,
    /** The tables the job declared it publishes. */
    readonly outputs: readonly TableDef[],
    readonly runId: string,
    readonly services: Services,
    readonly db: Db,
    readonly scratch: string,
    readonly log: Logger,
  ) {}

  get config(): Config {
    return this.services.config;
  }
  get store(): ObjectStore {
    return this.services.store;
  }
  /** The period's value: `YYYY-MM-DD` or `YYYY-MM`. */
  get periodValue(): string {
    return periodValue(this.period);
  }
  /** How this task takes part in the period (single unless --shard or --merge-shards). */
  get shard(): ShardMode {
    return this.flags.shard ?? { kind: 'single' };
  }

  /** Records a warning: logged now and kept in the run summary. */
  warn(message: string, fields: Record<string, unknown> = {}): void {
    this.warnings.push(message);
    this.log.warn({ event: 'job.warning', ...fields }, message);
  }

  /** Writes a query's rows as one zstd Parquet file in scratch and stages it as the table's partition. */
  async stage(table: TableDef, value: string, sql: string, params: Params = {}, extra: Partial<StagedPartition> = {}): Promise<StagedPartition> {
    if (!this.outputs.includes(table)) throw new Error(`${this.job} staged ${table.name}, which it does not declare among its outputs`);
    const dir = path.join(this.scratch, `${table.name}-${value}`);
    await fsp.mkdir(dir, { recursive: true });
    const file = path.join(dir, 'part-00000.parquet');
    const columns = table.columns.map((c) => c.name).join(', ');
    const rows = await this.db.copyToParquet(`SELECT ${columns} FROM (${sql})`, params, file);
    const staged: StagedPartition = { table, value, files: [file], rows, ...extra };
    this.staged.push(staged);
    return staged;
  }

  /** Stages a partition made of parts already in the lake (the shards' parts of a day), published by one pointer swap over them. */
  stageParts(table: TableDef, value: string, keys: string[], rows: number, extra: Partial<StagedPartition> = {}): StagedPartition {
    if (!this.outputs.includes(table)) throw new Error(`${this.job} staged ${table.name}, which it does not declare among its outputs`);
    const staged: StagedPartition = { table, value, files: [], lakeFiles: keys, rows, ...extra };
    this.staged.push(staged);
    return staged;
  }

  /** Stages an object for the export store (written in order, after the table partitions). */
  stageObject(object: StagedObject): void {
    this.stagedObjects.push(object);
  }

  /**
   * Publishes every staged partition (data before pointer, one pointer swap each), registers it in
   * the catalog, then writes the staged export objects in order. The caller holds the publish lock.
   */
  async publishAll(fence?: PublishFence): Promise<Pointer[]> {
    // Each swap replaces exactly the version that was current when this run started publishing.
    const expected = await Promise.all(this.staged.map(async (s) => (await this.store.readVersioned(pointerKey(s.table.name, s.table.partitionKey, s.value)))?.etag ?? null));
    await this.services.hooks?.beforePublish?.(this);
    for (const [i, s] of this.staged.entries()) {
      // A SIGTERM stops between partitions: each partition is whole, the rest keeps its old version.
      throwIfShuttingDown();
      await this.services.catalog.ensureTable(s.table);
      const pointer = await publishPartition(this.store, s, this.runId, { fence, expectedEtag: expected[i] });
      await this.services.catalog.registerPartition(s.table, pointer);
      this.published.push(pointer);
      notePublished();
      this.log.info({ event: 'partition.published', table: s.table.name, partition: s.value, rows: s.rows }, `published ${s.table.name} ${s.table.partitionKey}=${s.value} (${s.rows} rows)`);
      if (i === 0) faultPoint('after-first-partition');
    }
    if (this.staged.some((s) => VIEW_SOURCES.has(s.table.name))) await this.services.catalog.ensureViews?.();
    // Export objects go together (a CSV is never left without its manifest).
    throwIfShuttingDown();
    await fence?.assertHeld();
    for (const o of this.stagedObjects) {
      if (o.file !== undefined) await this.services.exportStore.putFile(o.file, o.key);
      else await this.services.exportStore.writeText(o.key, o.text ?? '');
    }
    return this.published;
  }

  /**
   * Downloads (S3) or locates (local lake) the files of the given versions (or of shard parts), into
   * scratch: the only way a job reads lake files, so what a run downloads is exactly what its build asks for.
   */
  async fetch(pointers: Pick<Pointer, 'files'> | (Pick<Pointer, 'files'> | null)[], folder = 'inputs'): Promise<string[]> {
    const keys = (Array.isArray(pointers) ? pointers : [pointers]).flatMap((p) => p?.files ?? []);
    // Each file once per run: a date's attempts serve the lookback of the next days too.
    const missing = [...new Set(keys.filter((k) => !this.fetched.has(k)))];
    const paths = await this.store.localPaths(missing, path.join(this.scratch, folder));
    missing.forEach((k, i) => this.fetched.set(k, paths[i]));
    return keys.map((k) => this.fetched.get(k)!);
  }
  private readonly fetched = new Map<string, string>();
}

export async function makeScratch(store: ObjectStore, runId: string): Promise<string> {
  const dir = await store.scratchDir(runId);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}
