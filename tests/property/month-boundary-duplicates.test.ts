/**
 * Case 5 (issue 6): at-least-once delivery around a month boundary (dates 2026-02-28 … 2026-03-02).
 * Duplicating ~30% of the valid lines (in the same file, another file, a later hour), shuffling lines
 * and re-splitting files give the same partitions (ignoring run_id, source_file, line_number,
 * arrival_hour) and the same calc results. One end-to-end example through the real jobs on two temp
 * lakes; the dedup invariants themselves are checked over many examples on the transform
 * (tests/property/dedup-transform.test.ts).
 */
import fc from 'fast-check';
import { Lake, makeLake, closeLake, run, query, RawLine } from '../helpers/lake';
import { RawEvent, RawFileSpec, canonicalLayout, isEvent, shuffled, writeLayout } from '../helpers/arb';

const DATES = ['2026-02-28', '2026-03-01', '2026-03-02'];
const START = Date.parse('2026-02-28T05:00:00Z'); // 2026-02-28 00:00 EST
const H = 3_600_000;

const datasetArb = fc
  .array(
    fc.record({
      client: fc.constantFrom('c1', 'c2'),
      customer: fc.constantFrom('u1', 'u2', 'u3'),
      channel: fc.constantFrom('sms', 'email', 'push', 'wire'),
      minute: fc.integer({ min: 0, max: 3 * 24 * 60 - 1 }),
      delivered: fc.boolean(),
      delayMin: fc.integer({ min: 0, max: 20 * 60 }),
      arrivalH: fc.integer({ min: 0, max: 3 }),
    }),
    { minLength: 2, maxLength: 12 },
  )
  .map((ns) => {
    const events: RawEvent[] = [];
    ns.forEach((n, i) => {
      const t = START + n.minute * 60_000;
      events.push({ stream: 'notification_attempted', arrival: Math.floor(t / H) * H + n.arrivalH * H, line: { event_id: `a-${i}`, notification_id: `n-${i}`, client_id: n.client, customer_id: n.customer, experience_id: 'e1', channel: n.channel, attempted_at: new Date(t).toISOString() } });
      if (n.delivered) {
        const d = t + n.delayMin * 60_000;
        events.push({ stream: 'notification_delivered', arrival: Math.floor(d / H) * H + n.arrivalH * H, line: { event_id: `d-${i}`, notification_id: `n-${i}`, channel: 'sms', delivered_at: new Date(d).toISOString() } });
      }
    });
    events.push({ stream: 'notification_attempted', arrival: START + 10 * H, line: 'not json' });
    return events;
  });

async function resultsOf(files: RawFileSpec[]): Promise<Record<string, unknown[]>> {
  let lake: Lake | undefined;
  try {
    lake = await makeLake({ ACE_MAX_REJECT_RATE: '1' });
    writeLayout(lake, files);
    for (const d of DATES) {
      await run(lake, 'notification_attempted_daily', { date: d });
      await run(lake, 'notification_delivered_daily', { date: d });
    }
    await run(lake, 'ace_unit_calc_daily', { date: '2026-03-02' });
    const ignore = 'EXCLUDE (run_id, source_file, line_number, arrival_hour)';
    const TS = (c: string) => `strftime(${c}, '%Y-%m-%dT%H:%M:%S.%fZ') AS ${c}`;
    return {
      attempted: await query(lake, `SELECT * ${ignore} REPLACE (${TS('attempted_at')}) FROM notification_attempted ORDER BY ALL`),
      delivered: await query(lake, `SELECT * ${ignore} REPLACE (${TS('delivered_at')}) FROM notification_delivered ORDER BY ALL`),
      rejects: await query(lake, `SELECT dt::VARCHAR AS dt, reason, field, raw_line FROM notification_attempted_rejects ORDER BY ALL`),
      audit: await query(lake, `SELECT * EXCLUDE (run_id) REPLACE (${TS('first_engaged_at')}, ${TS('last_engaged_at')}) FROM ace_unit_audit ORDER BY ALL`),
      agg: await query(lake, `SELECT * EXCLUDE (run_id) FROM ace_unit_agg ORDER BY ALL`),
      engagement: await query(lake, `SELECT * EXCLUDE (run_id) REPLACE (${TS('engaged_at')}) FROM ace_engagement_daily ORDER BY ALL`),
      unattributed: await query(lake, `SELECT * EXCLUDE (run_id) REPLACE (${TS('delivered_at')}) FROM unattributed_deliveries ORDER BY ALL`),
    };
  } finally {
    await closeLake(lake);
  }
}

test('30% duplicated lines (within and across files and hours), shuffled and re-split files: identical partitions and calc results', async () => {
  await fc.assert(
    fc.asyncProperty(datasetArb, fc.integer(), fc.integer({ min: 1, max: 3 }), async (events, seed, parts) => {
      const base = canonicalLayout(events);
      const valid = base.flatMap((f) => f.lines.filter(isEvent).map((line) => ({ f, line })));
      const extra: RawFileSpec[] = [];
      const inFile = new Map<RawFileSpec, RawLine[]>();
      shuffled(valid, seed).slice(0, Math.max(1, Math.round(valid.length * 0.3))).forEach(({ f, line }, k) => {
        const where = (seed + k) % 3;
        if (where === 0) inFile.set(f, [...(inFile.get(f) ?? []), line]);
        else if (where === 1) extra.push({ ...f, name: `zz-copy-${k}.ndjson`, lines: [line] });
        else extra.push({ ...f, hour: new Date(Date.parse(`${f.hour}:00:00Z`) + (1 + (k % 20)) * H).toISOString().slice(0, 13), name: `copy-${k}.ndjson.gz`, lines: [line] });
      });
      const transformed = base.flatMap((f, i) => {
        const lines = shuffled([...f.lines, ...(inFile.get(f) ?? [])], seed + i);
        return Array.from({ length: parts }, (_x, k) => ({ ...f, name: `p${k}-${i}.ndjson${k % 2 ? '.gz' : ''}`, lines: lines.filter((_l, j) => j % parts === k) })).filter((x) => x.lines.length > 0);
      });
      const a = await resultsOf(base);
      const b = await resultsOf([...shuffled(transformed, seed), ...extra]);
      expect(b).toEqual(a);
      expect(a.attempted.length).toBeGreaterThan(0);
    }),
    { numRuns: 1 },
  );
});
