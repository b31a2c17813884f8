/**
 * Pure text builders for the generator: timestamps in the forms producers send, NDJSON lines for the
 * three raw streams (Python-json style `{"k": "v", ...}` like the real feed), malformed variants,
 * and the RFC 4180 warehouse CSV.
 */
import { offsetAt } from '../time/time';
import { Rng } from './prng';

export const HOUR_MS = 3_600_000;
export const CHANNELS = ['sms', 'email', 'push', 'wire'] as const;
export type Channel = (typeof CHANNELS)[number];

/** How a producer prints an instant. `sec` and `micro` change precision, the others only the zone. */
export type TsKind = 'ms' | 'sec' | 'micro' | 'utcOffset' | 'etOffset';

const offsetCache = new Map<number, number>();

/** Minutes America/New_York is ahead of UTC during the UTC hour holding `ms` (−240 or −300). */
export function etOffsetMinutes(ms: number): number {
  // ET transitions fall on whole UTC hours (06:00Z/07:00Z), so one lookup per hour is exact.
  const hour = Math.floor(ms / HOUR_MS);
  let offset = offsetCache.get(hour);
  if (offset === undefined) {
    offset = offsetAt(new Date(hour * HOUR_MS)) / 60_000;
    offsetCache.set(hour, offset);
  }
  return offset;
}

/** `±HH:MM` for an offset in minutes. */
export function offsetSuffix(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

const PAD2 = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const PAD3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
const prefixCache = new Map<number, string>();

/** `YYYY-MM-DDTHH:MM:SS.mmm` of an epoch-ms value read as UTC, without allocating a Date per call. */
export function isoNoZone(ms: number): string {
  const hour = Math.floor(ms / HOUR_MS);
  let prefix = prefixCache.get(hour);
  if (prefix === undefined) {
    if (prefixCache.size > 200_000) prefixCache.clear();
    prefix = new Date(hour * HOUR_MS).toISOString().slice(0, 14);
    prefixCache.set(hour, prefix);
  }
  const rest = ms - hour * HOUR_MS;
  const sec = Math.floor(rest / 1000);
  return `${prefix}${PAD2[Math.floor(sec / 60)]}:${PAD2[sec % 60]}.${PAD3[rest - sec * 1000]}`;
}

/** Prints the instant `ms` (whole ms) in the given form; `micro` supplies the sub-millisecond digits (0–999). */
export function formatInstant(ms: number, kind: TsKind, micro = 0): string {
  switch (kind) {
    case 'ms':
      return `${isoNoZone(ms)}Z`;
    case 'sec':
      return `${isoNoZone(ms).slice(0, 19)}Z`;
    case 'micro':
      return `${isoNoZone(ms)}${PAD3[micro]}Z`;
    case 'utcOffset':
      return `${isoNoZone(ms)}+00:00`;
    case 'etOffset': {
      const offset = etOffsetMinutes(ms);
      return `${isoNoZone(ms + offset * 60_000)}${offsetSuffix(offset)}`;
    }
    default: {
      const never: never = kind;
      throw new Error(`unknown timestamp kind ${String(never)}`);
    }
  }
}

/** Wall-clock text without any zone: the classic producer bug, an `invalid_value`. */
export function formatZoneless(ms: number): string {
  return isoNoZone(ms);
}

/** What every attempt of one notification shares. */
export interface NotificationFields {
  notificationId: string;
  clientId: string;
  customerId: string;
  experienceId: string;
  channel: string;
}

/** One attempt of a notification. */
export interface AttemptFields {
  eventId: string;
  attemptedAt: string;
  attempt: number;
  messageId: string;
}

export interface DeliveryFields {
  eventId: string;
  notificationId: string;
  channel: string;
  deliveredAt: string;
  receiptId: string;
  latencyMs: number;
}

const PROVIDERS: Record<string, string> = { sms: 'twilio', email: 'sendgrid', push: 'fcm', wire: 'inapp' };
const REGIONS = ['us-east-1', 'us-east-1', 'us-west-2', 'ca-central-1'];

/** The provider that sends a channel. */
export function providerOf(channel: string): string {
  return PROVIDERS[channel] ?? 'twilio';
}

/** Region for a message id (stable per id, spread over a few regions). */
function regionOf(id: string): string {
  return REGIONS[id.charCodeAt(id.length - 1) & 3];
}

/** A `notification_attempted` line; `altOrder` prints the keys in another order (field order is free). */
export function attemptedLine(n: NotificationFields, a: AttemptFields, altOrder = false): string {
  const provider = `{"name": "${providerOf(n.channel)}", "region": "${regionOf(a.messageId)}", "message_id": "${a.messageId}", "attempt": ${a.attempt}}`;
  if (altOrder) {
    return `{"attempted_at": "${a.attemptedAt}", "channel": "${n.channel}", "provider": ${provider}, "event_id": "${a.eventId}", "experience_id": "${n.experienceId}", "client_id": "${n.clientId}", "notification_id": "${n.notificationId}", "customer_id": "${n.customerId}"}`;
  }
  return `{"event_id": "${a.eventId}", "notification_id": "${n.notificationId}", "client_id": "${n.clientId}", "customer_id": "${n.customerId}", "experience_id": "${n.experienceId}", "channel": "${n.channel}", "attempted_at": "${a.attemptedAt}", "provider": ${provider}}`;
}

/** A `notification_delivered` line (a provider receipt). */
export function deliveredLine(f: DeliveryFields, altOrder = false): string {
  const provider = `{"name": "${providerOf(f.channel)}", "receipt_id": "${f.receiptId}", "status": "delivered", "latency_ms": ${f.latencyMs}}`;
  if (altOrder) {
    return `{"delivered_at": "${f.deliveredAt}", "provider": ${provider}, "notification_id": "${f.notificationId}", "event_id": "${f.eventId}", "channel": "${f.channel}"}`;
  }
  return `{"event_id": "${f.eventId}", "notification_id": "${f.notificationId}", "channel": "${f.channel}", "delivered_at": "${f.deliveredAt}", "provider": ${provider}}`;
}

export interface ConfigFields {
  experienceId: string;
  experienceName: string;
  outcomeId: string;
  outcomeName: string;
  clientId: string;
  updatedAt: string;
}

/** An `experience_config` line; names go through JSON.stringify (they hold commas and quotes). */
export function configLine(f: ConfigFields): string {
  const j = JSON.stringify;
  return `{"experience_id": ${j(f.experienceId)}, "experience_name": ${j(f.experienceName)}, "outcome_id": ${j(f.outcomeId)}, "outcome_name": ${j(f.outcomeName)}, "client_id": ${j(f.clientId)}, "updated_at": ${j(f.updatedAt)}}`;
}

/** The ways a line is broken on purpose; each maps to one reject reason of SPEC.md. */
export const MALFORMED_KINDS = [
  'not_json',
  'truncated_json',
  'missing_field',
  'null_field',
  'numeric_id',
  'empty_id',
  'bad_channel',
  'zoneless_timestamp',
] as const;
export type MalformedKind = (typeof MALFORMED_KINDS)[number];

/** Serializes ordered [key, JSON text] pairs in the feed's style. */
function render(pairs: Array<[string, string]>): string {
  return `{${pairs.map(([k, v]) => `"${k}": ${v}`).join(', ')}}`;
}

/**
 * A broken line from the fields of a plausible event (`pairs` are [key, JSON text], required keys first).
 * `idKey` is the id that `numeric_id` turns into a number (customer_id for attempts).
 */
export function malformedLine(
  kind: MalformedKind,
  pairs: Array<[string, string]>,
  required: readonly string[],
  idKey: string,
  tsKey: string,
  tsMs: number,
  rng: Rng,
): string {
  const copy = pairs.map(([k, v]) => [k, v] as [string, string]);
  const set = (key: string, value: string) => {
    const hit = copy.find(([k]) => k === key);
    if (hit) hit[1] = value;
  };
  const victim = required[Math.floor(rng() * required.length)];
  switch (kind) {
    case 'not_json':
      return ['not json at all', '<html><body>502 Bad Gateway</body></html>', 'event_id=a1,channel=sms', '{"event_id": }'][Math.floor(rng() * 4)];
    case 'truncated_json': {
      const full = render(copy);
      return full.slice(0, 20 + Math.floor(rng() * (full.length - 40)));
    }
    case 'missing_field':
      return render(copy.filter(([k]) => k !== victim));
    case 'null_field':
      set(victim, 'null');
      return render(copy);
    case 'numeric_id':
      set(idKey, String(10_000 + Math.floor(rng() * 90_000)));
      return render(copy);
    case 'empty_id':
      set('event_id', '""');
      return render(copy);
    case 'bad_channel':
      set('channel', JSON.stringify(['fax', 'SMS', 'pigeon', 'e-mail'][Math.floor(rng() * 4)]));
      return render(copy);
    case 'zoneless_timestamp':
      set(tsKey, JSON.stringify(formatZoneless(tsMs)));
      return render(copy);
    default: {
      const never: never = kind;
      throw new Error(`unknown malformed kind ${String(never)}`);
    }
  }
}

/** One RFC 4180 field: quoted when it holds a comma, quote, CR or LF; quotes doubled. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** RFC 4180 text (LF line ends, trailing newline) from a header and rows. */
export function toCsv(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  return [header, ...rows].map((r) => r.map(csvField).join(',')).join('\n') + '\n';
}
