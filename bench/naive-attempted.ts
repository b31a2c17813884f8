/**
 * The plain-Node baseline of notification_attempted_daily (issue 5): zlib + readline + JSON.parse +
 * a Set, no database. Reads the same window files in arrival order, validates the required fields,
 * keeps the first copy of each event_id among events whose attempted_at falls on the business date,
 * and writes them as NDJSON (with source file and line number).
 *
 * Deliberately simpler than the job (no reject table, no conflicting-duplicate check, no Parquet):
 * it is the "obvious script" the job must beat. Dedup happens after the date filter so the Set only
 * holds one day's ids (a Map/Set over the whole 3-day window fails past ~16.7M entries); this equals
 * dedup-then-filter because duplicates carry identical content.
 *
 * Usage: tsx bench/naive-attempted.ts <list-file> <YYYY-MM-DD> <out.ndjson>
 */
import fs from 'node:fs';
import readline from 'node:readline';
import zlib from 'node:zlib';
import { CHANNELS } from '../src/rules/ace.js';
import { BusinessDate, windowOf } from '../src/time/time.js';

const TS_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const IDS = ['event_id', 'notification_id', 'client_id', 'customer_id', 'experience_id'] as const;
const channels = new Set<string>(CHANNELS);

async function main(): Promise<void> {
  const [listFile, date, out] = process.argv.slice(2);
  if (!listFile || !date || !out) throw new Error('usage: naive-attempted.ts <list-file> <YYYY-MM-DD> <out.ndjson>');
  const paths = fs.readFileSync(listFile, 'utf8').split('\n').filter(Boolean);
  const w = windowOf(date as BusinessDate);
  const [start, end] = [w.startUtc.getTime(), w.endUtc.getTime()];
  const started = performance.now();
  const seen = new Set<string>();
  const fd = fs.openSync(out, 'w');
  let buf: string[] = [];
  let bufLen = 0;
  const flush = () => {
    fs.writeSync(fd, buf.join(''));
    buf = [];
    bufLen = 0;
  };
  const c = { lines: 0, blank: 0, rejected: 0, duplicates: 0, other_date: 0, kept: 0 };
  for (const p of paths) {
    const input = fs.createReadStream(p, { highWaterMark: 1 << 20 });
    const stream = p.endsWith('.gz') ? input.pipe(zlib.createGunzip({ chunkSize: 1 << 20 })) : input;
    const rl = readline.createInterface({ input: stream, crlfDelay: Infinity });
    let lineNumber = 0;
    for await (const line of rl) {
      lineNumber++;
      c.lines++;
      if (line.trim() === '') {
        c.blank++;
        continue;
      }
      let o: Record<string, unknown>;
      try {
        o = JSON.parse(line);
      } catch {
        c.rejected++;
        continue;
      }
      if (o === null || typeof o !== 'object' || Array.isArray(o)) {
        c.rejected++;
        continue;
      }
      let ok = true;
      for (const k of IDS) if (typeof o[k] !== 'string' || o[k] === '') ok = false;
      if (typeof o.channel !== 'string' || !channels.has(o.channel)) ok = false;
      const ts = typeof o.attempted_at === 'string' && TS_RE.test(o.attempted_at) ? Date.parse(o.attempted_at) : NaN;
      if (!ok || Number.isNaN(ts)) {
        c.rejected++;
        continue;
      }
      if (ts < start || ts >= end) {
        c.other_date++;
        continue;
      }
      const id = o.event_id as string;
      if (seen.has(id)) {
        c.duplicates++;
        continue;
      }
      seen.add(id);
      c.kept++;
      const row = `${JSON.stringify({
        event_id: id, notification_id: o.notification_id, client_id: o.client_id, customer_id: o.customer_id,
        experience_id: o.experience_id, channel: o.channel, attempted_at: new Date(ts).toISOString(), source_file: p, line_number: lineNumber,
      })}\n`;
      buf.push(row);
      bufLen += row.length;
      if (bufLen > 1 << 20) flush();
    }
  }
  flush();
  fs.closeSync(fd);
  process.stdout.write(`${JSON.stringify({ ...c, files: paths.length, seconds: (performance.now() - started) / 1000 })}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`naive-attempted: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
