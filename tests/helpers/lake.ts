/**
 * Test lakes: a temp folder as ACE_LAKE_ROOT, raw lines written into arrival-hour folders, jobs run
 * in-process through runJob, and table rows read back through the local catalog's views.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { loadConfig, Config } from '../../src/config/config';
import { silentLogger } from '../../src/log';
import { openServices } from '../../src/run/services';
import { Services } from '../../src/run/context';
import { runJob, RunRequest } from '../../src/run/run';
import { JobResult } from '../../src/run/job';
import { JOBS } from '../../jobs/index';
import { JobName } from '../../src/graph/graph';
import { registerViews } from '../../src/catalog/local/views';
import { AceError } from '../../src/errors';

export type Stream = 'notification_attempted' | 'notification_delivered' | 'experience_config';

export interface Lake {
  root: string;
  services: Services;
}

/** A fresh temp lake with its services (env overrides go through loadConfig, so they are validated). */
export async function makeLake(env: Record<string, string> = {}): Promise<Lake> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ace-test-lake-'));
  const config = loadConfig({
    ACE_LAKE_ROOT: root,
    // Two runs share one DuckDB in the concurrency tests: 512MB made them flaky (out of memory) under load.
    ACE_DUCKDB_MEMORY_LIMIT: '1GB',
    ACE_DUCKDB_TEMP_DIR: path.join(root, '_duckdb_tmp'),
    LOG_FORMAT: 'json',
    ...env,
  });
  const services = await openServices(config, silentLogger());
  return { root, services };
}

/** Closes the engine and removes the lake folder. */
export async function closeLake(lake: Lake | undefined): Promise<void> {
  if (!lake) return;
  lake.services.engine.close();
  fs.rmSync(lake.root, { recursive: true, force: true });
}

/** `2026-03-10T14` (a UTC hour) → `YYYY/MM/DD/HH`. */
export function hourFolder(hour: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})$/.exec(hour);
  if (!m) throw new Error(`hour must look like 2026-03-10T14, got ${hour}`);
  return `${m[1]}/${m[2]}/${m[3]}/${m[4]}`;
}

/** A raw line: objects are JSON-encoded, strings are written as is (to write broken lines). */
export type RawLine = string | Record<string, unknown>;

export function lineText(l: RawLine): string {
  return typeof l === 'string' ? l : JSON.stringify(l);
}

/**
 * Writes lines into `raw/<stream>/<hour folder>/<file>`; gzip when the name ends in `.gz`.
 * Returns the object key (relative to the lake root).
 */
export function writeRaw(lake: Lake | string, stream: Stream, hour: string, file: string, lines: RawLine[], opts: { trailingNewline?: boolean } = {}): string {
  const root = typeof lake === 'string' ? lake : lake.root;
  const key = `raw/${stream}/${hourFolder(hour)}/${file}`;
  const abs = path.join(root, key);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  const text = lines.map(lineText).join('\n') + (opts.trailingNewline === false || lines.length === 0 ? '' : '\n');
  fs.writeFileSync(abs, file.endsWith('.gz') ? zlib.gzipSync(Buffer.from(text, 'utf8')) : text);
  return key;
}

/** Writes raw bytes as is (a truncated .gz, invalid UTF-8). */
export function writeRawBytes(lake: Lake, stream: Stream, hour: string, file: string, bytes: Buffer): string {
  const key = `raw/${stream}/${hourFolder(hour)}/${file}`;
  const abs = path.join(lake.root, key);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  fs.writeFileSync(abs, bytes);
  return key;
}

/** Removes every raw file of a stream (to build a different input in the same lake). */
export function clearRaw(lake: Lake, stream?: Stream): void {
  fs.rmSync(path.join(lake.root, 'raw', ...(stream ? [stream] : [])), { recursive: true, force: true });
}

/** Runs a job in-process; `config` overrides settings for this run only (lateness, reject rate…). */
export async function run(lake: Lake, job: JobName, request: RunRequest, config: Partial<Config> = {}): Promise<JobResult> {
  const services = Object.keys(config).length ? { ...lake.services, config: { ...lake.services.config, ...config } } : lake.services;
  return runJob(services, JOBS[job], request);
}

/** Runs a job that must fail; returns the error (AceError or other). */
export async function runFailing(lake: Lake, job: JobName, request: RunRequest, config: Partial<Config> = {}): Promise<AceError | Error> {
  try {
    const r = await run(lake, job, request, config);
    throw new Error(`expected ${job} to fail, but it returned ${JSON.stringify(r)}`);
  } catch (err) {
    if (err instanceof Error && err.message.startsWith(`expected ${job} to fail`)) throw err;
    return err as Error;
  }
}

/** Runs SQL over the catalog's views (current partition versions only); rows as JSON-safe values. */
export async function query<T = Record<string, unknown>>(lake: Lake, sql: string): Promise<T[]> {
  const db = await lake.services.engine.connect();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'ace-test-query-'));
  try {
    await registerViews(db, lake.services.store, scratch);
    return await db.all<T>(sql);
  } finally {
    db.close();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** A partition's current pointer (`_current.json`), or null. */
export function pointer(lake: Lake, table: string, key: string, value: string): { runId: string; rows: number; files: string[]; meta: Record<string, unknown> } | null {
  const p = path.join(lake.root, 'tables', table, `${key}=${value}`, '_current.json');
  return fs.existsSync(p) ? JSON.parse(fs.readFileSync(p, 'utf8')) : null;
}

/** Timestamp rendering used in assertions: ISO-8601 UTC with microseconds. */
export const ISO_US = (col: string, as = col) => `strftime(${col}, '%Y-%m-%dT%H:%M:%S.%fZ') AS ${as}`;

// ---- raw event builders ----------------------------------------------------------------------

export interface Attempt {
  event_id: string;
  notification_id: string;
  client_id: string;
  customer_id: string;
  experience_id: string;
  channel: string;
  attempted_at: string;
  [extra: string]: unknown;
}

export function attempt(id: string, attemptedAt: string, over: Partial<Attempt> = {}): Attempt {
  return {
    event_id: `a-${id}`,
    notification_id: `n-${id}`,
    client_id: 'c1',
    customer_id: `cust-${id}`,
    experience_id: 'exp1',
    channel: 'sms',
    attempted_at: attemptedAt,
    ...over,
  };
}

export interface Delivery {
  event_id: string;
  notification_id: string;
  channel: string;
  delivered_at: string;
  [extra: string]: unknown;
}

export function delivery(id: string, deliveredAt: string, over: Partial<Delivery> = {}): Delivery {
  return { event_id: `d-${id}`, notification_id: `n-${id}`, channel: 'sms', delivered_at: deliveredAt, ...over };
}

export function experienceConfig(id: string, updatedAt: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    experience_id: id,
    experience_name: `Experience ${id}`,
    outcome_id: `out-${id}`,
    outcome_name: `Outcome ${id}`,
    client_id: 'c1',
    updated_at: updatedAt,
    ...over,
  };
}

/** The UTC hour (`2026-03-10T14`) an ISO instant falls in. */
export function hourOf(instant: string): string {
  return new Date(instant).toISOString().slice(0, 13);
}

/** Writes a dim_customer CSV (RFC 4180) and returns its file:// URL. */
export function writeWarehouseCsv(lake: Lake, rows: (string | boolean | null)[][], name = 'dim_customer.csv'): string {
  const header = ['client_id', 'client_name', 'billing_account_id', 'is_test', 'status', 'updated_at'];
  const field = (v: string | boolean | null) => {
    if (v === null) return '';
    const s = String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const body = [header, ...rows].map((r) => r.map(field).join(',')).join('\n') + '\n';
  const p = path.join(lake.root, 'warehouse', name);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, body);
  return `file://${p}`;
}

/** SPEC.md's conservation law on an ingest run's summary: every line read is accounted for once. */
export function expectConservation(d: Record<string, unknown>): void {
  const n = (k: string) => Number(d[k]);
  expect(n('lines_read')).toBe(n('blank') + n('rejected') + n('duplicates') + n('other_date') + n('kept'));
}
