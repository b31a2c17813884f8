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
import { Pointer, StagedPartition, publishPartition, readPointer, listPointers } from '../lake/publish.js';
import { TableDef } from '../rules/tables.js';
import { Logger } from '../log.js';

export interface Services {
  config: Config;
  store: ObjectStore;
  exportStore: ObjectStore;
  catalog: Catalog;
  engine: Engine;
  log: Logger;
}

/** A sortable, unique run id: UTC start time plus random suffix. */
export function newRunId(now = new Date()): string {
  const ts = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${ts}-${crypto.randomBytes(4).toString('hex')}`;
}

export class JobContext {
  readonly staged: StagedPartition[] = [];
  readonly published: Pointer[] = [];
  readonly warnings: string[] = [];
  /** Flags of the request: `force` (rerun even when inputs are unchanged), `allowPartial` (exports). */
  flags: { force?: boolean; allowPartial?: boolean } = {};

  constructor(
    readonly job: string,
    readonly period: { date?: string; month?: string },
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

  /** Records a warning: logged now and kept in the run summary. */
  warn(message: string, fields: Record<string, unknown> = {}): void {
    this.warnings.push(message);
    this.log.warn({ event: 'job.warning', ...fields }, message);
  }

  /** Writes a query's rows as one zstd Parquet file in scratch and stages it as the table's partition. */
  async stage(table: TableDef, value: string, sql: string, params: Params = {}, extra: Partial<StagedPartition> = {}): Promise<StagedPartition> {
    const dir = path.join(this.scratch, `${table.name}-${value}`);
    await fsp.mkdir(dir, { recursive: true });
    const file = path.join(dir, 'part-00000.parquet');
    const columns = table.columns.map((c) => c.name).join(', ');
    const rows = await this.db.copyToParquet(`SELECT ${columns} FROM (${sql})`, params, file);
    const staged: StagedPartition = { table, value, files: [file], rows, ...extra };
    this.staged.push(staged);
    return staged;
  }

  /** Publishes every staged partition (data before pointer, one pointer swap each) and registers it. */
  async publishAll(): Promise<Pointer[]> {
    for (const s of this.staged) {
      await this.services.catalog.ensureTable(s.table);
      const pointer = await publishPartition(this.store, s, this.runId);
      await this.services.catalog.registerPartition(s.table, pointer);
      this.published.push(pointer);
      this.log.info({ event: 'partition.published', table: s.table.name, partition: s.value, rows: s.rows }, `published ${s.table.name} ${s.table.partitionKey}=${s.value} (${s.rows} rows)`);
    }
    return this.published;
  }

  /** Local Parquet paths of a partition's current version, or null when it was never published. */
  async currentFiles(table: TableDef, value: string): Promise<{ pointer: Pointer; paths: string[] } | null> {
    const pointer = await readPointer(this.store, table, value);
    if (!pointer) return null;
    return { pointer, paths: await this.store.localPaths(pointer.files, path.join(this.scratch, 'inputs')) };
  }

  /**
   * True when the partition's current version was built from exactly these inputs, so this run has
   * nothing to do (unless --force). The fingerprint covers the inputs and the rule/config they depend on.
   */
  async isUpToDate(table: TableDef, value: string, fingerprint: string): Promise<boolean> {
    if (this.flags.force) return false;
    const pointer = await readPointer(this.store, table, value);
    if (pointer?.fingerprint !== fingerprint) return false;
    this.log.info({ event: 'job.up_to_date', table: table.name, partition: value }, `up to date: the inputs of ${table.name} ${table.partitionKey}=${value} did not change since run ${pointer.runId} (--force reruns anyway)`);
    return true;
  }

  /** Current pointers of all partitions of a table. */
  async pointers(table: TableDef): Promise<Pointer[]> {
    return listPointers(this.store, table);
  }
}

export async function makeScratch(store: ObjectStore, runId: string): Promise<string> {
  const dir = await store.scratchDir(runId);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}
