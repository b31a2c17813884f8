/**
 * The Parquet the jobs write is in each table's declared order (issue 5: "rows sorted by the columns
 * readers filter on"), row by row in file order. The ingest jobs sort the kept rows in a subquery and
 * add the per-file lookups and constants after the sort (src/sql/ingest_kept.sql), which relies on
 * DuckDB keeping a sorted subquery's order through a projection: this checks it on enough generated
 * rows (tens of thousands a partition) for the sort to run on several threads.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { generate } from '../../src/gen/generator';
import { Lake, closeLake, experienceConfig, makeLake, pointer, query, run, writeRaw } from '../helpers/lake';

// Day 1 of the month: the calc needs the month's earlier days and three days of attempts before it.
const D = '2026-03-01';
const LOOKBACK = ['2026-02-26', '2026-02-27', '2026-02-28'];

let lake: Lake;
beforeAll(async () => {
  lake = await makeLake();
  await generate({ root: lake.root, from: '2026-02-26', to: '2026-03-02', eventsPerDay: 40_000, seed: 11 });
  for (const d of LOOKBACK) await run(lake, 'notification_attempted_daily', { date: d });
  await run(lake, 'notification_attempted_daily', { date: D });
  await run(lake, 'notification_delivered_daily', { date: D });
  // The generator writes config records on its first day only: add D's own, in 8 files over 4 hours,
  // each experience in several files, so the lookup's sort interleaves files.
  for (const [h, hour] of ['2026-03-01T09', '2026-03-01T13', '2026-03-01T17', '2026-03-01T21'].entries()) {
    for (const file of ['a.ndjson', 'b.ndjson']) {
      writeRaw(lake, 'experience_config', hour, file, Array.from({ length: 25 }, (_, i) => experienceConfig(`exp-${(i * 7 + h * 3 + file.length) % 17}`, `${hour}:0${i % 10}:00.${String(i).padStart(3, '0')}Z`)));
    }
  }
  await run(lake, 'outcome_experience_lookup_daily', { date: D });
  await run(lake, 'ace_unit_calc_daily', { date: D });
});
afterAll(async () => {
  await closeLake(lake);
});

/** A partition's current files (one Parquet file per run). */
function filesOf(table: string, key: string, value: string): string[] {
  const p = pointer(lake, table, key, value);
  if (!p) throw new Error(`${table} ${key}=${value} was not published`);
  return p.files.map((f) => `'${path.join(lake.root, f)}'`);
}

/** Rows of a partition's current files, in file order, that sort before the row just before them. */
async function outOfOrder(table: string, key: string, value: string, order: string[]): Promise<{ rows: number; bad: number }> {
  const tuple = `row(${order.join(', ')})`;
  const [r] = await query<{ rows: number; bad: number }>(lake,
    `SELECT count(*)::INTEGER AS rows, count(*) FILTER (WHERE k < prev)::INTEGER AS bad
     FROM (SELECT ${tuple} AS k, lag(${tuple}) OVER (ORDER BY filename, file_row_number) AS prev
           FROM read_parquet([${filesOf(table, key, value).join(', ')}], filename = true, file_row_number = true))`);
  return r;
}

test.each([
  ['notification_attempted', 'dt', D, ['notification_id', 'attempted_at', 'event_id']],
  ['notification_delivered', 'dt', D, ['notification_id', 'delivered_at', 'event_id']],
  ['outcome_experience_lookup', 'snapshot_date', D, ['experience_id', 'arrival_hour', 'source_file', 'line_number']],
  ['ace_engagement_daily', 'dt', D, ['client_id', 'customer_id', 'notification_id']],
  ['ace_unit_audit', 'billing_month', '2026-03', ['client_id', 'customer_id']],
])('%s %s=%s is written in its declared order', async (table, key, value, order) => {
  const { rows, bad } = await outOfOrder(table, key, value, order);
  expect(rows).toBeGreaterThan({ ace_unit_audit: 500, outcome_experience_lookup: 150 }[table] ?? 20_000);
  expect(bad).toBe(0);
});

// The experience config sorts by the file (its lookups run inside the sort); the notification streams
// look the file up after the sort. Either way a row must name the file and line it was read from.
test.each([
  ['notification_attempted', 'dt', 'event_id'],
  ['notification_delivered', 'dt', 'event_id'],
  ['outcome_experience_lookup', 'snapshot_date', 'updated_at'],
])('each %s row points at its own raw line, and that file\'s arrival hour', async (table, key, field) => {
  // Compared as text: the raw value for ids, the instant (in UTC, as ISO-8601 with milliseconds) for updated_at.
  const value = field === 'updated_at' ? `strftime(updated_at AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%g')` : field;
  const rows = await query<{ v: string; source_file: string; line_number: number; hour: string }>(lake,
    `SELECT ${value} AS v, source_file, line_number::INTEGER AS line_number, strftime(arrival_hour AT TIME ZONE 'UTC', '%Y/%m/%d/%H') AS hour
     FROM read_parquet([${filesOf(table, key, D).join(', ')}]) USING SAMPLE 300 ROWS (reservoir, 5)`);
  expect(rows.length).toBeGreaterThan(10);
  const texts = new Map<string, string[]>();
  for (const { v, source_file: sourceFile, line_number: lineNumber, hour } of rows) {
    // source_file is raw/<stream>/YYYY/MM/DD/HH/<file>, under the lake root here.
    expect(sourceFile.split('/').slice(2, 6).join('/')).toBe(hour);
    if (!texts.has(sourceFile)) {
      const bytes = fs.readFileSync(path.join(lake.root, sourceFile));
      texts.set(sourceFile, (sourceFile.endsWith('.gz') ? zlib.gunzipSync(bytes) : bytes).toString('utf8').split('\n'));
    }
    const raw = JSON.parse(texts.get(sourceFile)![lineNumber - 1]) as Record<string, string>;
    expect(field === 'updated_at' ? new Date(raw[field]).toISOString().slice(0, 23) : raw[field]).toBe(v);
  }
});
