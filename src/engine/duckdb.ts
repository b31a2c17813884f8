/**
 * The only importer of @duckdb/node-api. An Engine is one in-process DuckDB instance with its
 * memory limit and spill folder; a Db is a connection with bound-parameter helpers.
 * Session time zone is pinned to UTC so nothing depends on the host zone.
 */
import fs from 'node:fs';
import {
  DuckDBConnection,
  DuckDBInstance,
  DuckDBType,
  DuckDBValue,
  LIST,
  StatementType,
  VARCHAR,
  listValue,
} from '@duckdb/node-api';
import { TypedJson, typedJsonConverter } from './jsonValues.js';

export interface EngineOptions {
  memoryLimit: string;
  tempDir: string;
  threads: number;
  /** When given, DuckDB may touch files only under these folders, and SQL cannot change that. */
  allowedDirectories?: string[];
}

/**
 * Rows per Parquet row group of every table the jobs write: DuckDB's default (122,880). DuckDB encodes
 * one row group per thread, so the 1M-row groups used before left a core idle: the sorted write of a
 * 2M-row day took ~1.6x as long (34 s against 21 s, one loaded machine); the price is ~6x more row
 * groups (more footer metadata, finer min/max statistics). See docs/performance.md, "Where the time goes".
 */
export const PARQUET_ROW_GROUP_SIZE = 122_880;

export type Params = Record<string, DuckDBValue | string[]>;

/** One statement, parsed and bound but not run. */
export interface PreparedStatement {
  /** DuckDB's statement type: SELECT, COPY, ATTACH, CREATE, … */
  readonly type: string;
  /** Column names of its result, in order. */
  readonly columns: string[];
  /** Runs it and returns its rows as `Db.all` does. */
  all(): Promise<Record<string, unknown>[]>;
  /** Runs it and returns its rows as typed JSON values (src/engine/jsonValues.ts). */
  allTyped(): Promise<Record<string, TypedJson>[]>;
  close(): void;
}

/** Quotes a SQL string literal for the few places a value cannot be bound (COPY options, view bodies). */
export function sqlString(value: string): string {
  if (value.includes('\0')) throw new Error('a SQL literal cannot contain a NUL byte');
  return `'${value.replace(/'/g, "''")}'`;
}

/** Quotes an identifier (table, view, column) that comes from a validated name. */
export function sqlIdent(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`not a valid identifier: ${name}`);
  return `"${name}"`;
}

function bind(params: Params | undefined): { values?: Record<string, DuckDBValue>; types?: Record<string, DuckDBType> } {
  if (!params) return {};
  const values: Record<string, DuckDBValue> = {};
  const types: Record<string, DuckDBType> = {};
  for (const [k, v] of Object.entries(params)) {
    if (Array.isArray(v)) {
      values[k] = listValue(v);
      types[k] = LIST(VARCHAR);
    } else if (v === null) {
      values[k] = null;
      types[k] = VARCHAR;
    } else {
      values[k] = v;
    }
  }
  return { values, types };
}

export class Db {
  constructor(private readonly conn: DuckDBConnection) {}

  /** Runs one or more statements; parameters are bound by name (`$name`). */
  async run(sql: string, params?: Params): Promise<void> {
    const { values, types } = bind(params);
    if (values && Object.keys(values).length > 0) await this.conn.run(sql, values, types);
    else await this.conn.run(sql);
  }

  /**
   * Sets session variables for statements that cannot take bound parameters (CREATE … AS, views);
   * SQL reads them with getvariable('name'). Values go through the one quoting helper.
   */
  async setVariables(vars: Record<string, string | string[]>): Promise<void> {
    for (const [name, v] of Object.entries(vars)) {
      const literal = Array.isArray(v) ? `[${v.map(sqlString).join(', ')}]::VARCHAR[]` : sqlString(v);
      await this.conn.run(`SET VARIABLE ${sqlIdent(name)} = ${literal}`);
    }
  }

  /** Runs a query and returns its rows as plain objects (BIGINT → number, timestamps → Date-free JSON). */
  async all<T = Record<string, unknown>>(sql: string, params?: Params): Promise<T[]> {
    const { values, types } = bind(params);
    const reader = values && Object.keys(values).length > 0 ? await this.conn.runAndReadAll(sql, values, types) : await this.conn.runAndReadAll(sql);
    return reader.getRowObjectsJson() as unknown as T[];
  }

  /** Runs a query and returns the rows with JS values (bigint for BIGINT). */
  async rows(sql: string, params?: Params): Promise<Record<string, unknown>[]> {
    const { values, types } = bind(params);
    const reader = values && Object.keys(values).length > 0 ? await this.conn.runAndReadAll(sql, values, types) : await this.conn.runAndReadAll(sql);
    return reader.getRowObjectsJS() as Record<string, unknown>[];
  }

  /**
   * Splits SQL into its statements and prepares each (in order; the first failure closes the others).
   * Binding is not free of effects (binding EXPORT DATABASE creates its folder): check the parse first.
   */
  async prepareEach(sql: string): Promise<PreparedStatement[]> {
    const extracted = await this.conn.extractStatements(sql);
    const out: PreparedStatement[] = [];
    try {
      for (let i = 0; i < extracted.count; i++) {
        const p = await extracted.prepare(i);
        const columns = Array.from({ length: p.columnCount }, (_, c) => p.columnName(c));
        out.push({
          type: StatementType[p.statementType] ?? String(p.statementType),
          columns,
          all: async () => (await p.runAndReadAll()).getRowObjectsJson() as Record<string, unknown>[],
          allTyped: async () => (await p.runAndReadAll()).convertRowObjects(typedJsonConverter) as Record<string, TypedJson>[],
          close: () => p.destroySync(),
        });
      }
    } catch (err) {
      for (const p of out) p.close();
      throw err;
    }
    return out;
  }

  /** Column names and DuckDB type names of a query. */
  async columns(sql: string, params?: Params): Promise<{ name: string; type: string }[]> {
    const { values, types } = bind(params);
    const reader = values && Object.keys(values).length > 0 ? await this.conn.runAndReadAll(sql, values, types) : await this.conn.runAndReadAll(sql);
    return reader.columnNames().map((name, i) => ({ name, type: reader.columnType(i).toString() }));
  }

  /** Writes a query's result to one zstd Parquet file (row groups of PARQUET_ROW_GROUP_SIZE); returns the row count. */
  async copyToParquet(sql: string, params: Params, file: string): Promise<number> {
    const { values, types } = bind({ ...params, __out: file });
    const reader = await this.conn.runAndReadAll(
      `COPY (${sql}) TO $__out (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${PARQUET_ROW_GROUP_SIZE})`,
      values,
      types,
    );
    const rows = reader.getRows();
    return rows.length > 0 ? Number(rows[0][0]) : 0;
  }

  /** Appends rows into an existing table (used for small non-event sources such as a warehouse stream). */
  async append(table: string, rows: AsyncIterable<unknown[]> | Iterable<unknown[]>): Promise<number> {
    const appender = await this.conn.createAppender(table);
    let n = 0;
    for await (const row of rows as AsyncIterable<unknown[]>) {
      for (const v of row) {
        if (v === null || v === undefined) appender.appendNull();
        else if (typeof v === 'boolean') appender.appendBoolean(v);
        else if (typeof v === 'number') appender.appendDouble(v);
        else appender.appendVarchar(String(v));
      }
      appender.endRow();
      n++;
    }
    appender.closeSync();
    return n;
  }

  close(): void {
    this.conn.closeSync();
  }
}

export class Engine {
  private constructor(private readonly instance: DuckDBInstance) {}

  /** Opens an in-memory DuckDB with the given memory limit, spill folder and threads. */
  static async open(options: EngineOptions): Promise<Engine> {
    fs.mkdirSync(options.tempDir, { recursive: true });
    const instance = await DuckDBInstance.create(':memory:', {
      memory_limit: options.memoryLimit,
      temp_directory: options.tempDir,
      threads: String(options.threads),
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'true',
      // Hand freed memory back to the OS sooner instead of caching up to 128 / 512 MB of it in the
      // allocator (DuckDB's defaults): at 10M events a day that cache put peak RSS ~0.5 GB above
      // memory_limit (docs/performance.md, "Memory"). 32 MB for bulk frees cost 7 % at 1M; 64 MB ~0.
      allocator_flush_threshold: '32MB',
      allocator_bulk_deallocation_flush_threshold: '64MB',
      // jemalloc's background threads purge freed pages as they age. Without them a finished job left
      // 0.5-0.9 GB of freed pages resident, and the next job in the same process ran ~0.6 GB higher
      // than alone: the local daily graph peaked at 1.98-2.17 GB at 10M events a day against <= 1.91 GB
      // for every job alone (docs/performance.md, "Memory").
      allocator_background_threads: 'true',
    });
    const setup = await instance.connect();
    try {
      // ICU is statically built in (never INSTALLed at run time); loading it enables TIMESTAMPTZ zones.
      await setup.run(`LOAD icu; SET GLOBAL TimeZone='UTC'`);
      if (options.allowedDirectories) {
        await setup.run(`SET allowed_directories = [${options.allowedDirectories.map(sqlString).join(', ')}]`);
        await setup.run(`SET enable_external_access = false`);
        await setup.run(`SET lock_configuration = true`);
      }
    } finally {
      setup.closeSync();
    }
    return new Engine(instance);
  }

  /** A new connection; the session time zone is UTC (set globally when the engine opened). */
  async connect(): Promise<Db> {
    const conn = await this.instance.connect();
    return new Db(conn);
  }

  close(): void {
    this.instance.closeSync();
  }
}
