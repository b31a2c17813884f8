import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { generate, GenerateOptions, GenerateOptionsError, GenerateSummary, resolveOptions, STREAMS } from '../../src/gen/generator';
import { businessDateOf, ownedHours, ownerOf, parseBusinessDate, BusinessDate } from '../../src/time/time';

const HOUR = 3_600_000;
const REQUIRED: Record<string, string[]> = {
  notification_attempted: ['event_id', 'notification_id', 'client_id', 'customer_id', 'experience_id', 'channel', 'attempted_at'],
  notification_delivered: ['event_id', 'notification_id', 'channel', 'delivered_at'],
  experience_config: ['experience_id', 'experience_name', 'outcome_id', 'outcome_name', 'client_id', 'updated_at'],
};
const TS_FIELD: Record<string, string> = {
  notification_attempted: 'attempted_at',
  notification_delivered: 'delivered_at',
  experience_config: 'updated_at',
};
const TS_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const CHANNELS = new Set(['sms', 'email', 'push', 'wire']);
const d = (s: string) => parseBusinessDate(s) as BusinessDate;

interface RawFile {
  rel: string;
  stream: string;
  hourMs: number;
  lines: string[];
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

/** Every raw file of a lake with its stream, arrival hour and lines (the trailing '' after the last '\n' dropped). */
function readRaw(root: string): RawFile[] {
  return walk(join(root, 'raw')).map((path) => {
    const rel = relative(root, path).split(sep).join('/');
    const m = /^raw\/([a-z_]+)\/(\d{4})\/(\d{2})\/(\d{2})\/(\d{2})\/([^/]+)$/.exec(rel);
    if (!m) throw new Error(`unexpected path ${rel}`);
    const bytes = readFileSync(path);
    const text = (m[6].endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
    const lines = text.split('\n');
    expect(lines.pop()).toBe('');
    return { rel, stream: m[1], hourMs: Date.UTC(+m[2], +m[3] - 1, +m[4], +m[5]), lines };
  });
}

/** The SPEC.md validity rule for one line of a stream; returns the parsed record or null when rejected. */
function validRecord(stream: string, line: string): Record<string, unknown> | null {
  let rec: unknown;
  try {
    rec = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) return null;
  const r = rec as Record<string, unknown>;
  for (const key of REQUIRED[stream]) {
    if (typeof r[key] !== 'string' || r[key] === '') return null;
  }
  if ('channel' in r && REQUIRED[stream].includes('channel') && !CHANNELS.has(r.channel as string)) return null;
  if (!TS_RE.test(r[TS_FIELD[stream]] as string)) return null;
  return r;
}

function hashes(root: string): Record<string, string> {
  return Object.fromEntries(
    walk(root)
      .map((p) => [relative(root, p), createHash('sha256').update(readFileSync(p)).digest('hex')] as const)
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  );
}

/** Minimal RFC 4180 reader for the warehouse CSV (quoted fields, doubled quotes, embedded newlines). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\n') row.push(field), rows.push(row), (row = []), (field = '');
    else field += c;
  }
  return rows;
}

const tmpRoots: string[] = [];
function tmpRoot(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ace-gen-'));
  tmpRoots.push(dir);
  return dir;
}
afterAll(() => tmpRoots.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const BASE: Omit<GenerateOptions, 'root'> = { seed: 11, from: '2026-03-06', to: '2026-03-10', eventsPerDay: 400, mixCompression: true };

describe('generate (small March range across the spring-forward day)', () => {
  let root: string;
  let summary: GenerateSummary;
  let files: RawFile[];

  beforeAll(async () => {
    root = tmpRoot();
    summary = await generate({ ...BASE, root });
    files = readRaw(root);
  });

  test('is deterministic: a second run writes byte-identical files', async () => {
    const again = tmpRoot();
    const summary2 = await generate({ ...BASE, root: again });
    expect(hashes(again)).toEqual(hashes(root));
    expect({ ...summary2, root: '', warehouse: { ...summary2.warehouse, path: '' } }).toEqual({
      ...summary,
      root: '',
      warehouse: { ...summary.warehouse, path: '' },
    });
  });

  test('a different seed gives different data', async () => {
    const other = tmpRoot();
    await generate({ ...BASE, root: other, seed: 12, from: '2026-03-06', to: '2026-03-06' });
    // Config records and the warehouse extract do not depend on the seed; the event files must.
    const events = (dir: string) => Object.entries(hashes(join(dir, 'raw'))).filter(([p]) => p.startsWith('notification_'));
    const mine = new Set(events(root).map(([, h]) => h));
    expect(events(other).length).toBeGreaterThan(10);
    expect(events(other).filter(([, h]) => mine.has(h))).toEqual([]);
  });

  test('writes the three streams, plain and gzip files, and the warehouse CSV', () => {
    const streams = new Set(files.map((f) => f.stream));
    expect([...streams].sort()).toEqual([...STREAMS].sort());
    expect(files.some((f) => f.rel.endsWith('.gz'))).toBe(true);
    expect(files.some((f) => !f.rel.endsWith('.gz'))).toBe(true);
    expect(files.length).toBe(summary.files.total);
    for (const stream of STREAMS) {
      const lines = files.filter((f) => f.stream === stream).flatMap((f) => f.lines).filter((l) => l !== '');
      expect(lines.length).toBe(summary.lines[stream]);
    }
  });

  test('every file sits in an arrival-hour folder no earlier than its events (minus a few minutes) and not absurdly later', () => {
    for (const f of files) {
      for (const line of f.lines) {
        const rec = line === '' ? null : validRecord(f.stream, line);
        if (!rec || f.stream === 'experience_config') continue;
        const ts = Date.parse(rec[TS_FIELD[f.stream]] as string);
        expect(f.hourMs + HOUR).toBeGreaterThan(ts - 5 * 60_000);
        expect(f.hourMs).toBeLessThanOrEqual(ts + 44 * HOUR);
      }
    }
  });

  test('required fields are present and valid in at least 99 % of non-blank lines, per stream', () => {
    for (const stream of STREAMS) {
      const lines = files.filter((f) => f.stream === stream).flatMap((f) => f.lines).filter((l) => l !== '');
      const valid = lines.filter((l) => validRecord(stream, l) !== null).length;
      expect(valid / lines.length).toBeGreaterThanOrEqual(0.99);
    }
  });

  test('each owned day of each event stream has some but under 1 % malformed lines', () => {
    let total = 0;
    for (const stream of ['notification_attempted', 'notification_delivered']) {
      const perDay = new Map<string, { lines: number; bad: number }>();
      for (const f of files.filter((x) => x.stream === stream)) {
        const owner = ownerOf(new Date(f.hourMs));
        const acc = perDay.get(owner) ?? { lines: 0, bad: 0 };
        for (const line of f.lines) {
          if (line === '') continue;
          acc.lines++;
          if (!validRecord(stream, line)) acc.bad++;
        }
        perDay.set(owner, acc);
      }
      for (const [day, { lines, bad }] of perDay) {
        if (day < BASE.from || day > BASE.to) continue;
        expect({ day, rate: bad / lines < 0.01 }).toEqual({ day, rate: true });
        total += bad;
      }
    }
    expect(total).toBeGreaterThan(0);
    expect(total).toBe(summary.injected.malformed);
  });

  test('the DST day 2026-03-08 (23 hours) has traffic in its owned hours and events on its date', () => {
    const owned = ownedHours(d('2026-03-08')).map((h) => h.getTime());
    expect(owned).toHaveLength(23);
    const withFiles = new Set(files.filter((f) => f.stream === 'notification_attempted').map((f) => f.hourMs));
    expect(owned.filter((h) => withFiles.has(h)).length).toBeGreaterThanOrEqual(20);
    const onDst = files
      .filter((f) => f.stream === 'notification_attempted')
      .flatMap((f) => f.lines.map((l) => validRecord(f.stream, l)))
      .filter((r) => r && businessDateOf(new Date(Date.parse(r.attempted_at as string))) === '2026-03-08');
    expect(onDst.length).toBeGreaterThan(300);
  });

  test('injects duplicates (identical content), retries, orphans, late and early-clock arrivals, offsets', () => {
    const byEvent = new Map<string, Set<string>>();
    const attemptsPerNotification = new Map<string, number>();
    const attempted = new Set<string>();
    const delivered = new Set<string>();
    let late = 0;
    let early = 0;
    for (const f of files) {
      if (f.stream === 'experience_config') continue;
      for (const line of f.lines) {
        const r = line === '' ? null : validRecord(f.stream, line);
        if (!r) continue;
        const id = r.event_id as string;
        const copies = byEvent.get(id) ?? new Set<string>();
        copies.add(line);
        byEvent.set(id, copies);
        const ts = Date.parse(r[TS_FIELD[f.stream]] as string);
        if (f.hourMs >= ts + HOUR) late++;
        if (f.hourMs + HOUR <= ts) early++;
        if (f.stream === 'notification_attempted') {
          attempted.add(r.notification_id as string);
          if (id) attemptsPerNotification.set(r.notification_id as string, (attemptsPerNotification.get(r.notification_id as string) ?? 0) + 1);
        } else delivered.add(r.notification_id as string);
      }
    }
    for (const [, copies] of byEvent) expect(copies.size).toBe(1);
    expect(summary.injected.duplicates).toBeGreaterThan(0);
    expect(summary.injected.retries).toBeGreaterThan(0);
    expect([...delivered].filter((n) => !attempted.has(n)).length).toBeGreaterThan(0);
    expect(late).toBeGreaterThan(0);
    expect(early).toBeGreaterThan(0);
    expect(summary.injected.offsetTimestamps).toBeGreaterThan(0);
    expect(summary.injected.crossMidnightDeliveries).toBeGreaterThan(0);
    const counts = files.flatMap((f) => f.lines).filter((l) => /-0[45]:00"/.test(l));
    expect(counts.length).toBeGreaterThan(0);
  });

  test('experience_config: every experience but one configured on the first day, later updates', () => {
    const recs = files
      .filter((f) => f.stream === 'experience_config')
      .sort((a, b) => a.hourMs - b.hourMs)
      .flatMap((f) => f.lines.map((l) => validRecord(f.stream, l)))
      .filter((r): r is Record<string, unknown> => r !== null);
    const configured = new Set(recs.map((r) => r.experience_id as string));
    expect(summary.unconfiguredExperiences).toHaveLength(1);
    expect(configured.has(summary.unconfiguredExperiences[0])).toBe(false);
    expect(configured.size).toBe(resolveOptions({ ...BASE, root }).experiences - 1);
    expect(recs.length).toBeGreaterThan(configured.size);
    const used = new Set(
      files.filter((f) => f.stream === 'notification_attempted').flatMap((f) => f.lines.map((l) => validRecord(f.stream, l)?.experience_id)),
    );
    expect(used.has(summary.unconfiguredExperiences[0])).toBe(true);
  });

  test('warehouse CSV: header, RFC 4180 names, a test client, a client with traffic left out', () => {
    const rows = parseCsv(readFileSync(join(root, 'warehouse', 'dim_customer.csv'), 'utf8'));
    expect(rows[0]).toEqual(['client_id', 'client_name', 'billing_account_id', 'is_test', 'status', 'updated_at']);
    const body = rows.slice(1);
    expect(body.every((r) => r.length === 6)).toBe(true);
    const names = body.map((r) => r[1]);
    expect(names).toEqual(expect.arrayContaining(['Acme, Inc.', 'Zürich "Versicherung" AG', "O'Neil\nUtilities"]));
    expect(body.filter((r) => r[3] === 'true').map((r) => r[0])).toEqual(summary.warehouse.testClients);
    expect(body.every((r) => /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(r[5]))).toBe(true);
    const ids = new Set(body.map((r) => r[0]));
    expect(summary.warehouse.missingClients).toHaveLength(1);
    expect(ids.has(summary.warehouse.missingClients[0])).toBe(false);
    const clientsWithTraffic = new Set(
      files.filter((f) => f.stream === 'notification_attempted').flatMap((f) => f.lines.map((l) => validRecord(f.stream, l)?.client_id)),
    );
    expect(clientsWithTraffic.has(summary.warehouse.missingClients[0])).toBe(true);
  });
});

describe('generate (fall-back day)', () => {
  test('2026-11-01 has 25 owned hours with traffic spread over the day', async () => {
    const root = tmpRoot();
    await generate({ root, seed: 3, from: '2026-11-01', to: '2026-11-01', eventsPerDay: 600 });
    const files = readRaw(root).filter((f) => f.stream === 'notification_attempted');
    const owned = ownedHours(d('2026-11-01')).map((h) => h.getTime());
    expect(owned).toHaveLength(25);
    const perHour = owned.map((h) => files.filter((f) => f.hourMs === h).reduce((n, f) => n + f.lines.length, 0));
    expect(perHour.filter((n) => n > 0).length).toBeGreaterThanOrEqual(22);
    // Daytime peak: the busiest owned hour is between 09:00 and 18:00 ET (13:00–23:00 UTC after fall-back).
    const busiest = owned[perHour.indexOf(Math.max(...perHour))];
    expect(new Date(busiest).getUTCHours()).toBeGreaterThanOrEqual(13);
    expect(new Date(busiest).getUTCHours()).toBeLessThanOrEqual(23);
  });
});

describe('resolveOptions', () => {
  const ok = { root: '/tmp/x', from: '2026-03-01', to: '2026-03-02' };
  test('fills defaults', () => {
    const o = resolveOptions(ok);
    expect(o).toMatchObject({ seed: 7, eventsPerDay: 400, clients: 6, experiences: 12, gzip: true, filesPerHour: 2, duplicateRate: 0.03 });
  });
  test.each([
    [{ from: '2026-02-30' }, /from must be a calendar date/],
    [{ to: '2026-02-28' }, /to \(2026-02-28\) is before from/],
    [{ eventsPerDay: -1 }, /eventsPerDay must be an integer/],
    [{ clients: 0 }, /clients must be an integer from 1/],
    [{ lateRate: 1.5 }, /lateRate must be a number from 0 to 1/],
    [{ filesPerHour: 3 }, /filesPerHour must be an integer from 1 to 2/],
    [{ root: 's3://bucket/lake' }, /root must be a local folder/],
    [{ seed: 1.5 }, /seed must be an integer/],
  ])('rejects %p', (patch, message) => {
    expect(() => resolveOptions({ ...ok, ...patch } as GenerateOptions)).toThrow(GenerateOptionsError);
    expect(() => resolveOptions({ ...ok, ...patch } as GenerateOptions)).toThrow(message);
  });
});
