/**
 * ingest_outcome.sql groups lines by a 64-bit hash of the key and settles every hash held by several
 * lines exactly, by the key. Real collisions cannot be produced on purpose, so this renders the same
 * statements with hashes that collide on nearly every key (`hash(k) % 2`, `% 3`, a constant) and checks
 * the outcome equals the one with DuckDB's hash: first copies, kept positions and conflicting duplicates
 * on a hand-made window; counts, kept positions and rows and conflicts as a property over random
 * windows of every stream.
 */
import fc from 'fast-check';
import { DuckDBInstance } from '@duckdb/node-api';
import { StreamSpec, renderIngestCounts, renderIngestKept, renderIngestKeptRows, renderIngestOutcome } from '../../src/sql/ingest';
import { ATTEMPTED, DELIVERED, EXPERIENCE_CONFIG } from '../../src/rules/streams';
import { loadSql } from '../../src/sql/sql';

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

/**
 * The same comparison on random windows for every stream (the snapshot stream keys each line by its
 * position), with ingest_lines a view (a single task) or a table (a shard merge), and NULL keys among
 * the valid lines: the counts, kept positions, conflicts and kept rows must not depend on the hash.
 */
test('property: the outcome does not depend on the key hash, for every stream, view or table, with NULL keys', async () => {
  const db = await DuckDBInstance.create(':memory:', { threads: '2' });
  const c = await db.connect();
  await c.run(`LOAD icu; SET TimeZone = 'UTC'`);
  const get = async (sql: string, params?: Record<string, string>) => JSON.stringify((await c.runAndReadAll(sql, params)).getRowObjectsJson());
  const line = fc.record({
    file: fc.integer({ min: 0, max: 3 }),
    kind: fc.constantFrom('json', 'json', 'json', 'invalid', 'blank'),
    key: fc.option(fc.integer({ min: 0, max: 12 }), { freq: 8 }),
    value: fc.constantFrom('a', 'a', 'b'),
    hour: fc.integer({ min: 0, max: 40 }),
  });
  const specs: StreamSpec[] = [ATTEMPTED, DELIVERED, EXPERIENCE_CONFIG];
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...specs), fc.array(line, { maxLength: 60 }), fc.boolean(), async (spec, lines, asTable) => {
      const q = (v: string | null) => (v === null ? 'NULL::VARCHAR' : `'${v}'`);
      const rows = lines.map((l, i) => {
        const values = spec.fields.map((f) => {
          if (f.kind === 'timestamp') return l.kind === 'json' ? `TIMESTAMPTZ '2026-03-09T20:00:00Z' + INTERVAL ${l.hour} HOUR` : 'NULL::TIMESTAMPTZ';
          if (l.kind === 'blank') return 'NULL::VARCHAR';
          return f.name === spec.key ? q(l.key === null ? null : `k${l.key}`) : q(l.value);
        });
        return `(${l.file}, ${i + 1}, '${l.kind}', ${values.join(', ')})`;
      });
      const cols = spec.fields.map((f) => f.name).join(', ');
      const empty = `(0, 1, 'blank', ${spec.fields.map((f) => (f.kind === 'timestamp' ? 'NULL::TIMESTAMPTZ' : 'NULL::VARCHAR')).join(', ')})`;
      await c.run(`CREATE OR REPLACE TEMP TABLE ingest_files AS SELECT * FROM (VALUES
        (0, 'raw/f0', TIMESTAMPTZ '2026-03-10T04:00:00Z', true, TIMESTAMPTZ '2026-03-10T00:00:00Z'),
        (1, 'raw/f1', TIMESTAMPTZ '2026-03-10T05:00:00Z', false, TIMESTAMPTZ '2026-03-10T01:00:00Z'),
        (2, 'raw/f2', TIMESTAMPTZ '2026-03-10T06:00:00Z', true, TIMESTAMPTZ '2026-03-10T12:00:00Z'),
        (3, 'raw/f3', TIMESTAMPTZ '2026-03-11T06:00:00Z', true, TIMESTAMPTZ '2026-03-11T00:00:00Z')
        ) t(file_index, source_file, arrival_hour, owned, too_late_before)`);
      await c.run(loadSql('ingest_file_lookups'));
      await c.run(`CREATE OR REPLACE TEMP TABLE lines0 AS
        SELECT file_index::INTEGER AS file_index, (file_index::BIGINT << 32) + line_number AS pos, line_number::BIGINT AS line_number,
          kind, NULL::VARCHAR AS reason, NULL::VARCHAR AS field, ${cols}, NULL::VARCHAR AS raw_line
        FROM (VALUES ${rows.length > 0 ? rows.join(', ') : empty}) t(file_index, line_number, kind, ${cols})`);
      const [{ type }] = (await c.runAndReadAll(`SELECT coalesce(max(CASE WHEN table_name IS NOT NULL THEN 'TABLE' END), 'VIEW') AS type FROM duckdb_tables() WHERE table_name = 'ingest_lines'`)).getRowObjectsJson() as { type: string }[];
      await c.run(`DROP ${type} IF EXISTS ingest_lines`);
      await c.run(asTable ? 'CREATE TEMP TABLE ingest_lines AS SELECT * FROM lines0' : 'CREATE TEMP VIEW ingest_lines AS SELECT * FROM lines0');
      const [s, e] = spec.dateField ? [START, END] : ['-infinity', 'infinity'];
      await c.run(`SET VARIABLE ingest_start = '${s}'; SET VARIABLE ingest_end = '${e}'`);
      const results: string[] = [];
      for (const keyHash of [undefined, (k: string) => `hash(${k}) % 3`, () => '7::UBIGINT']) {
        await c.run(renderIngestOutcome(spec, { keyHash }));
        await c.run(renderIngestKeptRows(spec));
        results.push(JSON.stringify([
          await get('SELECT pos FROM ingest_kept_pos ORDER BY pos'),
          await get('SELECT * FROM ingest_conflicts ORDER BY source_file, line_number'),
          await get(renderIngestCounts()),
          await get(`SELECT * FROM (${renderIngestKept(spec, 'dt')}) ORDER BY ALL`, { run_id: 'r', dt: '2026-03-10' }),
        ]));
      }
      expect(results[1]).toEqual(results[0]);
      expect(results[2]).toEqual(results[0]);
    }),
    { numRuns: 60 },
  );
  c.closeSync();
  db.closeSync();
});
