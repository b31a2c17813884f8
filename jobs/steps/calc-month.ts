/**
 * The calc's month step (rule steps 2–4): the month's audit and agg as of D, from the days'
 * intermediates, never from raw events. When the month as of D − 1 stands and no earlier day changed,
 * day D is added to it (incremental); otherwise the month is aggregated again from every day. Sharded,
 * each shard aggregates its notifications into unit partials and the merge combines them.
 */
import { Pointer, findVersion, readPointer } from '../../src/lake/publish.js';
import { TABLES } from '../../src/rules/tables.js';
import { RULE_VERSION } from '../../src/rules/ace.js';
import { JobContext } from '../../src/run/context.js';
import { StagedPartition } from '../../src/lake/publish.js';
import { MonthRelations, monthUnits, unitPartials } from '../../src/sql/ace/rule.js';
import { readShardMetas, writeShardParts } from '../../src/run/shards.js';
import { BadInputError } from '../../src/errors.js';
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

/** Where the shards of the calc of `asOf` keep their month partials. */
const monthScope = (asOf: BusinessDate) => `month-as-of-${asOf}`;

/**
 * Stages the month's audit, then its agg (the marker, with the calc's fingerprint). A shard writes the
 * partials of its notifications instead (unit-sized) and returns null; the merge combines the N shards'
 * partials, never their events.
 */
export async function calcMonth(ctx: JobContext, month: BillingMonth, asOf: BusinessDate, days: Record<string, DayResult>, fingerprint: string): Promise<MonthResult | null> {
  const mode = ctx.shard;
  const dates = Object.keys(days).sort();
  const previous = await previousMonth(ctx, month, asOf, days);
  // Without a base, every date of the month so far; with one, day D alone.
  const after = previous ? [asOf] : dates;
  const earlier = async () => filesOf(ctx, dates.filter((d) => d < asOf).map((d) => days[d].engagements));
  const params = { month, as_of: asOf, rule_version: RULE_VERSION, run_id: ctx.runId };
  const facts = { month, asOf, ruleVersion: RULE_VERSION, runId: ctx.runId };
  const engagements = async () => filesOf(ctx, after.map((d) => days[d].engagements));
  let relations: MonthRelations;
  if (mode.kind === 'shard') {
    const partials = await unitPartials(ctx.db, { base: previous && { engagements: await earlier() }, engagements: await engagements() });
    await writeShardParts(ctx, monthScope(asOf), mode, fingerprint, { ...partials }, {}, { base: previous?.audit.runId ?? null });
    return null;
  }
  const base = previous && { audit: await ctx.fetch(previous.audit, 'previous'), agg: await ctx.fetch(previous.agg, 'previous') };
  const attempts = await filesOf(ctx, after.map((d) => days[d].attempts));
  if (mode.kind === 'merge') {
    const { metas, keys } = await readShardMetas(ctx, monthScope(asOf), mode.n, fingerprint, ['units', 'days'] as const);
    // Every shard extended the same month (the same base, or none) as the merge does.
    const k = metas.findIndex((m) => (m.details?.base ?? null) !== (previous?.audit.runId ?? null));
    if (k >= 0) {
      throw new BadInputError(`shard ${k}/${mode.n} of ${ctx.job} ${asOf} extended another version of ${month} than the one current now; rerun all ${mode.n} shards, then merge`, { job: ctx.job, date: asOf });
    }
    const partials = { units: await ctx.fetch({ files: keys.units }, 'partials'), days: await ctx.fetch({ files: keys.days }, 'partials') };
    relations = await monthUnits(ctx.db, { base: base && { ...base, engagements: [] }, attempts, partials }, facts);
  } else {
    relations = await monthUnits(ctx.db, { base: base && { ...base, engagements: await earlier() }, attempts, engagements: await engagements() }, facts);
  }
  const dayFingerprints = Object.fromEntries(dates.map((d) => [d, days[d].fingerprint]));
  const meta = { as_of_date: asOf, rule_version: RULE_VERSION, day_fingerprints: dayFingerprints, incremental: previous !== null };
  const audit = await ctx.stage(TABLES.ace_unit_audit, month, relations.audit, {}, { meta });
  // agg is staged last: its pointer carries the fingerprint that makes an identical rerun a no-op.
  const agg = await ctx.stage(TABLES.ace_unit_agg, month, relations.agg, params, { meta: { ...meta, ace_units: audit.rows }, fingerprint });
  return { audit, agg, incremental: previous !== null };
}
