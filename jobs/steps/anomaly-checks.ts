/**
 * Anomaly checks, I/O: the history of the watched metrics is read from what the jobs already keep (no
 * table of its own): per stream and date the counts in the current ingest partition's pointer; per
 * client and date the rows of `ace_unit_agg`; per date the unattributed share from
 * `unattributed_deliveries` and the agg. The jobs call `checkAnomalies` with their fresh values; a flag
 * becomes a warning (run summary, ledger), an SNS alert when ACE_ALERTS_TOPIC_ARN is set, or with
 * --fail-on-anomaly the job's failure (exit 4).
 */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { BadInputError } from '../../src/errors.js';
import { readPointer } from '../../src/lake/publish.js';
import { TABLES } from '../../src/rules/tables.js';
import { BillingMonth, BusinessDate, addDays, datesBetween, monthOf, windowClosesAt } from '../../src/time/time.js';
import type { JobContext } from '../../src/run/context.js';
import { Anomaly, LAST_DAYS, Series, WEEKDAY_WEEKS, describeAnomaly, detect } from '../../src/rules/anomaly.js';

/** How far back the history of a date reaches: the longer of its two bases. */
export const HISTORY_DAYS = Math.max(WEEKDAY_WEEKS * 7, LAST_DAYS);

const STREAM_TABLES = { notification_attempted: TABLES.notification_attempted, notification_delivered: TABLES.notification_delivered } as const;
export type WatchedStream = keyof typeof STREAM_TABLES;
export const isWatchedStream = (stream: string): stream is WatchedStream => stream in STREAM_TABLES;
/**
 * Metric ← ingest count. Lines and rejects are those of the hours the date owns (each line once, and
 * complete as soon as the date has ended); kept, duplicates and too_late as the run counted them.
 */
const STREAM_METRICS = { lines_read: 'owned_nonblank', kept: 'kept', rejected: 'owned_rejected', duplicates: 'duplicates', too_late: 'too_late' } as const;
const CLIENT_METRICS = { attempted: 'attempted_notifications', delivered: 'delivered_notifications', engaged: 'engaged_customers' } as const;
/** The unattributed share's smallest MAD: half a percentage point. */
const SHARE_FLOOR = 0.005;

/** Per stream and date: the counts recorded in each date's current partition (and `fresh` for this run's date). */
export async function streamSeries(ctx: JobContext, stream: WatchedStream, from: BusinessDate, to: BusinessDate, fresh?: { date: string; counts: Record<string, number> }): Promise<Series[]> {
  const series = Object.entries(STREAM_METRICS).map(([metric, count]) => ({ scope: 'stream' as const, subject: stream, metric, count, kind: 'count' as const, floor: 0, values: new Map<string, number>() }));
  // A date whose window is still open has partial counts: it is neither judged nor history (its last run, after the close, is).
  const now = ctx.config.now();
  const dates = datesBetween(from, to).filter((date) => windowClosesAt(date, ctx.config.latenessHours) <= now);
  // The pointers are small objects: read them side by side (on S3 each is a round trip).
  const all = await Promise.all(
    dates.map(async (date) => (date === fresh?.date ? fresh.counts : ((await readPointer(ctx.store, STREAM_TABLES[stream], date))?.meta.counts as Record<string, number> | undefined))),
  );
  for (const [i, counts] of all.entries()) {
    if (!counts) continue;
    for (const s of series) if (typeof counts[s.count] === 'number') s.values.set(dates[i], counts[s.count]);
  }
  return series.map(({ count: _count, ...s }) => s);
}

/**
 * Per client and date (attempted, delivered, engaged) and per date (unattributed share), from the agg of
 * every month the range touches; `fresh` replaces the current partition of one month (the calc's own).
 * A client's series starts on its first date with a row; after it a date without a row is 0.
 */
export async function clientSeries(
  ctx: JobContext,
  from: BusinessDate,
  to: BusinessDate,
  fresh?: { month: string; aggFiles: string[]; unattributed: Record<string, number> },
): Promise<Series[]> {
  const months = [...new Set(datesBetween(from, to).map((d) => monthOf(d)))];
  const files: string[] = [];
  let known: string[] = [];
  for (const m of months) {
    if (m === fresh?.month) {
      files.push(...fresh.aggFiles);
    } else {
      const p = await readPointer(ctx.store, TABLES.ace_unit_agg, m as BillingMonth);
      if (p) files.push(...(await ctx.fetch(p, 'anomaly-history')));
    }
  }
  const rows =
    files.length === 0
      ? []
      : await (async () => {
          await ctx.db.setVariables({ anomaly_agg_files: files });
          return ctx.db.all<{ client_id: string; date: string; attempted_notifications: number; delivered_notifications: number; engaged_customers: number; as_of_date: string }>(
            `SELECT client_id, strftime(date, '%Y-%m-%d') AS date, attempted_notifications, delivered_notifications, engaged_customers, strftime(as_of_date, '%Y-%m-%d') AS as_of_date
             FROM read_parquet(getvariable('anomaly_agg_files')) WHERE date BETWEEN $from::DATE AND $to::DATE ORDER BY date`,
            { from, to },
          );
        })();
  // The dates the agg covers: each month's dates up to its as_of_date.
  const asOfByMonth = new Map<string, string>();
  for (const r of rows) asOfByMonth.set(r.date.slice(0, 7), r.as_of_date);
  known = datesBetween(from, to).filter((d) => {
    const asOf = asOfByMonth.get(d.slice(0, 7));
    return asOf !== undefined && d <= asOf;
  });
  const byClient = new Map<string, Map<string, (typeof rows)[number]>>();
  for (const r of rows) {
    if (!byClient.has(r.client_id)) byClient.set(r.client_id, new Map());
    byClient.get(r.client_id)!.set(r.date, r);
  }
  const out: Series[] = [];
  for (const [client, days] of [...byClient.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const firstSeen = [...days.keys()].sort()[0];
    for (const [metric, column] of Object.entries(CLIENT_METRICS)) {
      const values = new Map<string, number>();
      for (const d of known) if (d >= firstSeen) values.set(d, Number(days.get(d)?.[column] ?? 0));
      out.push({ scope: 'client', subject: client, metric, kind: 'count', floor: 0, values });
    }
  }
  const share = new Map<string, number>();
  const unattributedRows = await Promise.all(
    known.map(async (d) => (fresh?.month === d.slice(0, 7) && d in fresh.unattributed ? fresh.unattributed[d] : (await readPointer(ctx.store, TABLES.unattributed_deliveries, d))?.rows)),
  );
  for (const [i, d] of known.entries()) {
    const unattributed = unattributedRows[i];
    if (unattributed === undefined) continue;
    const delivered = [...byClient.values()].reduce((a, days) => a + Number(days.get(d)?.delivered_notifications ?? 0), 0);
    share.set(d, delivered + unattributed === 0 ? 0 : unattributed / (delivered + unattributed));
  }
  out.push({ scope: 'day', subject: 'all', metric: 'unattributed_share', kind: 'share', floor: SHARE_FLOOR, values: share });
  return out;
}

/** The first date whose band can reach back over HISTORY_DAYS. */
export const historyStart = (date: BusinessDate): BusinessDate => addDays(date, -HISTORY_DAYS);

/**
 * Judges `dates` against their history: each flag is a warning (run summary and ledger), all of them
 * one SNS alert when ACE_ALERTS_TOPIC_ARN is set; with --fail-on-anomaly the job fails instead (exit 4).
 */
export async function checkAnomalies(ctx: JobContext, series: Series[], dates: string[], sns: Pick<SNSClient, 'send'> | null = null): Promise<Anomaly[]> {
  const k = ctx.config.anomalyK;
  const flags = detect(series, dates, k);
  const lines = flags.map((a) => describeAnomaly(a, k));
  if (flags.length > 0 && ctx.flags.failOnAnomaly) {
    throw new BadInputError(`${flags.length} anomal${flags.length === 1 ? 'y' : 'ies'} (--fail-on-anomaly): ${lines.join('; ')}. Look at the named date's raw files and runs (npm run certificate, npm run query "select * from runs"); rerun without --fail-on-anomaly to accept them`, { job: ctx.job });
  }
  for (const [i, line] of lines.entries()) ctx.warn(line, { event_kind: 'anomaly', anomaly: flags[i] });
  const topic = ctx.config.alertsTopicArn;
  if (flags.length > 0 && topic) {
    const client = sns ?? new SNSClient({});
    const period = ctx.periodValue;
    try {
      await client.send(
        new PublishCommand({
          TopicArn: topic,
          Subject: `ace-unit: ${flags.length} anomal${flags.length === 1 ? 'y' : 'ies'} in ${ctx.job} ${period}`.slice(0, 100),
          Message: [`${ctx.job} ${period} (run ${ctx.runId}) flagged ${flags.length} value(s) outside median ± ${k}·MAD of their history:`, ...lines].join('\n'),
        }),
      );
    } catch (err) {
      // The flags stand in the run summary and the ledger; a lost alert must not fail a correct run.
      ctx.warn(`could not publish the anomaly alert to ${topic} (${(err as Error).message}); the anomalies are in this run's summary and the ledger`);
    }
  }
  return flags;
}

/** The month's flags, for the monthly manifests' `anomalies`: every date of M up to `asOf`, every metric. */
export async function monthAnomalies(ctx: JobContext, month: BillingMonth, asOf: BusinessDate): Promise<Anomaly[]> {
  const first = `${month}-01` as BusinessDate;
  const from = historyStart(first);
  const series = [
    ...(await streamSeries(ctx, 'notification_attempted', from, asOf)),
    ...(await streamSeries(ctx, 'notification_delivered', from, asOf)),
    ...(await clientSeries(ctx, from, asOf)),
  ];
  return checkAnomalies(ctx, series, datesBetween(first, asOf));
}
