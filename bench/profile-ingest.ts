/**
 * Where an ingest job's time goes: replays the ingest recipe (jobs/steps/ingest.ts and src/run/raw.ts, the SQL of
 * src/sql/ingest_*.sql rendered by src/sql/ingest.ts) statement by statement on a lake and times each.
 * It mirrors the recipe's setup (the ingest_files table, variables) by hand: when the recipe changes, this
 * script may need the same change (it fails with DuckDB's binder error naming the column).
 * Read-only towards the lake (writes its Parquet into a temp folder). Not a benchmark of record:
 * run `npm run bench` for that; this explains its numbers.
 *
 * Usage: ACE_LAKE_ROOT=<lake> tsx bench/profile-ingest.ts <attempted|delivered> <YYYY-MM-DD>
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { loadConfig } from '../src/config/config.js';
import { PARQUET_ROW_GROUP_SIZE } from '../src/engine/duckdb.js';
import { renderIngestCounts, renderIngestKept, renderIngestKeptRows, renderIngestLines, renderIngestOutcome, renderIngestRead, renderIngestRejects } from '../src/sql/ingest.js';
import { ATTEMPTED, DELIVERED } from '../src/rules/streams.js';
import { loadSql } from '../src/sql/sql.js';
import { BusinessDate, ownedHours, readHours, tooLateBefore, windowOf } from '../src/time/time.js';
import { windowFiles } from './run.js';

const q = (s: string) => `'${s.replace(/'/g, "''")}'`;

async function main(): Promise<void> {
  const [which, date, flag, variant] = process.argv.slice(2);
  const spec = which === 'delivered' ? DELIVERED : ATTEMPTED;
  const config = loadConfig();
  if (config.lake.kind !== 'local') throw new Error('a local ACE_LAKE_ROOT is needed');
  const root = config.lake.root;
  const d = date as BusinessDate;
  const files = windowFiles(root, spec.stream, d);
  const owned = new Set(ownedHours(d).map((h) => h.getTime()));
  const hourOf = (f: string) => {
    const [y, m, dd, h] = path.relative(path.join(root, 'raw', spec.stream), f).split(path.sep);
    return new Date(Date.UTC(+y, +m - 1, +dd, +h));
  };
  const timings: Array<[string, number]> = [];
  const t = async (label: string, fn: () => Promise<unknown>) => {
    const s = performance.now();
    await fn();
    timings.push([label, (performance.now() - s) / 1000]);
    process.stderr.write(`  ${label}: ${((performance.now() - s) / 1000).toFixed(2)} s\n`);
  };
  readHours(d, config.latenessHours);

  // (The job checks each .gz file's trailer against the bytes DuckDB read, after the read: negligible, not replayed.)

  fs.mkdirSync(config.duckdb.tempDir, { recursive: true });
  const db = await DuckDBInstance.create(':memory:', { memory_limit: config.duckdb.memoryLimit, temp_directory: config.duckdb.tempDir, threads: String(config.duckdb.threads) });
  const c = await db.connect();
  await c.run(`LOAD icu; SET TimeZone='UTC'`);
  const rows = files.map((f, i) => `(${i}, ${q(path.relative(root, f))}, ${q(hourOf(f).toISOString())}::TIMESTAMPTZ, ${owned.has(hourOf(f).getTime())}, ${q(tooLateBefore(hourOf(f), config.latenessHours).toISOString())}::TIMESTAMPTZ)`);
  await c.run(`CREATE TEMP TABLE ingest_files AS SELECT col0::INTEGER AS file_index, col0::INTEGER AS read_index, col1 AS source_file, col2 AS arrival_hour, col3 AS owned, col4 AS too_late_before FROM (VALUES ${rows.join(', ')})`);
  await c.run(loadSql('ingest_file_lookups'));
  const w = windowOf(d);
  await c.run(`SET VARIABLE ingest_paths = [${files.map(q).join(', ')}]::VARCHAR[]; SET VARIABLE ingest_start = ${q(w.startUtc.toISOString())}; SET VARIABLE ingest_end = ${q(w.endUtc.toISOString())}; SET VARIABLE ingest_read_offset = 0`);
  await c.run(`CREATE TEMP TABLE ingest_read_paths AS SELECT col0::INTEGER AS read_index, col1 AS path FROM (VALUES ${files.map((f, i) => `(${i}, ${q(f)})`).join(', ')})`);
  void flag;
  const readSql = renderIngestRead(spec);
  const [linesPrep, linesView] = renderIngestLines(spec, false);
  const linesSql = `${linesPrep}\n${linesView}`;
  const outcomeSql = renderIngestOutcome(spec);
  const split = (sql: string) => sql.split(/;\s*\n/).map((s) => s.trim()).filter((s) => s.replace(/--.*$/gm, '').trim() !== '');
  for (const [file, sql] of [['ingest_read', readSql], ['ingest_lines', linesSql], ['ingest_outcome', outcomeSql]] as const) {
    for (const stmt of split(sql)) {
      const name = /CREATE OR REPLACE TEMP (?:TABLE|VIEW) (\w+)/.exec(stmt)?.[1] ?? 'statement';
      await t(`${file}.sql: ${name}`, () => c.run(stmt));
    }
  }
  await t('ingest_counts.sql', () => c.runAndReadAll(renderIngestCounts()));
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ace-profile-'));
  const params = `$run_id`;
  void params;
  const bindRun = (sql: string) => sql.replace(/\$run_id/g, `'profile'`).replace(/\$dt/g, q(d));
  const rg = `ROW_GROUP_SIZE ${PARQUET_ROW_GROUP_SIZE}`;
  await t('ingest_rejects.sql → Parquet', () => c.run(`COPY (${bindRun(renderIngestRejects())}) TO ${q(path.join(out, 'rejects.parquet'))} (FORMAT parquet, COMPRESSION zstd, ${rg})`));
  await t('ingest_kept_rows.sql (materialise the kept rows)', () => c.run(renderIngestKeptRows(spec)));
  await t(`ingest_kept.sql → Parquet (sorted, ${rg})`, () => c.run(`COPY (${bindRun(renderIngestKept(spec, 'dt'))}) TO ${q(path.join(out, 'kept.parquet'))} (FORMAT parquet, COMPRESSION zstd, ${rg})`));
  fs.rmSync(out, { recursive: true, force: true });
  c.closeSync();
  db.closeSync();
  const total = timings.reduce((s, [, x]) => s + x, 0);
  process.stdout.write(`${JSON.stringify({ stream: spec.stream, date: d, files: files.length, variant: variant ?? null, total_seconds: total, steps: Object.fromEntries(timings) }, null, 2)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`profile-ingest: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
