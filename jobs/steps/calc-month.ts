/**
 * The calc's month step (rule steps 2–4): the month's audit and agg as of D, from the days'
 * intermediates, never from raw events. When the month as of D − 1 stands and no earlier day changed,
 * day D is added to it (incremental); otherwise the month is aggregated again from every day.
 */
import { Pointer, findVersion, readPointer } from '../../src/lake/publish.js';
import { TABLES } from '../../src/rules/tables.js';
import { RULE_VERSION } from '../../src/rules/ace.js';
import { JobContext } from '../../src/run/context.js';
import { StagedPartition } from '../../src/lake/publish.js';
import { monthUnits } from '../../src/sql/ace/rule.js';
import { BillingMonth, BusinessDate, addDays, firstDayOf } from '../../src/time/time.js';
import { DayResult, filesOf } from './calc-day.js';

/**
 * The audit and agg of the month as of D − 1, when they can be extended by day D alone: they exist
 * (the current version, or an earlier one still in the partition's history: a rerun of D after D
 * already ran), are as of the day before, were published together by one run, and every earlier day's
 * intermediates are still the versions they were built from. Otherwise (first day, a rebuilt earlier
 * day, --force, history collected) null: the month is recomputed.
 */
async function previousMonth(ctx: JobContext, month: BillingMonth, asOf: BusinessDate, days: Record<string, DayResult>): Promise<{ audit: Pointer; agg: Pointer } | null> {
  if (ctx.flags.force || asOf === firstDayOf(month)) return null;
  const previousDay = addDays(asOf, -1);
  const usable = (p: Pointer) => p.meta.as_of_date === previousDay && p.meta.rule_version === RULE_VERSION;
  const currentAudit = await readPointer(ctx.store, TABLES.ace_unit_audit, month);
  const audit = currentAudit && usable(currentAudit) ? currentAudit : await findVersion(ctx.store, TABLES.ace_unit_audit, month, usable);
  if (!audit) return null;
  const currentAgg = await readPointer(ctx.store, TABLES.ace_unit_agg, month);
  const agg = currentAgg?.runId === audit.runId ? currentAgg : await findVersion(ctx.store, TABLES.ace_unit_agg, month, (p) => p.runId === audit.runId);
  if (!agg) return null;
  const before = (audit.meta.day_fingerprints ?? {}) as Record<string, string>;
  const unchanged = Object.entries(days).every(([d, day]) => d >= asOf || before[d] === day.fingerprint);
  return unchanged ? { audit, agg } : null;
}

export interface MonthResult {
  audit: StagedPartition;
  agg: StagedPartition;
  incremental: boolean;
}

/** Stages the month's audit, then its agg (the marker, with the calc's fingerprint). */
export async function calcMonth(ctx: JobContext, month: BillingMonth, asOf: BusinessDate, days: Record<string, DayResult>, fingerprint: string): Promise<MonthResult> {
  const dates = Object.keys(days).sort();
  const previous = await previousMonth(ctx, month, asOf, days);
  const base = previous && {
    audit: await ctx.fetch(previous.audit, 'previous'),
    agg: await ctx.fetch(previous.agg, 'previous'),
    engagements: await filesOf(ctx, dates.filter((d) => d < asOf).map((d) => days[d].engagements)),
  };
  // Without a base, every date of the month so far; with one, day D alone.
  const after = base ? [asOf] : dates;
  const relations = await monthUnits(
    ctx.db,
    { base, engagements: await filesOf(ctx, after.map((d) => days[d].engagements)), attempts: await filesOf(ctx, after.map((d) => days[d].attempts)) },
    { month, asOf, ruleVersion: RULE_VERSION, runId: ctx.runId },
  );
  const params = { month, as_of: asOf, rule_version: RULE_VERSION, run_id: ctx.runId };
  const dayFingerprints = Object.fromEntries(dates.map((d) => [d, days[d].fingerprint]));
  const meta = { as_of_date: asOf, rule_version: RULE_VERSION, day_fingerprints: dayFingerprints, incremental: previous !== null };
  const audit = await ctx.stage(TABLES.ace_unit_audit, month, relations.audit, {}, { meta });
  // agg is staged last: its pointer carries the fingerprint that makes an identical rerun a no-op.
  const agg = await ctx.stage(TABLES.ace_unit_agg, month, relations.agg, params, { meta: { ...meta, ace_units: audit.rows }, fingerprint });
  return { audit, agg, incremental: previous !== null };
}
