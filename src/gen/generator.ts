/**
 * Deterministic generator of realistic raw input (SPEC.md "Raw input"): notification attempts and
 * delivery receipts with the faults real feeds have, experience config records, and the warehouse's
 * dim_customer extract.
 *
 * Events are generated in order of their true instant, hour by hour, each day from its own PRNG
 * sub-stream. Each line goes to the queue bucket of its UTC arrival hour; a bucket is written once no
 * later event can arrive in it (arrival ≥ true instant, except early clocks, which land at most one
 * hour before). The queue only holds future arrivals (deliveries, late copies), never the whole range.
 */
import { rm, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { addDays, BusinessDate, datesBetween, hourPath, hoursBetween, windowOf } from '../time/time';
import {
  attemptedLine, AttemptFields, CHANNELS, NotificationFields, configLine, deliveredLine, DeliveryFields, etOffsetMinutes, formatInstant,
  HOUR_MS, MALFORMED_KINDS, MalformedKind, malformedLine, toCsv, TsKind,
} from './format';
import {
  buildClients, buildExperiences, CHANNEL_CUMULATIVE, Client, DIM_CUSTOMER_HEADER, dimCustomerRows, Experience,
  experiencesByClient, hourWeight, spread,
} from './model';
import { GenerateOptions, resolveOptions, ResolvedOptions } from './options';
import { cumulate, hex8, intBetween, pickWeighted, Rng, rngFor } from './prng';
import { createWriteQueue, LineBuffer, lineEndAfter, withBlankLines, WriteQueue } from './writer';

export type { GenerateOptions, ResolvedOptions } from './options';
export { DEFAULTS, GenerateOptionsError, resolveOptions } from './options';

export const STREAMS = ['notification_attempted', 'notification_delivered', 'experience_config'] as const;
export type Stream = (typeof STREAMS)[number];
const ATTEMPTED = 0;
const DELIVERED = 1;
const CONFIG = 2;

const EARLY_WINDOW_MS = 180_000;
const LOG_MIN_DELAY = Math.log(1_000);
const LOG_MAX_DELAY = Math.log(6 * HOUR_MS);
const ATTEMPT_REQUIRED = ['event_id', 'notification_id', 'client_id', 'customer_id', 'experience_id', 'channel', 'attempted_at'];
const DELIVERY_REQUIRED = ['event_id', 'notification_id', 'channel', 'delivered_at'];
const MAX_FILES_IN_FLIGHT = 4;

/** Counts of each fault or feature the generator injected. */
export interface InjectedCounts {
  /** Extra identical copies of an event (same event_id and content). */
  duplicates: number;
  /** Events that arrived 1 h or more after their instant. */
  late: number;
  /** Events that landed in the folder of the hour before their timestamp's hour. */
  earlyClock: number;
  /** Second attempts of a notification (new event_id, same notification_id). */
  retries: number;
  /** Deliveries whose business date is after their attempt's. */
  crossMidnightDeliveries: number;
  /** Deliveries stamped 4+ business dates after their attempt (outside the 3-day lookback). */
  beyondLookbackDeliveries: number;
  /** Deliveries stamped a few seconds before their attempt (clock skew between producers). */
  deliveredBeforeAttempt: number;
  /** Deliveries whose own channel differs from the attempt's. */
  channelMismatch: number;
  /** Receipts for notification ids never attempted (`nz…`). */
  orphanDeliveries: number;
  /** Deliveries and retries not written because they would fall after `to`. */
  droppedAfterRange: number;
  /** Timestamps printed with an offset (`-04:00`, `-05:00`, `+00:00`) instead of `Z`. */
  offsetTimestamps: number;
  /** Timestamps with whole seconds or with microseconds. */
  otherPrecisionTimestamps: number;
  /** Lines with keys in another order. */
  reorderedFields: number;
  /** Broken lines, total and by kind. */
  malformed: number;
  malformedByKind: Record<MalformedKind, number>;
  blankLines: number;
  /** Files written without gzip (mixCompression). */
  plainFiles: number;
  /** Config records after the first day's full set, and how many of them carry an older updated_at. */
  configUpdates: number;
  staleConfigUpdates: number;
}

export interface GenerateSummary {
  root: string;
  seed: number;
  from: BusinessDate;
  to: BusinessDate;
  days: number;
  /** Distinct notification ids attempted. */
  notifications: number;
  /** Distinct valid events per stream (attempts incl. retries; deliveries incl. orphans; config records). */
  events: Record<Stream, number>;
  /** Files written per stream. */
  files: Record<Stream, number> & { total: number };
  /** Non-blank lines written per stream (with duplicates and malformed lines). */
  lines: Record<Stream, number>;
  /** Bytes of NDJSON before compression, and bytes on disk. */
  bytes: { uncompressed: number; written: number };
  /** First and last UTC arrival hour folder written (`YYYY/MM/DD/HH`). */
  arrivalHours: { first: string; last: string };
  injected: InjectedCounts;
  unconfiguredExperiences: string[];
  warehouse: { path: string; rows: number; testClients: string[]; missingClients: string[] };
}

interface Ctx {
  o: ResolvedOptions;
  runTag: number;
  clients: Client[];
  clientCumulative: number[];
  experiences: Experience[];
  expByClient: number[][];
  rangeEndMs: number;
  queue: Map<number, LineBuffer[]>;
  writes: WriteQueue;
  s: GenerateSummary;
  // Per-day state.
  rng: Rng;
  dayTag: string;
  seq: number;
  dayEndMs: number;
  beyondLookbackStartMs: number;
  openFromMs: number;
  credit: [number, number];
  threshold: [number, number];
  malformedToday: [number, number];
  malformedCap: [number, number];
  configVersions: Map<string, number>;
}

/** Generates raw files for [from, to] and the warehouse CSV under `root`; same options → identical bytes. */
export async function generate(opts: GenerateOptions): Promise<GenerateSummary> {
  const o = resolveOptions(opts);
  if (o.clean) await cleanRoot(o.root);
  const ctx = createContext(o);
  const dates = datesBetween(o.from, o.to);
  for (let dayIndex = 0; dayIndex < dates.length; dayIndex++) {
    const day = dates[dayIndex];
    const hours = startDay(ctx, day);
    const counts = spread(o.eventsPerDay, hours.map((h) => hourWeight(localHour(h))));
    emitConfig(ctx, day, dayIndex, dates.length, hours);
    for (let hi = 0; hi < hours.length; hi++) {
      ctx.openFromMs = hours[hi] - HOUR_MS;
      for (let i = 0; i < counts[hi]; i++) genNotification(ctx, hours[hi] + Math.floor(ctx.rng() * HOUR_MS));
      await flushUpTo(ctx, hours[hi] - HOUR_MS);
    }
  }
  await flushUpTo(ctx, Number.POSITIVE_INFINITY);
  await ctx.writes.idle();
  ctx.s.bytes.written = ctx.writes.bytesWritten();
  await writeWarehouse(ctx);
  ctx.s.files.total = ctx.s.files.notification_attempted + ctx.s.files.notification_delivered + ctx.s.files.experience_config;
  return ctx.s;
}

/** Removes what a previous run wrote: the three stream folders and the warehouse CSV. */
async function cleanRoot(root: string): Promise<void> {
  for (const stream of STREAMS) await rm(join(root, 'raw', stream), { recursive: true, force: true });
  await rm(join(root, 'warehouse', 'dim_customer.csv'), { force: true });
}

function emptySummary(o: ResolvedOptions): GenerateSummary {
  const perStream = () => ({ notification_attempted: 0, notification_delivered: 0, experience_config: 0 });
  return {
    root: o.root,
    seed: o.seed,
    from: o.from,
    to: o.to,
    days: datesBetween(o.from, o.to).length,
    notifications: 0,
    events: perStream(),
    files: { ...perStream(), total: 0 },
    lines: perStream(),
    bytes: { uncompressed: 0, written: 0 },
    arrivalHours: { first: '', last: '' },
    injected: {
      duplicates: 0, late: 0, earlyClock: 0, retries: 0, crossMidnightDeliveries: 0, beyondLookbackDeliveries: 0,
      deliveredBeforeAttempt: 0, channelMismatch: 0, orphanDeliveries: 0, droppedAfterRange: 0, offsetTimestamps: 0,
      otherPrecisionTimestamps: 0, reorderedFields: 0, malformed: 0,
      malformedByKind: Object.fromEntries(MALFORMED_KINDS.map((k) => [k, 0])) as Record<MalformedKind, number>,
      blankLines: 0, plainFiles: 0, configUpdates: 0, staleConfigUpdates: 0,
    },
    unconfiguredExperiences: [],
    warehouse: { path: '', rows: 0, testClients: [], missingClients: [] },
  };
}

/** A 32-bit tag of every option that shapes the output, so different runs never share file names. */
function runTagOf(o: ResolvedOptions): number {
  const { root: _root, clean: _clean, idShape, extraNested, compactJson, ...shaping } = o;
  // The line shapes enter the tag only when not the default, so default output keeps its bytes.
  const shapes = idShape === 'short' && !extraNested && !compactJson ? {} : { idShape, extraNested, compactJson };
  const text = JSON.stringify({ ...shaping, ...shapes });
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function createContext(o: ResolvedOptions): Ctx {
  const clients = buildClients(o.clients);
  const experiences = buildExperiences(o.experiences, clients);
  const s = emptySummary(o);
  s.unconfiguredExperiences = experiences.filter((e) => !e.configured).map((e) => e.id);
  return {
    o,
    runTag: runTagOf(o),
    clients,
    clientCumulative: cumulate(clients.map((c) => c.weight)),
    experiences,
    expByClient: experiencesByClient(clients, experiences),
    rangeEndMs: windowOf(o.to).endUtc.getTime(),
    queue: new Map(),
    writes: createWriteQueue(MAX_FILES_IN_FLIGHT),
    s,
    rng: rngFor(o.seed),
    dayTag: '',
    seq: 0,
    dayEndMs: 0,
    beyondLookbackStartMs: 0,
    openFromMs: 0,
    credit: [0, 0],
    threshold: [1, 1],
    malformedToday: [0, 0],
    malformedCap: [0, 0],
    configVersions: new Map(),
  };
}

function dayNumber(day: BusinessDate): number {
  return Date.parse(`${day}T00:00:00Z`) / 86_400_000;
}

/** Resets per-day state (own PRNG stream, id prefix, malformed budget); returns the day's UTC hours. */
function startDay(ctx: Ctx, day: BusinessDate): number[] {
  const { o } = ctx;
  const w = windowOf(day);
  ctx.rng = rngFor(o.seed, 1, dayNumber(day));
  ctx.dayTag = day.slice(2).replace(/-/g, '');
  ctx.seq = 0;
  ctx.dayEndMs = w.endUtc.getTime();
  ctx.beyondLookbackStartMs = windowOf(addDays(day, 4)).startUtc.getTime();
  ctx.malformedToday = [0, 0];
  // A day never gets more than 2.5× its expected share of broken lines, so small days stay well under 1 %.
  const expected = [o.eventsPerDay * (1 + o.retryRate), o.eventsPerDay * o.deliveryRate];
  ctx.malformedCap = [Math.floor(expected[0] * o.malformedRate * 2.5), Math.floor(expected[1] * o.malformedRate * 2.5)];
  return hoursBetween(w.startUtc, w.endUtc).map((h) => h.getTime());
}

/** ET wall-clock hour (0–23) of a UTC hour start. */
function localHour(hourMs: number): number {
  const local = hourMs + etOffsetMinutes(hourMs) * 60_000;
  return Math.floor(local / HOUR_MS) % 24;
}

const NUMERIC_PREFIX: Record<string, string> = { a: '1', d: '2', n: '3', nz: '4' };

function nextId(ctx: Ctx, prefix: string): string {
  const seq = ++ctx.seq;
  switch (ctx.o.idShape) {
    case 'prefixed': return `evt-${prefix}-${String(seq).padStart(10, '0')}-${ctx.dayTag}`;
    case 'numeric': return `${NUMERIC_PREFIX[prefix] ?? '9'}${ctx.dayTag}${String(seq).padStart(9, '0')}`;
    case 'uuid': return uuidOf(`${prefix}${ctx.dayTag}`, seq);
    default: return `${prefix}${ctx.dayTag}${String(seq).padStart(8, '0')}`;
  }
}

/** A UUID-shaped id, unique per (tag, seq): 128 bits from two rounds of a 32-bit mix. */
function uuidOf(tag: string, seq: number): string {
  let h = 0x9e3779b9;
  for (let i = 0; i < tag.length; i++) h = Math.imul(h ^ tag.charCodeAt(i), 0x01000193);
  const words: string[] = [];
  for (let i = 0; i < 4; i++) {
    let x = (h ^ Math.imul(seq + i * 0x632be5ab, 0x85ebca6b)) >>> 0;
    x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
    x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
    words.push(((x ^ (x >>> 16)) >>> 0).toString(16).padStart(8, '0'));
  }
  // The seq in the last group keeps ids unique whatever the mix does.
  const hex = words.join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${seq.toString(16).padStart(12, '0')}`;
}

/** The benchmark line shapes (options extraNested, compactJson) applied to a valid event line. */
function shaped(ctx: Ctx, line: string): string {
  let out = line;
  if (ctx.o.extraNested) out = `${out.slice(0, -1)}, "context": {"sdk": {"name": "ace-gen", "version": "4.2.${ctx.seq % 10}"}, "trace_id": "t${ctx.seq}", "sampled": ${ctx.seq % 2 === 0}}}`;
  if (ctx.o.compactJson) out = out.replace(/": /g, '":').replace(/, "/g, ',"');
  return out;
}

/** Picks how a producer prints the instant; returns the text and the instant it denotes (ms). */
function stamp(ctx: Ctx, ms: number): { text: string; ms: number } {
  const r = ctx.rng();
  let kind: TsKind = 'ms';
  if (r < 0.04) kind = 'etOffset';
  else if (r < 0.05) kind = 'utcOffset';
  else if (r < 0.07) kind = 'sec';
  else if (r < 0.08) kind = 'micro';
  if (kind === 'etOffset' || kind === 'utcOffset') ctx.s.injected.offsetTimestamps++;
  else if (kind !== 'ms') ctx.s.injected.otherPrecisionTimestamps++;
  const at = kind === 'sec' ? ms - (ms % 1000) : ms;
  return { text: formatInstant(at, kind, kind === 'micro' ? Math.floor(ctx.rng() * 1000) : 0), ms: at };
}

function push(ctx: Ctx, stream: number, hourMs: number, line: string): void {
  let bucket = ctx.queue.get(hourMs);
  if (!bucket) {
    bucket = [new LineBuffer(), new LineBuffer(), new LineBuffer(1024)];
    ctx.queue.set(hourMs, bucket);
  }
  bucket[stream].push(line);
}

/** Places a valid line in its arrival hour (normal, late or early clock) and maybe a duplicate; returns copies. */
function emit(ctx: Ctx, stream: number, line: string, tsMs: number): number {
  const { o, rng, s } = ctx;
  const into = tsMs - Math.floor(tsMs / HOUR_MS) * HOUR_MS;
  let arrival: number;
  if (into < EARLY_WINDOW_MS && rng() < (o.earlyClockRate * HOUR_MS) / EARLY_WINDOW_MS) {
    arrival = tsMs - into - HOUR_MS;
    s.injected.earlyClock++;
  } else if (rng() < o.lateRate) {
    const r = rng();
    arrival = tsMs + HOUR_MS + r * r * (o.maxLateHours - 1) * HOUR_MS;
    s.injected.late++;
  } else {
    arrival = tsMs + 2_000 + rng() * 118_000;
  }
  arrival = Math.max(Math.floor(arrival / HOUR_MS) * HOUR_MS, ctx.openFromMs);
  push(ctx, stream, arrival, line);
  s.events[STREAMS[stream]]++;
  if (rng() < o.duplicateRate) {
    const later = rng() < 0.6 ? 0 : intBetween(rng, 1, 3);
    push(ctx, stream, arrival + later * HOUR_MS, line);
    s.injected.duplicates++;
    return 2;
  }
  return 1;
}

function altOrder(ctx: Ctx): boolean {
  if (ctx.rng() >= 0.02) return false;
  ctx.s.injected.reorderedFields++;
  return true;
}

/** One notification: its attempt, maybe a retry, maybe a delivery, maybe an orphan receipt and a broken line. */
function genNotification(ctx: Ctx, tMs: number): void {
  const { o, rng, s } = ctx;
  const ci = pickWeighted(rng, ctx.clientCumulative);
  const own = ctx.expByClient[ci];
  const exp = ctx.experiences[own[Math.floor(rng() * own.length)]];
  const base: NotificationFields = {
    notificationId: nextId(ctx, 'n'),
    clientId: ctx.clients[ci].id,
    // rng()² skews traffic toward low customer numbers: some customers hear from a client often.
    customerId: `u${String(1 + Math.floor(o.customersPerClient * rng() * rng())).padStart(6, '0')}`,
    experienceId: exp.id,
    channel: CHANNELS[pickWeighted(rng, CHANNEL_CUMULATIVE)],
  };
  s.notifications++;
  let lastMs = attempt(ctx, base, tMs, 1);
  let attemptedLines = 1;
  let retried = false;
  if (rng() < o.retryRate) {
    const retryMs = tMs + 60_000 + Math.floor(rng() * 29 * 60_000);
    if (retryMs < ctx.rangeEndMs) {
      lastMs = attempt(ctx, base, retryMs, 2);
      s.injected.retries++;
      retried = true;
      attemptedLines++;
    } else s.injected.droppedAfterRange++;
  }
  let deliveredLines = 0;
  if (rng() < o.deliveryRate) deliveredLines += deliver(ctx, base.notificationId, base.channel, lastMs, !retried);
  if (rng() < o.orphanRate * o.deliveryRate) deliveredLines += orphan(ctx, tMs);
  maybeMalformed(ctx, ATTEMPTED, attemptedLines, tMs, base);
  if (deliveredLines > 0) maybeMalformed(ctx, DELIVERED, deliveredLines, tMs, base);
}

function messageId(rng: Rng, prefix: string): string {
  return `${prefix}${hex8(rng)}${hex8(rng)}`;
}

/** Emits one attempt at `ms`; returns the instant its timestamp denotes. */
function attempt(ctx: Ctx, base: NotificationFields, ms: number, n: number): number {
  const ts = stamp(ctx, ms);
  const fields: AttemptFields = { eventId: nextId(ctx, 'a'), attemptedAt: ts.text, attempt: n, messageId: messageId(ctx.rng, 'SM') };
  emit(ctx, ATTEMPTED, shaped(ctx, attemptedLine(base, fields, altOrder(ctx))), ts.ms);
  return ts.ms;
}

/** A delivery receipt for an attempted notification; returns lines queued (0 when past the range). */
function deliver(ctx: Ctx, notificationId: string, channel: string, attemptMs: number, mayGoBeyond: boolean): number {
  const { o, rng, s } = ctx;
  let ms: number;
  const r = rng();
  if (mayGoBeyond && r < o.beyondLookbackRate) {
    ms = ctx.beyondLookbackStartMs + Math.floor(rng() * 20 * HOUR_MS);
  } else if (r < o.beyondLookbackRate + 0.003) {
    ms = attemptMs - intBetween(rng, 1_000, 5_000);
  } else {
    ms = attemptMs + Math.floor(Math.exp(LOG_MIN_DELAY + rng() * (LOG_MAX_DELAY - LOG_MIN_DELAY)));
  }
  if (ms >= ctx.rangeEndMs) {
    s.injected.droppedAfterRange++;
    return 0;
  }
  if (ms >= ctx.beyondLookbackStartMs) s.injected.beyondLookbackDeliveries++;
  else if (ms >= ctx.dayEndMs) s.injected.crossMidnightDeliveries++;
  if (ms < attemptMs) s.injected.deliveredBeforeAttempt++;
  let ch = channel;
  if (rng() < 0.005) {
    ch = CHANNELS[(CHANNELS.indexOf(channel as (typeof CHANNELS)[number]) + 1) % CHANNELS.length];
    s.injected.channelMismatch++;
  }
  const ts = stamp(ctx, ms);
  const fields: DeliveryFields = {
    eventId: nextId(ctx, 'd'),
    notificationId,
    channel: ch,
    deliveredAt: ts.text,
    receiptId: messageId(rng, 'rc'),
    latencyMs: Math.max(0, ts.ms - attemptMs),
  };
  return emit(ctx, DELIVERED, shaped(ctx, deliveredLine(fields, altOrder(ctx))), ts.ms);
}

/** A receipt for a notification id that no attempt ever carried. */
function orphan(ctx: Ctx, tMs: number): number {
  const ms = tMs + intBetween(ctx.rng, 1_000, 600_000);
  if (ms >= ctx.rangeEndMs) return 0;
  ctx.s.injected.orphanDeliveries++;
  const ts = stamp(ctx, ms);
  const fields: DeliveryFields = {
    eventId: nextId(ctx, 'd'),
    notificationId: nextId(ctx, 'nz'),
    channel: CHANNELS[pickWeighted(ctx.rng, CHANNEL_CUMULATIVE)],
    deliveredAt: ts.text,
    receiptId: messageId(ctx.rng, 'rc'),
    latencyMs: 0,
  };
  return emit(ctx, DELIVERED, shaped(ctx, deliveredLine(fields, altOrder(ctx))), ts.ms);
}

/**
 * Error diffusion: each valid line adds `malformedRate` of credit and a broken line is written when the
 * credit passes a jittered threshold, so every day's share stays close to the rate instead of clumping.
 * Broken lines land in the current hour, which the current day owns.
 */
function maybeMalformed(ctx: Ctx, stream: 0 | 1, lines: number, tMs: number, base: NotificationFields): void {
  const { o, rng, s } = ctx;
  ctx.credit[stream] = Math.min(ctx.credit[stream] + lines * o.malformedRate, 1.5);
  if (ctx.credit[stream] < ctx.threshold[stream] || ctx.malformedToday[stream] >= ctx.malformedCap[stream]) return;
  ctx.credit[stream] -= 1;
  ctx.threshold[stream] = 0.75 + rng() * 0.5;
  ctx.malformedToday[stream]++;
  const kind = MALFORMED_KINDS[Math.floor(rng() * MALFORMED_KINDS.length)];
  const q = JSON.stringify;
  const ts = formatInstant(tMs, 'ms');
  const line =
    stream === ATTEMPTED
      ? malformedLine(kind, [
          ['event_id', q(nextId(ctx, 'a'))], ['notification_id', q(base.notificationId)], ['client_id', q(base.clientId)],
          ['customer_id', q(base.customerId)], ['experience_id', q(base.experienceId)], ['channel', q(base.channel)],
          ['attempted_at', q(ts)],
        ], ATTEMPT_REQUIRED, 'customer_id', 'attempted_at', tMs, rng)
      : malformedLine(kind, [
          ['event_id', q(nextId(ctx, 'd'))], ['notification_id', q(base.notificationId)], ['channel', q(base.channel)],
          ['delivered_at', q(ts)],
        ], DELIVERY_REQUIRED, 'notification_id', 'delivered_at', tMs, rng);
  push(ctx, stream, Math.floor(tMs / HOUR_MS) * HOUR_MS, line);
  s.injected.malformed++;
  s.injected.malformedByKind[kind]++;
}

/** Config records: every configured experience on the first day, a renamed one weekly, one stale record. */
function emitConfig(ctx: Ctx, day: BusinessDate, dayIndex: number, days: number, hours: number[]): void {
  const { o, s } = ctx;
  const rng = rngFor(o.seed, 3, dayNumber(day));
  const configured = ctx.experiences.filter((e) => e.configured);
  if (configured.length === 0) return;
  const record = (e: Experience, name: string, updatedAt: string, hourMs: number) =>
    push(ctx, CONFIG, hourMs, configLine({ experienceId: e.id, experienceName: name, outcomeId: e.outcomeId, outcomeName: e.outcomeName, clientId: e.clientId, updatedAt }));
  const morning = hours[Math.min(10, hours.length - 1)];
  const midday = hours[Math.min(14, hours.length - 1)];
  if (dayIndex === 0) {
    const updatedAt = `${addDays(o.from, -30)}T15:00:00.000Z`;
    for (const e of configured) record(e, e.name, updatedAt, morning);
    s.events.experience_config += configured.length;
  }
  if (dayIndex > 0 && dayIndex % 7 === 0) {
    const e = configured[Math.floor(rng() * configured.length)];
    const version = (ctx.configVersions.get(e.id) ?? 1) + 1;
    ctx.configVersions.set(e.id, version);
    record(e, `${e.name}, v${version}`, formatInstant(midday + intBetween(rng, 0, 20 * 60_000), 'ms'), midday);
    s.injected.configUpdates++;
    s.events.experience_config++;
  }
  if (days >= 2 && dayIndex === Math.min(10, days - 1)) {
    record(configured[0], 'STALE NAME', `${addDays(o.from, -90)}T00:00:00.000Z`, midday);
    s.injected.configUpdates++;
    s.injected.staleConfigUpdates++;
    s.events.experience_config++;
  }
}

/** Writes every queued arrival hour ≤ `limit`, oldest first. */
async function flushUpTo(ctx: Ctx, limit: number): Promise<void> {
  const ready = [...ctx.queue.keys()].filter((h) => h <= limit).sort((a, b) => a - b);
  for (const hourMs of ready) {
    const bucket = ctx.queue.get(hourMs)!;
    ctx.queue.delete(hourMs);
    for (let stream = 0; stream < STREAMS.length; stream++) {
      if (bucket[stream].lines > 0) await writeHour(ctx, stream, hourMs, bucket[stream]);
    }
  }
  // Let gzip callbacks run between hours even when the write queue has room.
  await new Promise((resolve) => setImmediate(resolve));
}

/** Splits one stream's lines of an arrival hour into 1–2 files, sprinkles blank lines, and queues the writes. */
async function writeHour(ctx: Ctx, stream: number, hourMs: number, lines: LineBuffer): Promise<void> {
  const { o, s } = ctx;
  const rng = rngFor(o.seed, 2, ctx.runTag, stream, hourMs);
  const all = lines.bytes();
  const parts = [all];
  if (o.filesPerHour >= 2 && lines.lines >= 2 && rng() < 0.5) {
    const cut = lineEndAfter(all, Math.floor(rng() * (all.length - 1)));
    if (cut < all.length) parts.splice(0, 1, all.subarray(0, cut), all.subarray(cut));
  }
  const folder = hourPath(new Date(hourMs));
  const name = STREAMS[stream];
  if (!s.arrivalHours.first || folder < s.arrivalHours.first) s.arrivalHours.first = folder;
  if (folder > s.arrivalHours.last) s.arrivalHours.last = folder;
  s.lines[name] += lines.lines;
  for (let idx = 0; idx < parts.length; idx++) {
    const part = parts[idx];
    const blanks = Math.floor((lines.lines * o.blankLineRate * part.length) / all.length + rng());
    const at: number[] = [];
    for (let b = 0; b < blanks; b++) {
      const pos = Math.floor(rng() * part.length);
      at.push(pos === 0 ? 0 : lineEndAfter(part, pos - 1));
    }
    at.sort((x, y) => x - y);
    s.injected.blankLines += blanks;
    const gz = o.gzip && !(o.mixCompression && rng() < 0.1);
    if (!gz) s.injected.plainFiles++;
    const file = `${name}-1-${folder.replace(/\//g, '-')}-${idx}-${hex8(rng)}${gz ? '.gz' : ''}`;
    const content = withBlankLines(part, at);
    s.bytes.uncompressed += content.length;
    s.files[name]++;
    await ctx.writes.add(join(o.root, 'raw', name, folder, file), content, gz, o.gzipLevel);
  }
}

/** The warehouse extract `<root>/warehouse/dim_customer.csv` (RFC 4180; updated_at without a zone). */
async function writeWarehouse(ctx: Ctx): Promise<void> {
  const { o, s } = ctx;
  const rows = dimCustomerRows(ctx.clients, `${addDays(o.from, -45)} 10:00:00`);
  const path = join(o.root, 'warehouse', 'dim_customer.csv');
  await mkdir(join(o.root, 'warehouse'), { recursive: true });
  await writeFile(path, toCsv(DIM_CUSTOMER_HEADER, rows));
  s.warehouse = {
    path,
    rows: rows.length,
    testClients: ctx.clients.filter((c) => c.isTest).map((c) => c.id),
    missingClients: ctx.clients.filter((c) => !c.inWarehouse).map((c) => c.id),
  };
}
