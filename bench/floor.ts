/**
 * The physical floor of an ingest job, as a standalone DuckDB script: read the same raw window files
 * with read_json and an explicit columns schema, write one zstd Parquet file, with the jobs' row-group
 * size (DuckDB's default, src/engine/duckdb.ts PARQUET_ROW_GROUP_SIZE). No validation, no dedup,
 * no date filter: what any correct ingest of these files must at least pay.
 *
 * Usage: tsx bench/floor.ts <attempted|delivered> <list-file> <out.parquet>
 *   <list-file>: one local raw path per line (the job's read window, in arrival order).
 * Same DuckDB settings as the jobs (memory limit, spill folder, threads from src/config).
 * Prints one JSON line: {"stream", "files", "rows", "seconds"}.
 */
import fs from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { loadConfig } from '../src/config/config.js';
import { PARQUET_ROW_GROUP_SIZE } from '../src/engine/duckdb.js';

const COLUMNS: Record<string, Record<string, string>> = {
  attempted: {
    event_id: 'VARCHAR', notification_id: 'VARCHAR', client_id: 'VARCHAR', customer_id: 'VARCHAR',
    experience_id: 'VARCHAR', channel: 'VARCHAR', attempted_at: 'TIMESTAMPTZ',
  },
  delivered: { event_id: 'VARCHAR', notification_id: 'VARCHAR', channel: 'VARCHAR', delivered_at: 'TIMESTAMPTZ' },
};

const q = (s: string) => `'${s.replace(/'/g, "''")}'`;

async function main(): Promise<void> {
  const [stream, listFile, out] = process.argv.slice(2);
  const columns = COLUMNS[stream];
  if (!columns || !listFile || !out) throw new Error('usage: floor.ts <attempted|delivered> <list-file> <out.parquet>');
  const paths = fs.readFileSync(listFile, 'utf8').split('\n').filter(Boolean);
  const { duckdb } = loadConfig();
  fs.mkdirSync(duckdb.tempDir, { recursive: true });
  const started = performance.now();
  const db = await DuckDBInstance.create(':memory:', {
    memory_limit: duckdb.memoryLimit, temp_directory: duckdb.tempDir, threads: String(duckdb.threads),
  });
  const conn = await db.connect();
  const cols = `{${Object.entries(columns).map(([k, v]) => `${q(k)}: ${q(v)}`).join(', ')}}`;
  const reader = await conn.runAndReadAll(
    `COPY (SELECT * FROM read_json([${paths.map(q).join(', ')}], format = 'newline_delimited', columns = ${cols}, ignore_errors = true))
     TO ${q(out)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${PARQUET_ROW_GROUP_SIZE})`,
  );
  const rows = Number(reader.getRows()[0]?.[0] ?? 0);
  conn.closeSync();
  db.closeSync();
  process.stdout.write(`${JSON.stringify({ stream, files: paths.length, rows, seconds: (performance.now() - started) / 1000 })}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`floor: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
