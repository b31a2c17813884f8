/**
 * ace_unit_calc_daily --date D: the ACE rule (src/sql/ace/README.md) for the month of D up to D.
 * 1. Every date of [M-01, D] needs notification_delivered and notification_attempted: a missing one
 *    fails the run, naming them; missing lookback dates before M-01 only warn.
 * 2. Day step (steps/calc-day.ts): each date's intermediates, rebuilt only when their inputs changed.
 * 3. Month step (steps/calc-month.ts): the month's audit and agg from those intermediates.
 */
import { MissingInputError } from '../src/errors.js';
import { TABLES } from '../src/rules/tables.js';
import { defineJob, Period } from '../src/run/job.js';
import { BusinessDate, monthOf } from '../src/time/time.js';
import { CalcInputs, calcInputs } from './steps/calc-inputs.js';
import { DayResult, calcDay } from './steps/calc-day.js';
import { calcMonth } from './steps/calc-month.js';
import { checkAnomalies, clientSeries, historyStart } from './steps/anomaly-checks.js';

const asOfDate = (p: Period) => (p.kind === 'date' ? p.date : (`${p.month}-01` as BusinessDate));

export const aceUnitCalcDaily = defineJob<CalcInputs>({
  name: 'ace_unit_calc_daily',
  period: 'date',
  description: 'Recompute the ACE units (audit + agg) of the month of D up to D from per-day engagements',
  outputs: [TABLES.ace_engagement_daily, TABLES.unattributed_deliveries, TABLES.ace_attempt_daily, TABLES.ace_unit_audit, TABLES.ace_unit_agg],
  shardable: true,
  marker: (p) => ({ table: TABLES.ace_unit_agg, value: monthOf(asOfDate(p)) }),
  upToDate: (agg) => ({ rows: Number(agg.meta.ace_units ?? agg.rows), details: { billing_month: agg.partitionValue, as_of_date: agg.meta.as_of_date } }),
  // Every calc of a month rewrites the same audit and agg partitions: they share one lock.
  lockScope: (p) => monthOf(asOfDate(p)),
  inputs: (services, p) => calcInputs(services.store, asOfDate(p), services.config.attributionDays),
  async build(ctx, inputs) {
    const { month, asOf, missing, missingLookback } = inputs;
    if (missing.length > 0) {
      throw new MissingInputError(`missing input partitions: ${missing.join(', ')}. Run the ingest jobs for those dates first, e.g. npm run pipeline -- daily --from ${month}-01 --to ${asOf}`, { job: ctx.job, date: asOf });
    }
    if (missingLookback.length > 0) {
      ctx.warn(`lookback partitions notification_attempted dt=${missingLookback.join(', ')} (before ${month}-01) are missing: deliveries early in ${month} may be unattributed`, { missing: missingLookback });
    }
    const days: Record<string, DayResult> = {};
    for (const day of inputs.days) days[day.date] = await calcDay(ctx, day);
    const rebuilt = Object.values(days).filter((d) => d.rebuilt).length;
    // A shard builds its share of the days and the unit partials of its notifications; the merge publishes.
    const monthResult = await calcMonth(ctx, month, asOf, days, inputs.fingerprint);
    if (!monthResult) return { rows: 0, details: { ...ctx.shard, days: inputs.days.length, days_rebuilt: rebuilt } };
    const { audit, agg, incremental } = monthResult;
    const unattributed = Object.fromEntries(Object.entries(days).map(([d, r]) => [d, r.unattributedRows]));
    const totalUnattributed = Object.values(unattributed).reduce((a, b) => a + b, 0);
    ctx.log.info({ event: 'calc.summary', units: audit.rows, agg_rows: agg.rows, days_rebuilt: rebuilt, unattributed: totalUnattributed }, `${month} as of ${asOf}: ${audit.rows} ACE units, ${totalUnattributed} unattributed deliveries, ${rebuilt} day(s) rebuilt`);
    // Anomaly checks (steps/anomaly-checks.ts): each client's day, and the unattributed share, against their history.
    const anomalies = await checkAnomalies(ctx, await clientSeries(ctx, historyStart(asOf), asOf, { month, aggFiles: agg.files, unattributed }), [asOf]);
    return { rows: audit.rows, details: { billing_month: month, as_of_date: asOf, ace_units: audit.rows, agg_rows: agg.rows, days_rebuilt: rebuilt, incremental, unattributed_by_date: unattributed, anomalies } };
  },
});

