/** argv of `npm run bench`: pure, so it is testable without running anything. */
import { BusinessDate, parseBusinessDate } from '../src/time/time.js';
import { ID_SHAPES, IdShape } from '../src/gen/options.js';

/** The read window of the benchmarked date: `steady` (D−3 … D+2 generated, ~1/3 of the window kept) or `all-kept` (only D generated). */
export const WINDOWS = ['steady', 'all-kept'] as const;
export type WindowShape = (typeof WINDOWS)[number];

/** Generator shapes the ingest jobs are also timed on: an id shape, or `nested` / `compact` lines with the default ids. */
export const SHAPES = [...ID_SHAPES, 'nested', 'compact'] as const;
export type Shape = (typeof SHAPES)[number];

export function shapeOptions(shape: Shape): { idShape: IdShape; extraNested: boolean; compactJson: boolean } {
  return {
    idShape: (ID_SHAPES as readonly string[]).includes(shape) ? (shape as IdShape) : 'short',
    extraNested: shape === 'nested',
    compactJson: shape === 'compact',
  };
}

export interface BenchArgs {
  /** Attempted notifications per day; several sizes (comma list) run one after the other, each in its own lake. */
  events: number[];
  /** Business dates ingested in the main lake, from --date on (the first one is benchmarked). */
  days: number;
  /** First benchmarked business date; a 1st of a month, so its calc is "day 1". */
  date: BusinessDate;
  /** Also time the plain-Node baseline of notification_attempted_daily. */
  naive: boolean;
  /** Keep the temp lakes (their paths are printed). */
  keep: boolean;
  /** Events per day of the month lake (calc day 1 vs last day, monthly exports); 0 skips the month part. */
  monthEvents: number;
  /** Runs per measurement; the median time (and the largest RSS) is reported. */
  repeat: number;
  seed: number;
  /** Customers per client; default max(200, events / 20), so the audit has a realistic number of units. */
  customersPerClient: number | null;
  /** Parent folder of the temp lakes (default: the OS temp folder). */
  tmp: string | null;
  /** Ingest the attribution lookback dates' attempts first (setup), so the calc on the date joins its real 4 days. */
  lookback: boolean;
  /** Runs of each floor (median); floors are short and noisy, so 3 by default. */
  floorRepeat: number;
  /** Read windows benchmarked in full (jobs, calc, graph), each in its own lake. Default steady. */
  windows: WindowShape[];
  /** Generator shapes on which the floors and the two ingest jobs are also timed (first window's lake shape). */
  shapes: Shape[];
  /** Also time the two ingest jobs on an S3 lake served by fauxqs (the tests' S3-API server), per window. */
  s3: boolean;
  /** Also run the day as S shards (route, shards, merge: attempted, delivered and the calc), one process each; 0: no. */
  scaleOut: number;
  /** Run the children's TypeScript through tsx instead of compiling it first (the image runs compiled JavaScript). */
  tsx: boolean;
}

export class BenchUsageError extends Error {
  override name = 'BenchUsageError';
}

const USAGE = `usage: npm run bench -- --events N[,N2…] [--days D] [--date YYYY-MM-01] [--naive] [--keep] [--month-events M|0] [--repeat R] [--floor-repeat R] [--no-lookback] [--seed S] [--customers-per-client C] [--tmp DIR] [--window steady,all-kept] [--shapes ${SHAPES.join(',')}] [--s3] [--scale-out S] [--tsx]`;

function count(flag: string, text: string | undefined, min: number): number {
  if (text === undefined || !/^\d+(_\d{3})*$|^\d+(\.\d+)?[kKmM]$/.test(text)) throw new BenchUsageError(`${flag} needs a whole number (e.g. 1000000, 1M, 300k), got ${JSON.stringify(text)}. ${USAGE}`);
  const m = /^(\d+(?:\.\d+)?)([kKmM])$/.exec(text);
  const n = m ? Math.round(Number(m[1]) * (m[2].toLowerCase() === 'k' ? 1e3 : 1e6)) : Number(text.replace(/_/g, ''));
  if (!Number.isSafeInteger(n) || n < min) throw new BenchUsageError(`${flag} must be at least ${min}, got ${text}`);
  return n;
}

function list<T extends string>(flag: string, text: string | undefined, allowed: readonly T[]): T[] {
  const items = (text ?? '').split(',').map((x) => x.trim()).filter(Boolean);
  const bad = items.find((x) => !(allowed as readonly string[]).includes(x));
  if (items.length === 0 || bad !== undefined) throw new BenchUsageError(`${flag} takes a comma list of ${allowed.join(', ')}, got ${JSON.stringify(text)}`);
  return [...new Set(items)] as T[];
}

export function parseBenchArgs(argv: string[]): BenchArgs {
  const a: BenchArgs = {
    events: [], days: 1, date: '2026-04-01' as BusinessDate, naive: false, keep: false,
    monthEvents: 300_000, repeat: 1, seed: 7, customersPerClient: null, tmp: null, lookback: true, floorRepeat: 3,
    windows: ['steady'], shapes: [], s3: false, scaleOut: 0, tsx: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const [name, inline] = flag.includes('=') ? [flag.slice(0, flag.indexOf('=')), flag.slice(flag.indexOf('=') + 1)] : [flag, undefined];
    const value = () => inline ?? argv[++i];
    switch (name) {
      case '--events': {
        const v = value();
        a.events = (v ?? '').split(',').map((x) => count('--events', x.trim(), 1));
        break;
      }
      case '--days': a.days = count('--days', value(), 1); break;
      case '--date': {
        const v = value();
        const d = v === undefined ? null : parseBusinessDate(v);
        if (!d || !d.endsWith('-01')) throw new BenchUsageError(`--date must be the first day of a month (YYYY-MM-01), got ${JSON.stringify(v)}`);
        a.date = d;
        break;
      }
      case '--naive': a.naive = true; break;
      case '--keep': a.keep = true; break;
      case '--no-lookback': a.lookback = false; break;
      case '--floor-repeat': a.floorRepeat = count('--floor-repeat', value(), 1); break;
      case '--month-events': a.monthEvents = count('--month-events', value(), 0); break;
      case '--repeat': a.repeat = count('--repeat', value(), 1); break;
      case '--seed': a.seed = count('--seed', value(), 0); break;
      case '--customers-per-client': a.customersPerClient = count('--customers-per-client', value(), 1); break;
      case '--tmp': {
        const v = value();
        if (!v) throw new BenchUsageError(`--tmp needs a folder. ${USAGE}`);
        a.tmp = v;
        break;
      }
      case '--window': case '--windows': a.windows = list(name, value(), WINDOWS); break;
      case '--shapes': case '--shape': a.shapes = list(name, value(), SHAPES); break;
      case '--s3': a.s3 = true; break;
      case '--scale-out': a.scaleOut = count('--scale-out', value(), 2); break;
      case '--tsx': a.tsx = true; break;
      case '--help': case '-h': throw new BenchUsageError(USAGE);
      default: throw new BenchUsageError(`unknown argument ${JSON.stringify(flag)}. ${USAGE}`);
    }
  }
  if (a.events.length === 0) throw new BenchUsageError(`--events is required. ${USAGE}`);
  return a;
}
