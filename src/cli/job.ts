/**
 * `npm run job -- <job_name> --date YYYY-MM-DD` (daily jobs) or `--month YYYY-MM` (monthly jobs).
 * Without a period (the container's scheduled form), a daily job takes yesterday in America/New_York
 * and a monthly job the previous month, and logs which.
 */
import { Command } from 'commander';
import { JOBS } from '../../jobs/index.js';
import { ALL_JOBS, isJobName } from '../graph/graph.js';
import { UsageError } from '../errors.js';
import { addDays, businessDateOf, monthOf, ownerOf, previousMonth } from '../time/time.js';
import { cliMain, withServices } from './main.js';
import { print } from './output.js';
import { parseShard, requireDate, requireMonth, parseArgs } from './args.js';
import { runJob } from '../run/run.js';

// The container image has one entrypoint (this file): `certificate …` runs the certificate CLI, as the
// month-close state machine's verify step does (src/graph/stepfunctions.ts, CERTIFICATE_VERIFY_STEP).
const delegated = process.argv[2] === 'certificate';
if (delegated) {
  process.argv.splice(2, 1);
  void import('./certificate.js');
}

if (!delegated) cliMain(async () => {
  const program = new Command('job')
    .argument('<job_name>', `one of: ${ALL_JOBS.join(', ')}`)
    .option('--date <YYYY-MM-DD>', 'business date (daily jobs)')
    .option('--month <YYYY-MM>', 'billing month (monthly jobs)')
    .option('--allow-partial', 'monthly jobs: export a month that is not complete, marked partial')
    .option('--force', 'run even when the inputs did not change')
    .option('--final', 'monthly jobs: mark the exports final (the month close)')
    .option('--fail-on-anomaly', 'fail (exit 4) when the anomaly checks flag a value, instead of warning')
    .option('--route <N>', 'attempted and delivered: route the raw lines of the date\'s arrival hours into N shards by notification_id (hours already routed with the same files are skipped)')
    .option('--hour-ending <instant>', 'with --route: route only the arrival hour that ended last at or before this ISO instant (the hourly schedule passes its time); the date is the one that owns the hour')
    .option('--shard <k/N>', 'ingest and calc: build shard k of N (by notification_id hash; ingest reads the routed lines); publishes nothing')
    .option('--merge-shards <N>', 'ingest and calc: merge the N shards and publish');
  parseArgs(program);
  const [name] = program.args;
  const opts = program.opts<{ date?: string; month?: string; allowPartial?: boolean; force?: boolean; final?: boolean; shard?: string; mergeShards?: string; route?: string; hourEnding?: string; failOnAnomaly?: boolean }>();
  if (!isJobName(name)) throw new UsageError(`unknown job ${JSON.stringify(name)}; the jobs are: ${ALL_JOBS.join(', ')}`);
  const job = JOBS[name];
  if (!job) throw new UsageError(`job ${name} is not implemented yet`);
  const today = businessDateOf(new Date());
  return withServices(async (services, _config, log) => {
    let date: string | undefined;
    let month: string | undefined;
    const shard = parseShard(name, opts.shard, opts.mergeShards, opts.route, opts.hourEnding);
    if (job.period === 'date') {
      if (opts.month) throw new UsageError(`${name} is a daily job: use --date YYYY-MM-DD, not --month`);
      if (shard?.kind === 'route' && shard.hour) {
        // One arrival hour: its owner date is the job's date (the hour is in that date's window).
        if (opts.date !== undefined) throw new UsageError('--hour-ending names the arrival hour, and so its date: leave out --date');
        date = ownerOf(shard.hour);
      } else {
        date = opts.date === undefined ? addDays(today, -1) : requireDate(opts.date, '--date', name);
        if (opts.date === undefined) log.info({ event: 'job.defaulted', date }, `no --date given: processing yesterday in America/New_York, ${date}`);
      }
    } else {
      if (opts.date) throw new UsageError(`${name} is a monthly job: use --month YYYY-MM, not --date`);
      month = opts.month === undefined ? previousMonth(monthOf(today)) : requireMonth(opts.month, '--month', name);
      if (opts.month === undefined) log.info({ event: 'job.defaulted', month }, `no --month given: processing the previous month, ${month}`);
    }
    const result = await runJob(services, job, { date, month, flags: { allowPartial: !!opts.allowPartial, force: !!opts.force, final: opts.final, shard, failOnAnomaly: !!opts.failOnAnomaly } });
    print(`${JSON.stringify(result)}\n`);
    return 0;
  });
});
