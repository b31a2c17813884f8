/**
 * `npm run pipeline -- daily --date D | daily --from A --to B | daily | monthly --month M`.
 * A backfill runs date by date in order and stops at the first failure, naming the job and date;
 * the same command run again resumes after the dates it already completed. Jobs of a graph run one at
 * a time unless `--parallel N` (src/graph/runner.ts). At a terminal: a line per job, a progress line and a
 * summary; the JSON log goes to the lake's `_logs/` and, piped or with `--verbose`, to stderr (src/cli/terminal.ts).
 */
import { Command } from 'commander';
import { UsageError } from '../errors.js';
import { DAILY_GRAPH, MONTHLY_GRAPH } from '../graph/graph.js';
import { runGraph } from '../graph/runner.js';
import { DAILY_STATE_KEY, dailyRunState, parseDailyRunState, scheduledDates } from '../graph/schedule.js';
import { JobResult } from '../run/job.js';
import { BusinessDate, datesBetween } from '../time/time.js';
import { cliMain, withServices } from './main.js';
import { print } from './output.js';
import { requireDate, requireMonth, parseArgs, parseParallel } from './args.js';
import { RunConsole } from './terminal.js';
import { restateMonth } from '../ops/restate.js';
import { readState } from '../lake/json.js';
import { ObjectStore } from '../lake/objectStore.js';
import { Logger } from '../log.js';
import { reportAfterExports } from '../ops/report.js';

/** The dates a backfill already completed; an unreadable progress record is ignored with a warning naming it (the dates rerun, as up to date). */
async function backfillProgress(store: ObjectStore, key: string, log: Logger): Promise<string[]> {
  const state = await readState<{ completed?: unknown }>(store, key, (message) => log.warn({ event: 'state.unreadable' }, message));
  return Array.isArray(state?.completed) ? state.completed.filter((d): d is string => typeof d === 'string') : [];
}

/** A machine gets the results as JSON lines on stdout; a person saw a line per job and the summary (src/cli/terminal.ts). */
function report(results: JobResult[], json: boolean): void {
  if (json) for (const r of results) print(`${JSON.stringify(r)}\n`);
}

cliMain(async () => {
  const program = new Command('pipeline')
    .argument('<graph>', 'daily, monthly or restate')
    .option('--date <YYYY-MM-DD>', 'one business date (daily)')
    .option('--from <YYYY-MM-DD>', 'first date of a backfill (daily)')
    .option('--to <YYYY-MM-DD>', 'last date of a backfill (daily)')
    .option('--month <YYYY-MM>', 'billing month (monthly)')
    .option('--allow-partial', 'monthly: export a month that is not complete, marked partial')
    .option('--restart', 'backfill: start again from --from instead of resuming')
    .option('--force', 'rerun jobs even when their inputs did not change')
    .option('--final', 'monthly/restate: mark the exports final (the month close)')
    .option('--fail-on-anomaly', 'fail a job (exit 4) whose anomaly checks flag a value, instead of warning')
    .option('--parallel <n>', 'jobs of a graph run at once (default 1: they share one DuckDB that already uses every core)')
    .option('--verbose', 'at a terminal, also print the detailed log lines (they always go to the lake\'s _logs/)');
  parseArgs(program);
  const [graph] = program.args;
  const o = program.opts<{ date?: string; from?: string; to?: string; month?: string; allowPartial?: boolean; restart?: boolean; force?: boolean; final?: boolean; parallel?: string; verbose?: boolean; failOnAnomaly?: boolean }>();
  const flags = { force: !!o.force, failOnAnomaly: !!o.failOnAnomaly };
  const term = new RunConsole({ command: 'pipeline', argv: process.argv.slice(2), verbose: !!o.verbose });
  const run = { parallel: parseParallel(o.parallel), onEvent: term.onEvent };
  const perDate = DAILY_GRAPH.nodes.length;
  return withServices(async (services, config, log) => {
    const json = config.logFormat === 'json';
    const all: JobResult[] = [];
    if (graph === 'restate') {
      const month = requireMonth(o.month, '--month', 'pipeline restate');
      all.push(...(await restateMonth(services, month, { final: !!o.final, allowPartial: !!o.allowPartial }, run)));
      report(all, json);
      const page = await reportAfterExports(services, month); // the month's report beside the exports (src/ops/report.ts)
      if (!json) print(`Report: ${page.location}\n`);
      return 0;
    }
    if (graph === 'monthly') {
      const month = requireMonth(o.month, '--month', 'pipeline monthly');
      term.plan(MONTHLY_GRAPH.nodes.length);
      all.push(...(await runGraph(services, MONTHLY_GRAPH, { month, flags: { allowPartial: !!o.allowPartial, final: o.final, force: !!o.force, failOnAnomaly: !!o.failOnAnomaly } }, run)));
      report(all, json);
      const page = await reportAfterExports(services, month); // the month's report beside the exports (src/ops/report.ts)
      if (!json) print(`Report: ${page.location}\n`);
      return 0;
    }
    if (graph !== 'daily') throw new UsageError(`unknown graph ${JSON.stringify(graph)}: use daily, monthly or restate`);

    let dates: BusinessDate[];
    let stateKey: string | null = null;
    if (o.date) {
      if (o.from || o.to) throw new UsageError('use either --date or --from/--to, not both');
      dates = [requireDate(o.date, '--date', 'pipeline daily')];
    } else if (o.from || o.to) {
      const from = requireDate(o.from, '--from', 'pipeline daily');
      const to = requireDate(o.to, '--to', 'pipeline daily');
      if (to < from) throw new UsageError(`--to ${to} is before --from ${from}`);
      dates = datesBetween(from, to);
      stateKey = `_state/backfill/${from}_${to}.json`;
      const done = o.restart ? [] : await backfillProgress(services.store, stateKey, log);
      if (done.length > 0) {
        log.info({ event: 'backfill.resumed', completed: done.length }, `resuming: ${done.length} date(s) already completed by an earlier run (--restart to redo them)`);
        dates = dates.filter((d) => !done.includes(d));
      }
    } else {
      // Every date after the last successful scheduled run's closed_through (src/graph/schedule.ts).
      const now = config.now();
      const last = parseDailyRunState(await services.store.readText(DAILY_STATE_KEY), config.latenessHours, (message) => log.warn({ event: 'state.unreadable' }, message));
      dates = scheduledDates(now, config.latenessHours, last);
      log.info({ event: 'schedule.dates', dates: dates.join(','), after: last?.closed_through ?? null }, `scheduled run: ${dates.join(', ') || 'no date'}${last ? ` (every date after ${last.closed_through}, the last successful run's closed windows)` : ''}`);
      term.plan(dates.length * perDate);
      for (const date of dates) {
        all.push(...(await runGraph(services, DAILY_GRAPH, { date, flags }, run)));
        await term.checkpoint();
      }
      // Only after every date succeeded: a failed run leaves the state, so the next run redoes its dates.
      await services.store.writeText(DAILY_STATE_KEY, `${JSON.stringify(dailyRunState(now, config.latenessHours, dates))}\n`);
      report(all, json);
      return 0;
    }

    const completed = stateKey ? await backfillProgress(services.store, stateKey, log) : [];
    term.plan(dates.length * perDate);
    for (const date of dates) {
      try {
        all.push(...(await runGraph(services, DAILY_GRAPH, { date, flags }, run)));
      } catch (err) {
        if (stateKey) throw Object.assign(err as Error, { message: `${(err as Error).message} (backfill stopped at ${date}; run the same command again to resume)` });
        throw err;
      }
      if (stateKey) {
        completed.push(date);
        await services.store.writeText(stateKey, JSON.stringify({ completed }));
      }
      await term.checkpoint();
    }
    report(all, json);
    return 0;
  }, term);
});
