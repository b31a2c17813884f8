/**
 * `npm run generate -- --root ./lake --seed 7 --from 2026-03-01 --to 2026-03-31 --events-per-day 400`
 * argv → GenerateOptions → the summary as JSON on stdout. Bad arguments: one line on stderr, exit 2;
 * a failure while writing: one line on stderr, exit 1.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { DEFAULTS, generate, GenerateOptions, GenerateOptionsError, resolveOptions } from '../gen/generator';
import { parseBusinessDate } from '../time/time';
import { guardOutput, print } from './output';

const EXIT_USAGE = 2;
const EXIT_FAILURE = 1;

function integer(text: string): number {
  if (!/^-?\d+$/.test(text.trim())) throw new InvalidArgumentError('expected an integer.');
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError('integer out of range.');
  return n;
}

function rate(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('expected a number from 0 to 1.');
  return n;
}

function date(text: string): string {
  if (!parseBusinessDate(text)) throw new InvalidArgumentError('expected a calendar date YYYY-MM-DD.');
  return text;
}

/** The command definition; `exitOverride` makes commander throw instead of exiting, so main() owns exit codes. */
export function buildCommand(): Command {
  const rates: Array<[string, keyof typeof DEFAULTS, string]> = [
    ['--duplicate-rate <r>', 'duplicateRate', 'share of events re-sent with identical content'],
    ['--late-rate <r>', 'lateRate', 'share of events arriving 1 h to --max-late-hours late'],
    ['--early-clock-rate <r>', 'earlyClockRate', "share of events landing in the previous hour's folder"],
    ['--retry-rate <r>', 'retryRate', 'share of notifications attempted twice'],
    ['--delivery-rate <r>', 'deliveryRate', 'share of notifications delivered'],
    ['--beyond-lookback-rate <r>', 'beyondLookbackRate', 'share of deliveries 4+ days after the attempt'],
    ['--orphan-rate <r>', 'orphanRate', 'orphan receipts per delivery'],
    ['--malformed-rate <r>', 'malformedRate', 'share of broken lines'],
    ['--blank-line-rate <r>', 'blankLineRate', 'blank lines per line'],
  ];
  const cmd = new Command('generate')
    .description('Write deterministic synthetic raw events and a warehouse extract into a local lake folder.')
    .requiredOption('--from <date>', 'first business date (YYYY-MM-DD)', date)
    .requiredOption('--to <date>', 'last business date (YYYY-MM-DD), inclusive', date)
    .option('--root <dir>', 'lake root folder (default: $ACE_LAKE_ROOT or ./lake)')
    .option('--seed <n>', 'PRNG seed', integer, DEFAULTS.seed)
    .option('--events-per-day <n>', 'attempted notifications per day', integer, DEFAULTS.eventsPerDay)
    .option('--clients <n>', 'number of clients', integer, DEFAULTS.clients)
    .option('--customers-per-client <n>', 'customers per client', integer, DEFAULTS.customersPerClient)
    .option('--experiences <n>', 'number of experiences (default: 2 per client)', integer)
    .option('--files-per-hour <n>', 'at most this many files per stream and hour (1 or 2)', integer, DEFAULTS.filesPerHour)
    .option('--no-gzip', 'write plain NDJSON files')
    .option('--gzip-level <n>', 'gzip level 1-9', integer, DEFAULTS.gzipLevel)
    .option('--mix-compression', 'leave about 1 file in 10 uncompressed')
    .option('--max-late-hours <n>', 'latest late arrival, in hours', integer, DEFAULTS.maxLateHours)
    .option('--clean', 'delete the raw stream folders and warehouse CSV under root first')
    .allowExcessArguments(false)
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, writeOut: print });
  for (const [flags, key, help] of rates) cmd.addOption(new Option(flags, help).argParser(rate).default(DEFAULTS[key]));
  return cmd;
}

/** Maps parsed commander options to GenerateOptions. */
export function toOptions(parsed: Record<string, unknown>, env: NodeJS.ProcessEnv): GenerateOptions {
  return {
    root: (parsed.root as string | undefined) ?? env.ACE_LAKE_ROOT ?? './lake',
    seed: parsed.seed as number,
    from: parsed.from as string,
    to: parsed.to as string,
    eventsPerDay: parsed.eventsPerDay as number,
    clients: parsed.clients as number,
    customersPerClient: parsed.customersPerClient as number,
    experiences: parsed.experiences as number | undefined,
    filesPerHour: parsed.filesPerHour as number,
    gzip: parsed.gzip as boolean,
    gzipLevel: parsed.gzipLevel as number,
    mixCompression: Boolean(parsed.mixCompression),
    maxLateHours: parsed.maxLateHours as number,
    clean: Boolean(parsed.clean),
    duplicateRate: parsed.duplicateRate as number,
    lateRate: parsed.lateRate as number,
    earlyClockRate: parsed.earlyClockRate as number,
    retryRate: parsed.retryRate as number,
    deliveryRate: parsed.deliveryRate as number,
    beyondLookbackRate: parsed.beyondLookbackRate as number,
    orphanRate: parsed.orphanRate as number,
    malformedRate: parsed.malformedRate as number,
    blankLineRate: parsed.blankLineRate as number,
  };
}

/** Names options as flags in messages from the API (`filesPerHour must…` → `--files-per-hour must…`). */
function asFlag(message: string): string {
  return message.replace(/^[a-z][A-Za-z]*\b/, (key) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
}

/** Runs the command; returns the process exit code. */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const fail = (code: number, message: string) => {
    process.stderr.write(`generate: ${message.replace(/\s*\n\s*/g, ' ').trim()}\n`);
    return code;
  };
  let options: GenerateOptions;
  try {
    const cmd = buildCommand();
    cmd.parse(argv, { from: 'user' });
    options = toOptions(cmd.opts(), env);
    resolveOptions(options);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return 0;
      return fail(EXIT_USAGE, e.message.replace(/^error: /, ''));
    }
    if (e instanceof GenerateOptionsError) return fail(EXIT_USAGE, asFlag(e.message));
    throw e;
  }
  try {
    const started = performance.now();
    const summary = await generate(options);
    const seconds = (performance.now() - started) / 1000;
    print(`${JSON.stringify(summary, null, 2)}\n`);
    const events = summary.events.notification_attempted + summary.events.notification_delivered;
    process.stderr.write(`generate: ${events} events in ${summary.files.total} files, ${seconds.toFixed(1)} s (${Math.round(events / Math.max(seconds, 1e-3))} events/s)\n`);
    return 0;
  } catch (e) {
    return fail(EXIT_FAILURE, e instanceof Error ? e.message : String(e));
  }
}

if (require.main === module) {
  // Ends by itself (process.exitCode), so stdout drains before the process exits.
  guardOutput();
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`generate: unexpected error: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = EXIT_FAILURE;
    },
  );
}
