/**
 * The calc's day step (rule step 1) for one date of the month: keep the day's intermediates
 * (ace_engagement_daily, unattributed_deliveries, ace_attempt_daily) when they were built from the
 * current input versions, else rebuild them from the delivered and attempted partitions; a shard builds
 * its share of the notifications, the merge unions the shards' shares.
 */
import { Pointer } from '../../src/lake/publish.js';
import { TABLES } from '../../src/rules/tables.js';
import { JobContext } from '../../src/run/context.js';
import { readShardParts, writeShardParts } from '../../src/run/shards.js';
import { DayRelations, engagementDay, mergeDayShards } from '../../src/sql/ace/rule.js';
import { CalcDay } from './calc-inputs.js';

/** An intermediate: staged by this run (local files), or its current version (fetched only when read). */
export type Intermediate = { staged: string[] } | { current: Pointer } | null;

/** The day's intermediates after the step. */
export interface DayResult {
  fingerprint: string;
  engagements: Intermediate;
  attempts: Intermediate;
  unattributedRows: number;
  rebuilt: boolean;
}

/** The local files of intermediates, downloading only those not staged by this run. */
export async function filesOf(ctx: JobContext, items: Intermediate[]): Promise<string[]> {
  const out: string[] = [];
  for (const item of items) {
    if (item === null) continue;
    out.push(...('staged' in item ? item.staged : await ctx.fetch(item.current, 'intermediates')));
  }
  return out;
}

export async function calcDay(ctx: JobContext, day: CalcDay): Promise<DayResult> {
  const { date, fingerprint, current } = day;
  const mode = ctx.shard;
  const intact = [current.engagements, current.unattributed, current.attempts].every((p) => p?.fingerprint === fingerprint);
  if (mode.kind !== 'shard' && intact) {
    return { fingerprint, engagements: { current: current.engagements! }, attempts: { current: current.attempts! }, unattributedRows: current.unattributed!.rows, rebuilt: false };
  }
  const params = { run_id: ctx.runId, dt: date };
  let relations: DayRelations;
  if (mode.kind === 'merge') {
    relations = await mergeDayShards(ctx.db, await readShardParts(ctx, date, mode.n, fingerprint, ['engagements', 'unattributed', 'attempts'] as const));
  } else {
    // A shard reads only its own part of a partition its ingest shards wrote (same N): the same split.
    const mine = (p: Pointer | null): Pointer | null => (p && mode.kind === 'shard' && p.meta.shards === mode.n ? { ...p, files: [p.files[mode.k]] } : p);
    const before = day.attempted.slice(0, -1).map((a) => mine(a.pointer));
    const [delivered, attemptedToday, attemptedBefore] = await Promise.all([
      ctx.fetch(mine(day.delivered)!, `day-${date}`),
      ctx.fetch(mine(day.attempted[day.attempted.length - 1].pointer)!, `day-${date}`),
      ctx.fetch(before, `day-${date}`),
    ]);
    const attemptedLookback = [...attemptedBefore, ...attemptedToday];
    relations = await engagementDay(ctx.db, { delivered, attemptedLookback, attemptedToday, shard: mode.kind === 'shard' ? mode : undefined });
    if (mode.kind === 'shard') {
      await writeShardParts(ctx, date, mode, fingerprint, { ...relations }, params);
      return { fingerprint, engagements: null, attempts: null, unattributedRows: 0, rebuilt: true };
    }
  }
  const extra = { fingerprint, meta: { inputs: JSON.parse(fingerprint) as unknown } };
  const e = await ctx.stage(TABLES.ace_engagement_daily, date, relations.engagements, params, extra);
  const u = await ctx.stage(TABLES.unattributed_deliveries, date, relations.unattributed, params, extra);
  const a = await ctx.stage(TABLES.ace_attempt_daily, date, relations.attempts, params, extra);
  return { fingerprint, engagements: { staged: e.files }, attempts: { staged: a.files }, unattributedRows: u.rows, rebuilt: true };
}
