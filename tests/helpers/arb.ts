/**
 * fast-check arbitraries for small raw datasets (billing dates 2026-03-01 and 2026-03-02, EST), a
 * canonical file layout, layout transforms that must not change any result, and the pipeline run.
 */
import fc from 'fast-check';
import { Lake, RawLine, Stream, run, query, writeRaw, lineText } from './lake';

export const DATES = ['2026-03-01', '2026-03-02'] as const;
const START = Date.parse('2026-03-01T05:00:00Z'); // 2026-03-01 00:00 EST
const H = 3_600_000;

export interface RawEvent {
  stream: Stream;
  line: RawLine;
  /** Arrival hour start (ms). */
  arrival: number;
}

const notificationArb = fc.record({
  client: fc.constantFrom('c1', 'c2', 'C3'),
  customer: fc.constantFrom('u1', 'u2', 'u3'),
  experience: fc.constantFrom('e1', 'e2'),
  channel: fc.constantFrom('sms', 'email', 'push', 'wire'),
  attempts: fc.array(fc.record({ minute: fc.integer({ min: 0, max: 2 * 24 * 60 - 1 }), ms: fc.integer({ min: 0, max: 999 }) }), { minLength: 1, maxLength: 2 }),
  delivered: fc.boolean(),
  deliveryDelayMin: fc.integer({ min: -1, max: 36 * 60 }),
  arrivalDelayH: fc.integer({ min: -1, max: 3 }),
});

/** A small dataset of raw events (attempts and deliveries), plus a few broken lines. */
export const datasetArb = fc
  .record({ notifications: fc.array(notificationArb, { minLength: 1, maxLength: 10 }), broken: fc.array(fc.constantFrom('not json', '{"event_id": 7}', ''), { maxLength: 2 }) })
  .map(({ notifications, broken }) => {
    const events: RawEvent[] = [];
    notifications.forEach((n, i) => {
      let first = Infinity;
      n.attempts.forEach((a, k) => {
        const t = START + a.minute * 60_000 + a.ms;
        first = Math.min(first, t);
        events.push({
          stream: 'notification_attempted',
          arrival: Math.floor(t / H) * H + n.arrivalDelayH * H,
          line: { event_id: `a-${i}-${k}`, notification_id: `n-${i}`, client_id: n.client, customer_id: n.customer, experience_id: n.experience, channel: n.channel, attempted_at: new Date(t).toISOString() },
        });
      });
      if (n.delivered) {
        const t = first + n.deliveryDelayMin * 60_000;
        events.push({
          stream: 'notification_delivered',
          arrival: Math.floor(t / H) * H + Math.max(0, n.arrivalDelayH) * H,
          line: { event_id: `d-${i}`, notification_id: `n-${i}`, channel: 'sms', delivered_at: new Date(t).toISOString() },
        });
      }
    });
    broken.forEach((line, j) => events.push({ stream: 'notification_attempted', arrival: START + (10 + j) * H, line }));
    return events;
  });

export interface RawFileSpec {
  stream: Stream;
  hour: string;
  name: string;
  lines: RawLine[];
}

const hourKey = (ms: number) => new Date(ms).toISOString().slice(0, 13);

/** The canonical layout: one file per stream and arrival hour, lines in generation order. */
export function canonicalLayout(events: RawEvent[]): RawFileSpec[] {
  const files = new Map<string, RawFileSpec>();
  for (const e of events) {
    const id = `${e.stream}|${e.arrival}`;
    if (!files.has(id)) files.set(id, { stream: e.stream, hour: hourKey(e.arrival), name: 'part-m.ndjson', lines: [] });
    files.get(id)!.lines.push(e.line);
  }
  return [...files.values()];
}

/** A deterministic shuffle from a seed (mulberry32). */
export function shuffled<T>(xs: T[], seed: number): T[] {
  let s = seed >>> 0;
  const rnd = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * Lines that are duplicated exactly, but only the *valid, distinct* events: a copy of a broken line is
 * another broken line (a different reject count), and the property is about deduplication.
 */
export function isEvent(l: RawLine): l is Record<string, unknown> {
  return typeof l !== 'string';
}

export function writeLayout(lake: Lake, files: RawFileSpec[]): void {
  for (const f of files) writeRaw(lake, f.stream, f.hour, f.name, f.lines);
}

/** The daily jobs for both dates, then the calc as of the last one. */
export async function runPipeline(lake: Lake, flags: { force?: boolean } = {}): Promise<void> {
  for (const d of DATES) {
    await run(lake, 'notification_attempted_daily', { date: d, flags }, { maxRejectRate: 1 });
    await run(lake, 'notification_delivered_daily', { date: d, flags }, { maxRejectRate: 1 });
  }
  await run(lake, 'ace_unit_calc_daily', { date: DATES[DATES.length - 1], flags });
}

const TS = (c: string) => `strftime(${c}, '%Y-%m-%dT%H:%M:%S.%fZ') AS ${c}`;

/** Every result that must not depend on the raw layout: partitions by their required fields, and the calc. */
export async function layoutIndependentResults(lake: Lake): Promise<Record<string, unknown[]>> {
  return {
    attempted: await query(lake, `SELECT dt::VARCHAR AS dt, event_id, notification_id, client_id, customer_id, experience_id, channel, ${TS('attempted_at')} FROM notification_attempted ORDER BY ALL`),
    delivered: await query(lake, `SELECT dt::VARCHAR AS dt, event_id, notification_id, channel, ${TS('delivered_at')} FROM notification_delivered ORDER BY ALL`),
    audit: await query(lake, `SELECT * EXCLUDE (run_id, first_engaged_at, last_engaged_at), ${TS('first_engaged_at')}, ${TS('last_engaged_at')} FROM ace_unit_audit ORDER BY client_id, customer_id`),
    agg: await query(lake, `SELECT * EXCLUDE (run_id) FROM ace_unit_agg ORDER BY client_id, date`),
    unattributed: await query(lake, `SELECT * EXCLUDE (run_id, delivered_at), ${TS('delivered_at')} FROM unattributed_deliveries ORDER BY ALL`),
  };
}

/** Every table's rows except run_id, source order included (for the rerun property). */
export async function allRowsButRunId(lake: Lake): Promise<Record<string, unknown[]>> {
  const tables = ['notification_attempted', 'notification_delivered', 'notification_attempted_rejects', 'notification_delivered_rejects', 'ace_engagement_daily', 'ace_attempt_daily', 'unattributed_deliveries', 'ace_unit_audit', 'ace_unit_agg'];
  const out: Record<string, unknown[]> = {};
  for (const t of tables) out[t] = await query(lake, `SELECT * EXCLUDE (run_id) FROM ${t} ORDER BY ALL`);
  return out;
}

export { lineText };
