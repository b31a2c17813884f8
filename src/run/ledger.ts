/**
 * The run ledger: every run (succeeded, up to date, failed, superseded) appends one Parquet row to
 * `tables/runs/job=<job>/<run_id>.parquet`, queryable as the `runs` table. Append-only: no pointer.
 */
import path from 'node:path';
import fs from 'node:fs';
import { Db } from '../engine/duckdb.js';
import { ObjectStore } from '../lake/objectStore.js';
import { Catalog } from '../catalog/catalog.js';
import { TABLES } from '../rules/tables.js';
import { RULE_VERSION } from '../rules/ace.js';

export interface RunRecord {
  job: string;
  runId: string;
  period: string;
  status: 'succeeded' | 'up_to_date' | 'failed' | 'superseded';
  startedAt: Date;
  finishedAt: Date;
  fingerprint: string | null;
  rows: number;
  outputs: unknown;
  details: unknown;
  error: string | null;
  /** ACE_CODE_VERSION, when the build sets it. */
  codeVersion?: string | null;
}

export function codeVersion(configured: string | null = null): string {
  if (configured) return configured;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '../../package.json'), 'utf8')) as { version: string };
    return `ace-unit@${pkg.version}`;
  } catch {
    return 'ace-unit@unknown';
  }
}

export function ledgerKey(job: string, runId: string): string {
  return `tables/${TABLES.runs.name}/job=${job}/${runId}.parquet`;
}

/** Writes the run's ledger row. */
export async function recordRun(db: Db, store: ObjectStore, scratch: string, r: RunRecord): Promise<void> {
  const file = path.join(scratch, `ledger-${r.runId}.parquet`);
  await db.copyToParquet(
    `SELECT $run_id::VARCHAR AS run_id, $period::VARCHAR AS period, $status::VARCHAR AS status,
       $started_at::TIMESTAMPTZ AS started_at, $finished_at::TIMESTAMPTZ AS finished_at, $duration_ms::BIGINT AS duration_ms,
       $code_version::VARCHAR AS code_version, $rule_version::VARCHAR AS rule_version, $fingerprint::VARCHAR AS fingerprint,
       $rows::BIGINT AS rows, $outputs::VARCHAR AS outputs, $details::VARCHAR AS details, $error::VARCHAR AS error,
       $job::VARCHAR AS job`,
    {
      run_id: r.runId,
      period: r.period,
      status: r.status,
      started_at: r.startedAt.toISOString(),
      finished_at: r.finishedAt.toISOString(),
      duration_ms: String(r.finishedAt.getTime() - r.startedAt.getTime()),
      code_version: codeVersion(r.codeVersion),
      rule_version: RULE_VERSION,
      fingerprint: r.fingerprint,
      rows: String(r.rows),
      outputs: JSON.stringify(r.outputs),
      details: JSON.stringify(r.details, (_k, v) => (typeof v === 'bigint' ? Number(v) : v)),
      error: r.error,
      job: r.job,
    },
    file,
  );
  await store.putFile(file, ledgerKey(r.job, r.runId));
}

/** Registers the ledger partition `job=<job>` in the catalog (append-only: it points at the partition folder). */
export async function registerLedgerPartition(catalog: Catalog, job: string, runId: string): Promise<void> {
  await catalog.registerPartition(TABLES.runs, {
    table: TABLES.runs.name,
    partitionKey: TABLES.runs.partitionKey,
    partitionValue: job,
    runId,
    files: [ledgerKey(job, runId)],
    rows: 1,
    fingerprint: null,
    publishedAt: new Date().toISOString(),
    meta: {},
  });
}
