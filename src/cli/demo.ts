/**
 * `npm run demo`: generates a month of realistic raw traffic (March 2026, with its DST day) into the
 * lake (ACE_LAKE_ROOT, default ./lake), runs the daily graph for every date of the month, then the
 * monthly graph, and prints where the exports are with a short per-client summary. At a terminal the
 * jobs show as in `pipeline` (src/cli/terminal.ts).
 * Options: --month YYYY-MM, --events-per-day N, --seed N.
 */
import path from 'node:path';
import { Command } from 'commander';
import { generate } from '../gen/generator.js';
import { DAILY_GRAPH, MONTHLY_GRAPH } from '../graph/graph.js';
import { runGraph } from '../graph/runner.js';
import { UsageError } from '../errors.js';
import { addDays, datesBetween, firstDayOf, lastDayOf } from '../time/time.js';
import { cliMain, withServices } from './main.js';
import { print } from './output.js';
import { requireMonth, parseArgs } from './args.js';
import { formatRows } from './format.js';
import { RunConsole } from './terminal.js';
import { readPointer } from '../lake/publish.js';
import { TABLES } from '../rules/tables.js';
import { reportAfterExports } from '../ops/report.js';

cliMain(async () => {
  const program = new Command('demo')
    .option('--month <YYYY-MM>', 'month to generate and bill', '2026-03')
    .option('--events-per-day <n>', 'attempted notifications per day', '400')
    .option('--seed <n>', 'generator seed', '7')
    .option('--verbose', 'at a terminal, also print the detailed log lines (they always go to the lake\'s _logs/)');
  parseArgs(program);
  const o = program.opts<{ month: string; eventsPerDay: string; seed: string; verbose?: boolean }>();
  const month = requireMonth(o.month, '--month', 'demo');
  const eventsPerDay = Number(o.eventsPerDay);
  const seed = Number(o.seed);
  if (!Number.isInteger(eventsPerDay) || eventsPerDay < 1) throw new UsageError('--events-per-day must be a positive whole number');
  if (!Number.isInteger(seed)) throw new UsageError('--seed must be a whole number');
  process.env.ACE_LAKE_ROOT ||= path.resolve('lake');
  if (process.env.ACE_LAKE_ROOT.startsWith('s3://')) throw new UsageError('the demo writes generated data: point ACE_LAKE_ROOT at a local folder');
  const root = path.resolve(process.env.ACE_LAKE_ROOT);
  const first = firstDayOf(month);
  const last = lastDayOf(month);
  process.stderr.write(`Generating ${month} (${eventsPerDay} notifications a day, seed ${seed}) into ${root} …\n`);
  const gen = await generate({ root, seed, from: addDays(first, -3), to: addDays(last, 2), eventsPerDay, clean: true });
  process.stderr.write(`  ${gen.files.total} raw files written\n`);

  const term = new RunConsole({ command: 'demo', argv: process.argv.slice(2), verbose: !!o.verbose });
  return withServices(async (services, config) => {
    const started = Date.now();
    const run = { onEvent: term.onEvent };
    const lookback = datesBetween(addDays(first, -3), addDays(first, -1));
    const days = datesBetween(first, last);
    // The lookback days before the month need only their ingest and lookup jobs (their own month is
    // not billed here); then every date of the month runs the whole daily graph, oldest first.
    const ingestOnly = { ...DAILY_GRAPH, nodes: DAILY_GRAPH.nodes.filter((n) => n.job !== 'ace_unit_calc_daily') };
    term.plan(lookback.length * ingestOnly.nodes.length + days.length * DAILY_GRAPH.nodes.length + MONTHLY_GRAPH.nodes.length);
    const say = (text: string) => {
      if (config.logFormat === 'json') process.stderr.write(text); // a terminal has the progress line instead
    };
    for (const date of lookback) {
      say(`lookback ${date} …\n`);
      await runGraph(services, ingestOnly, { date }, run);
      await term.checkpoint();
    }
    for (const date of days) {
      say(`daily ${date} …\n`);
      await runGraph(services, DAILY_GRAPH, { date }, run);
      await term.checkpoint();
    }
    await runGraph(services, MONTHLY_GRAPH, { month }, run);
    const page = await reportAfterExports(services, month);
    await term.close(); // the summary before the results
    const db = await services.engine.connect();
    try {
      const exportKey = `ace_unit_monthly_output/billing_month=${month}/ace_units_${month}.csv`;
      const financeKey = `ace_unit_monthly_outcome_experience_output/billing_month=${month}/ace_units_by_outcome_experience_${month}.csv`;
      const [exportPath] = await services.exportStore.localPaths([exportKey], root);
      const rows = await db.all(
        `SELECT client_id, client_name, is_billable, ace_units, delivered_notifications, attempted_notifications FROM read_csv($p, header = true, all_varchar = true) ORDER BY client_id`,
        { p: exportPath },
      );
      print(`\nACE units for ${month} (${((Date.now() - started) / 1000).toFixed(1)} s for ${datesBetween(addDays(first, -3), last).length} daily runs and the monthly exports)\n\n`);
      print(formatRows(rows, 'table'));
      print(`\nExports:\n  ${services.exportStore.describe(exportKey)}\n  ${services.exportStore.describe(financeKey)}\n`);
      const env = process.env.ACE_LAKE_ROOT === path.resolve('lake') ? '' : ` (with ACE_LAKE_ROOT=${root})`;
      print(`Explore: npm run query -- "select * from ace_unit_audit limit 10"${env}\n`);
      // A real unit of the month (the first client's first customer), so the command can be pasted as is.
      const auditFiles = (await readPointer(services.store, TABLES.ace_unit_audit, month))?.files ?? [];
      const [unit] = auditFiles.length
        ? await db.all<{ client_id: string; customer_id: string }>(`SELECT client_id, customer_id FROM read_parquet($f) ORDER BY client_id, customer_id LIMIT 1`, { f: await services.store.localPaths(auditFiles, root) })
        : [];
      print(`Report: ${page.location} (open it in a browser; \`npm run report -- --month ${month} --out FILE\` writes a copy)\n`);
      if (unit) print(`Explain one unit, down to its raw lines: npm run explain -- --month ${month} --client ${unit.client_id} --customer ${unit.customer_id}${env}\n`);
    } finally {
      db.close();
    }
    return 0;
  }, term);
});
