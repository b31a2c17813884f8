/**
 * ingest_outcome.sql groups lines by a 64-bit hash of the key and settles every hash held by several
 * lines exactly, by the key. Real collisions cannot be produced on purpose, so this renders the same
 * statements with a hash that collides on nearly every key (`hash(k) % 2`) and checks the outcome
 * (first copies, kept positions, conflicting duplicates) equals the one with DuckDB's hash.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { renderIngestOutcome } from '../../src/sql/ingest';
import { ATTEMPTED } from '../../src/runtime/streams';

const START = '2026-03-10T04:00:00Z';
const END = '2026-03-11T04:00:00Z';

/** Lines of two files: unique keys, exact duplicates, a conflicting duplicate, a copy in another date. */
const LINES: Array<[number, number, string, string, string]> = [
  // file, line, kind, event_id, attempted_at
  [0, 1, 'json', 'a-1', '2026-03-10T12:00:00Z'],
  [0, 2, 'json', 'a-2', '2026-03-10T13:00:00Z'],
  [0, 3, 'invalid', 'a-3', '2026-03-10T13:00:00Z'],
  [0, 4, 'json', 'a-4', '2026-03-11T05:00:00Z'], // another date, first copy
  [0, 5, 'json', 'a-2', '2026-03-10T13:00:00Z'], // exact duplicate
  [1, 1, 'json', 'a-1', '2026-03-10T12:30:00Z'], // conflicting duplicate (attempted_at)
  [1, 2, 'json', 'a-4', '2026-03-10T20:00:00Z'], // conflicting, stamped in D: the first copy decides
  [1, 3, 'json', 'a-5', '2026-03-10T21:00:00Z'],
  [1, 4, 'json', 'a-6', '2026-03-10T22:00:00Z'],
  [1, 5, 'json', 'a-2', '2026-03-10T13:00:00Z'],
  [1, 6, 'blank', '', ''],
];

async function outcome(keyHash?: (k: string) => string) {
  const db = await DuckDBInstance.create(':memory:', { threads: '1' });
  const c = await db.connect();
  await c.run(`LOAD icu; SET TimeZone = 'UTC'`);
  await c.run(`CREATE TEMP TABLE ingest_files AS SELECT * FROM (VALUES (0, 'raw/a/f0.ndjson', true), (1, 'raw/a/f1.ndjson', true)) t(file_index, source_file, owned)`);
  const rows = LINES.map(([f, n, kind, id, at]) =>
    `(${f}, ${n}, '${kind}', ${id ? `'${id}'` : 'NULL'}, ${at ? `TIMESTAMPTZ '${at}'` : 'NULL'})`).join(', ');
  await c.run(`CREATE TEMP TABLE ingest_lines AS
    SELECT file_index, (file_index::BIGINT << 32) + line_number AS pos, line_number, kind, event_id,
      'n-' || event_id AS notification_id, 'c1' AS client_id, 'u1' AS customer_id, 'e1' AS experience_id,
      'sms' AS channel, attempted_at
    FROM (VALUES ${rows}) t(file_index, line_number, kind, event_id, attempted_at)`);
  await c.run(`SET VARIABLE ingest_start = '${START}'; SET VARIABLE ingest_end = '${END}'`);
  await c.run(renderIngestOutcome(ATTEMPTED, { keyHash }));
  const read = async (sql: string) => (await c.runAndReadAll(sql)).getRowObjectsJson();
  const result = {
    first: await read(`SELECT pos, ts::VARCHAR AS ts FROM ingest_first ORDER BY pos`),
    kept: await read(`SELECT pos FROM ingest_kept_pos ORDER BY pos`),
    conflicts: await read(`SELECT source_file, line_number, field, raw_line FROM ingest_conflicts ORDER BY source_file, line_number`),
  };
  c.closeSync();
  db.closeSync();
  return result;
}

const pos = (file: number, line: number) => String(file * 2 ** 32 + line);

test('the outcome is the same when nearly every key collides: duplicates are settled by the key, not the hash', async () => {
  const normal = await outcome();
  expect(normal.first.map((r) => r.pos)).toEqual([pos(0, 1), pos(0, 2), pos(0, 4), pos(1, 3), pos(1, 4)]);
  expect(normal.kept.map((r) => r.pos)).toEqual([pos(0, 1), pos(0, 2), pos(1, 3), pos(1, 4)]);
  expect(normal.conflicts.map((r) => [r.source_file, r.line_number, r.field])).toEqual([
    ['raw/a/f1.ndjson', 1, 'attempted_at'],
    ['raw/a/f1.ndjson', 2, 'attempted_at'],
  ]);
  expect(await outcome((k) => `hash(${k}) % 2`)).toEqual(normal);
  expect(await outcome(() => '0::UBIGINT')).toEqual(normal);
});
