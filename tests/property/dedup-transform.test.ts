/**
 * SPEC "Raw input" on the dedup transform itself (src/sql/ingest_outcome.sql), with no lake and no job:
 * the order of lines in a file, splitting a file into several, and identical copies arriving later
 * (in the same file, a later file or a later hour) change neither the kept rows nor the conflicts.
 * Many examples run here in one DuckDB; tests/property/layout.test.ts keeps one end-to-end example
 * of each through the real jobs.
 */
import fc from 'fast-check';
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { renderIngestOutcome } from '../../src/sql/ingest';
import { ATTEMPTED } from '../../src/rules/streams';

const START = '2026-03-10T04:00:00Z';
const END = '2026-03-11T04:00:00Z';

interface Line {
  event_id: string;
  client: string;
  hour: number;
}
/** A file in arrival order: its lines in order. */
type Layout = Line[][];

const eventsArb = fc.uniqueArray(fc.record({ event_id: fc.integer({ min: 0, max: 999 }).map((n) => `a-${n}`), client: fc.constantFrom('c1', 'c2'), hour: fc.integer({ min: -6, max: 30 }) }), {
  minLength: 1,
  maxLength: 40,
  selector: (e) => e.event_id,
});

let db: DuckDBInstance;
let c: DuckDBConnection;
beforeAll(async () => {
  db = await DuckDBInstance.create(':memory:', { threads: '1' });
  c = await db.connect();
  await c.run(`LOAD icu; SET TimeZone = 'UTC'`);
  await c.run(`SET VARIABLE ingest_start = '${START}'; SET VARIABLE ingest_end = '${END}'`);
});
afterAll(() => {
  c.closeSync();
  db.closeSync();
});

/** The kept rows (by content, not position) and the number of conflicting duplicates of a layout. */
async function outcome(layout: Layout): Promise<{ kept: unknown[]; conflicts: number }> {
  const files = layout.map((_f, i) => `(${i}, 'raw/a/f${i}.ndjson', true)`).join(', ');
  await c.run(`CREATE OR REPLACE TEMP TABLE ingest_files AS SELECT * FROM (VALUES ${files}) t(file_index, source_file, owned)`);
  const rows = layout.flatMap((f, i) => f.map((l, j) => `(${i}, ${j + 1}, '${l.event_id}', '${l.client}', ${l.hour})`));
  await c.run(`CREATE OR REPLACE TEMP TABLE ingest_lines AS
    SELECT file_index, (file_index::BIGINT << 32) + line_number AS pos, line_number, 'json' AS kind, event_id,
      'n-' || event_id AS notification_id, client_id, 'u1' AS customer_id, 'e1' AS experience_id, 'sms' AS channel,
      TIMESTAMPTZ '2026-03-10T00:00:00Z' + INTERVAL (hour) HOUR AS attempted_at
    FROM (VALUES ${rows.join(', ')}) t(file_index, line_number, event_id, client_id, hour)`);
  await c.run(renderIngestOutcome(ATTEMPTED));
  const kept = (await c.runAndReadAll(`SELECT event_id, client_id, attempted_at::VARCHAR AS at FROM ingest_lines WHERE pos IN (SELECT pos FROM ingest_kept_pos) ORDER BY ALL`)).getRowObjectsJson();
  const [{ n }] = (await c.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM ingest_conflicts`)).getRowObjectsJson() as { n: number }[];
  return { kept, conflicts: n };
}

/** Deterministic shuffle (Fisher–Yates with a small LCG), so a failing seed reproduces. */
function shuffled<T>(items: T[], seed: number): T[] {
  const out = items.slice();
  let s = seed >>> 0;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

const RUNS = 60;

test('shuffling the lines of a file changes neither the kept rows nor the conflicts', async () => {
  await fc.assert(
    fc.asyncProperty(eventsArb, fc.integer(), async (events, seed) => {
      expect(await outcome([shuffled(events, seed)])).toEqual(await outcome([events]));
    }),
    { numRuns: RUNS },
  );
});

test('splitting a file into several files changes neither the kept rows nor the conflicts', async () => {
  await fc.assert(
    fc.asyncProperty(eventsArb, fc.integer({ min: 2, max: 5 }), async (events, parts) => {
      const split = Array.from({ length: parts }, (_x, k) => events.filter((_e, j) => j % parts === k)).filter((f) => f.length > 0);
      expect(await outcome(split)).toEqual(await outcome([events]));
    }),
    { numRuns: RUNS },
  );
});

test('identical copies arriving later (same file, later file) change neither the kept rows nor the conflicts', async () => {
  await fc.assert(
    fc.asyncProperty(eventsArb, fc.array(fc.record({ pick: fc.nat(), later: fc.boolean() }), { minLength: 1, maxLength: 10 }), async (events, copies) => {
      const same = [...events];
      const later: Line[] = [];
      for (const { pick, later: inLater } of copies) (inLater ? later : same).push(events[pick % events.length]);
      const layout = later.length > 0 ? [same, later] : [same];
      const result = await outcome(layout);
      expect(result).toEqual(await outcome([events]));
      expect(result.conflicts).toBe(0);
    }),
    { numRuns: RUNS },
  );
});

test('a later copy of a key with another timestamp is a conflict, and the first copy decides', async () => {
  await fc.assert(
    fc.asyncProperty(eventsArb, fc.nat(), async (events, pick) => {
      const e = events[pick % events.length];
      const result = await outcome([events, [{ ...e, hour: e.hour + 1 }]]);
      expect(result.kept).toEqual((await outcome([events])).kept);
      expect(result.conflicts).toBe(1);
    }),
    { numRuns: RUNS },
  );
});
