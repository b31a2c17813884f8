/**
 * Options of the raw-event generator: defaults, and one validation pass that turns loose input
 * (from code or argv) into resolved values or a one-line error naming the option.
 */
import { BusinessDate, datesBetween, parseBusinessDate } from '../time/time';

export interface GenerateOptions {
  /** Lake root folder: raw goes to `<root>/raw/<stream>/YYYY/MM/DD/HH/`, the warehouse CSV to `<root>/warehouse/`. */
  root: string;
  /** PRNG seed (a safe integer). Default 7. */
  seed?: number;
  /** First business date generated (inclusive). */
  from: BusinessDate | string;
  /** Last business date generated (inclusive). */
  to: BusinessDate | string;
  /** Attempted notifications per business date, before retries and duplicates. Default 400. */
  eventsPerDay?: number;
  /** Number of clients c01..cN. Default 6. */
  clients?: number;
  /** Distinct customers per client (u000001..). Default 200. */
  customersPerClient?: number;
  /** Number of experiences exp01..; default 2 per client. */
  experiences?: number;
  /** Gzip the files (`.gz`). Default true. */
  gzip?: boolean;
  /** Gzip level 1–9. Default 1 (fast; size is within ~15 % of level 6 on this data). */
  gzipLevel?: number;
  /** With gzip, leave about 1 file in 10 uncompressed (no `.gz`). Default false. */
  mixCompression?: boolean;
  /** At most this many files per stream and arrival hour (1 or 2). Default 2. */
  filesPerHour?: number;
  /** Share of events re-sent with identical content, in the same or a later file/hour. Default 0.03. */
  duplicateRate?: number;
  /** Share of events arriving 1 h to `maxLateHours` late. Default 0.02. */
  lateRate?: number;
  /** Hours of the latest late arrival. Default 40. */
  maxLateHours?: number;
  /** Share of events whose producer clock runs ahead so they land in the previous hour's folder. Default 0.01. */
  earlyClockRate?: number;
  /** Share of notifications attempted again (new event_id) minutes later. Default 0.05. */
  retryRate?: number;
  /** Share of notifications that get a delivery receipt (1 s – 6 h later). Default 0.75. */
  deliveryRate?: number;
  /** Share of deliveries arriving days later, beyond the 3-day attribution lookback. Default 0.002. */
  beyondLookbackRate?: number;
  /** Orphan receipts (notification never attempted) per delivery. Default 0.005. */
  orphanRate?: number;
  /** Share of broken lines (bad JSON, missing/null field, numeric id, bad channel, zoneless time). Default 0.002. */
  malformedRate?: number;
  /** Blank lines per line written. Default 0.001. */
  blankLineRate?: number;
  /** Delete the three raw stream folders and the warehouse CSV under root first. Default false. */
  clean?: boolean;
  /**
   * How event and notification ids look (for benchmarks of other producers' shapes): `short` (default,
   * `a26040100000001`), `prefixed` (long shared prefix, `evt-a-0000000014-260401`), `uuid`
   * (a deterministic UUID-shaped hex id), `numeric` (digits only, still a JSON string).
   */
  idShape?: IdShape;
  /** Add one more nested object (`"context": {…}`) to every attempted and delivered event. Default false. */
  extraNested?: boolean;
  /** Print valid event lines without the space after each colon. Default false (the producers' `"k": v`). */
  compactJson?: boolean;
}

export const ID_SHAPES = ['short', 'prefixed', 'uuid', 'numeric'] as const;
export type IdShape = (typeof ID_SHAPES)[number];

export type ResolvedOptions = Required<Omit<GenerateOptions, 'from' | 'to'>> & { from: BusinessDate; to: BusinessDate };

/** Defaults for every optional option (experiences: 0 means "2 per client"). */
export const DEFAULTS = {
  seed: 7,
  eventsPerDay: 400,
  clients: 6,
  customersPerClient: 200,
  experiences: 0,
  gzip: true,
  gzipLevel: 1,
  mixCompression: false,
  filesPerHour: 2,
  duplicateRate: 0.03,
  lateRate: 0.02,
  maxLateHours: 40,
  earlyClockRate: 0.01,
  retryRate: 0.05,
  deliveryRate: 0.75,
  beyondLookbackRate: 0.002,
  orphanRate: 0.005,
  malformedRate: 0.002,
  blankLineRate: 0.001,
  clean: false,
  idShape: 'short' as IdShape,
  extraNested: false,
  compactJson: false,
} as const;

export const MAX_DAYS = 3660;

/** An option the generator cannot use; the message names it and the accepted values. */
export class GenerateOptionsError extends Error {
  override name = 'GenerateOptionsError';
}

const RATE_KEYS = [
  'duplicateRate',
  'lateRate',
  'earlyClockRate',
  'retryRate',
  'deliveryRate',
  'beyondLookbackRate',
  'orphanRate',
  'malformedRate',
  'blankLineRate',
] as const;

function intIn(name: string, value: number, lo: number, hi: number): number {
  if (!Number.isSafeInteger(value) || value < lo || value > hi) {
    throw new GenerateOptionsError(`${name} must be an integer from ${lo} to ${hi}, got ${String(value)}`);
  }
  return value;
}

function date(name: string, value: string): BusinessDate {
  const parsed = typeof value === 'string' ? parseBusinessDate(value) : null;
  if (!parsed) throw new GenerateOptionsError(`${name} must be a calendar date YYYY-MM-DD, got ${JSON.stringify(value)}`);
  return parsed;
}

/** Fills defaults and validates; throws GenerateOptionsError with a one-line message. */
export function resolveOptions(opts: GenerateOptions): ResolvedOptions {
  if (typeof opts.root !== 'string' || opts.root.trim() === '') throw new GenerateOptionsError('root must be a folder path');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(opts.root)) {
    throw new GenerateOptionsError(`root must be a local folder (the generator does not write to ${opts.root.split('://')[0]}://); generate locally and upload`);
  }
  const from = date('from', opts.from);
  const to = date('to', opts.to);
  if (to < from) throw new GenerateOptionsError(`to (${to}) is before from (${from})`);
  const days = datesBetween(from, to).length;
  if (days > MAX_DAYS) throw new GenerateOptionsError(`from..to spans ${days} days; at most ${MAX_DAYS}`);
  const o = { ...DEFAULTS, ...stripUndefined(opts), from, to } as ResolvedOptions;
  intIn('seed', o.seed, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  intIn('eventsPerDay', o.eventsPerDay, 0, 100_000_000);
  intIn('clients', o.clients, 1, 999);
  intIn('customersPerClient', o.customersPerClient, 1, 99_999_999);
  intIn('experiences', o.experiences, 0, 999);
  intIn('gzipLevel', o.gzipLevel, 1, 9);
  intIn('filesPerHour', o.filesPerHour, 1, 2);
  intIn('maxLateHours', o.maxLateHours, 1, 1000);
  for (const key of RATE_KEYS) {
    const v = o[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) {
      throw new GenerateOptionsError(`${key} must be a number from 0 to 1, got ${String(v)}`);
    }
  }
  if (!ID_SHAPES.includes(o.idShape)) throw new GenerateOptionsError(`idShape must be one of ${ID_SHAPES.join(', ')}, got ${String(o.idShape)}`);
  for (const key of ['gzip', 'mixCompression', 'clean', 'extraNested', 'compactJson'] as const) {
    if (typeof o[key] !== 'boolean') throw new GenerateOptionsError(`${key} must be true or false, got ${String(o[key])}`);
  }
  if (o.experiences === 0) o.experiences = Math.min(999, o.clients * 2);
  return o;
}

function stripUndefined<T extends object>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}
