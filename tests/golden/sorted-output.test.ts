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
import { DuckDBInstance } from '@duckdb/node-api';
import { generate } from '../../src/gen/generator';
import { Lake, closeLake, makeLake, pointer, run } from '../helpers/lake';

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
  await run(lake, 'ace_unit_calc_daily', { date: D });
}, 180_000);
afterAll(async () => {
  await closeLake(lake);
});

/** Rows of a partition's current files, in file order, that sort before the row just before them. */
async function outOfOrder(table: string, key: string, value: string, order: string[]): Promise<{ rows: number; bad: number }> {
  const p = pointer(lake, table, key, value);
  if (!p) throw new Error(`${table} ${key}=${value} was not published`);
  const files = p.files.map((f) => path.join(lake.root, f));
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    const tuple = `row(${order.join(', ')})`;
    const reader = await c.runAndReadAll(
      `SELECT count(*)::INTEGER AS n, count(*) FILTER (WHERE k < prev)::INTEGER AS bad
       FROM (SELECT ${tuple} AS k, lag(${tuple}) OVER (ORDER BY filename, file_row_number) AS prev
             FROM read_parquet([${files.map((f) => `'${f}'`).join(', ')}], filename = true, file_row_number = true))`,
    );
    const [n, bad] = reader.getRows()[0] as [number, number];
    return { rows: n, bad };
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

test.each([
  ['notification_attempted', 'dt', D, ['notification_id', 'attempted_at', 'event_id']],
  ['notification_delivered', 'dt', D, ['notification_id', 'delivered_at', 'event_id']],
  ['ace_engagement_daily', 'dt', D, ['client_id', 'customer_id', 'notification_id']],
  ['ace_unit_audit', 'billing_month', '2026-03', ['client_id', 'customer_id']],
])('%s %s=%s is written in its declared order', async (table, key, value, order) => {
  const { rows, bad } = await outOfOrder(table, key, value, order);
  expect(rows).toBeGreaterThan(table === 'ace_unit_audit' ? 500 : 20_000);
  expect(bad).toBe(0);
});

test('each kept row points at its own raw line, and that file\'s arrival hour, after the sort', async () => {
  const p = pointer(lake, 'notification_attempted', 'dt', D)!;
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    const reader = await c.runAndReadAll(
      `SELECT event_id, source_file, line_number::INTEGER, strftime(arrival_hour AT TIME ZONE 'UTC', '%Y/%m/%d/%H')
       FROM read_parquet('${path.join(lake.root, p.files[0])}') USING SAMPLE 300 ROWS (reservoir, 5)`,
    );
    const rows = reader.getRows() as [string, string, number, string][];
    expect(rows).toHaveLength(300);
    const texts = new Map<string, string[]>();
    for (const [eventId, sourceFile, lineNumber, hour] of rows) {
      // source_file is raw/<stream>/YYYY/MM/DD/HH/<file>, under the lake root here.
      expect(sourceFile.split('/').slice(2, 6).join('/')).toBe(hour);
      if (!texts.has(sourceFile)) {
        const bytes = fs.readFileSync(path.join(lake.root, sourceFile));
        texts.set(sourceFile, (sourceFile.endsWith('.gz') ? zlib.gunzipSync(bytes) : bytes).toString('utf8').split('\n'));
      }
      expect(JSON.parse(texts.get(sourceFile)![lineNumber - 1]).event_id).toBe(eventId);
    }
  } finally {
    c.closeSync();
    db.closeSync();
  }
});
