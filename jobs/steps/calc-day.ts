/**
 * The calc's day step (rule step 1) for one date of the month: keep the day's intermediates
 * (ace_engagement_daily, unattributed_deliveries, ace_attempt_daily) when they were built from the
 * current input versions, else rebuild them from the delivered and attempted partitions. A shard
 * builds its share of the notifications as parts; the merge publishes the shards' engagement and
 * unattributed parts of each rebuilt day by one pointer swap per table, never rewriting a row, and
 * sums their attempts (one row per client).
 */
import { Pointer } from '../../src/lake/publish.js';
import { TABLES } from '../../src/rules/tables.js';
import { JobContext } from '../../src/run/context.js';
import { ShardMode } from '../../src/run/job.js';
import { readShardMetas, writeShardParts } from '../../src/run/shards.js';
import { engagementDay, mergeAttempts } from '../../src/sql/ace/rule.js';
import { CalcDay } from './calc-inputs.js';

/** An intermediate: staged by this run (local files), or lake files (a current version, or this shard's part), fetched only when read. */
export type Intermediate = { staged: string[] } | { current: Pick<Pointer, 'files'> } | null;

/** The day's intermediates after the step. */
export interface DayResult {
  fingerprint: string;
  engagements: Intermediate;
  attempts: Intermediate;
  unattributedRows: number;
  rebuilt: boolean;
}

const DAY_PARTS = ['engagements', 'unattributed', 'attempts'] as const;

/** The local files of intermediates, downloading only those not staged by this run. */
export async function filesOf(ctx: JobContext, items: Intermediate[]): Promise<string[]> {
  const out: string[] = [];
  for (const item of items) {
    if (item === null) continue;
    out.push(...('staged' in item ? item.staged : await ctx.fetch(item.current, 'intermediates')));
  }
  return out;
}

/** Part k of a version the merge of N shards published (its files are the shards' parts, in shard order). */
function partOf(p: Pointer, mode: ShardMode): Pick<Pointer, 'files'> {
  return mode.kind === 'shard' && p.meta.shards === mode.n ? { files: [p.files[mode.k]] } : p;
}

export async function calcDay(ctx: JobContext, day: CalcDay): Promise<DayResult> {
  const { date, fingerprint, current } = day;
  const mode = ctx.shard;
  // Shards and their merge keep a day only when the N shards' parts of it are current: each shard reads its own.
  const parted = (p: Pointer | null) => mode.kind === 'single' || p?.meta.shards === mode.n;
  const intact = [current.engagements, current.unattributed, current.attempts].every((p) => p?.fingerprint === fingerprint) && parted(current.engagements) && parted(current.unattributed);
  if (intact) {
    return { fingerprint, engagements: { current: partOf(current.engagements!, mode) }, attempts: { current: partOf(current.attempts!, mode) }, unattributedRows: current.unattributed!.rows, rebuilt: false };
  }
  const params = { run_id: ctx.runId, dt: date };
  if (mode.kind === 'merge') {
    const { metas, keys } = await readShardMetas(ctx, date, mode.n, fingerprint, DAY_PARTS);
    const rows = (part: (typeof DAY_PARTS)[number]) => metas.reduce((a, m) => a + (m.rows[part] ?? 0), 0);
    const extra = { fingerprint, meta: { inputs: JSON.parse(fingerprint) as unknown, shards: mode.n } };
    ctx.stageParts(TABLES.ace_engagement_daily, date, keys.engagements, rows('engagements'), extra);
    ctx.stageParts(TABLES.unattributed_deliveries, date, keys.unattributed, rows('unattributed'), extra);
    // The attempts are one row per client: summed over the shards' parts, not published as parts.
    const a = await ctx.stage(TABLES.ace_attempt_daily, date, await mergeAttempts(ctx.db, await ctx.fetch({ files: keys.attempts }, `day-${date}`)), params, { fingerprint, meta: extra.meta });
    return { fingerprint, engagements: null, attempts: { staged: a.files }, unattributedRows: rows('unattributed'), rebuilt: true };
  }
  // A shard reads only its own part of a partition its ingest shards wrote (same N): the same split.
  const mine = (p: Pointer | null) => (p === null ? null : partOf(p, mode));
  const before = day.attempted.slice(0, -1).map((a) => mine(a.pointer));
  const [delivered, attemptedToday, attemptedBefore] = await Promise.all([
    ctx.fetch(mine(day.delivered)!, `day-${date}`),
    ctx.fetch(mine(day.attempted[day.attempted.length - 1].pointer)!, `day-${date}`),
    ctx.fetch(before, `day-${date}`),
  ]);
  const attemptedLookback = [...attemptedBefore, ...attemptedToday];
  const relations = await engagementDay(ctx.db, { delivered, attemptedLookback, attemptedToday, shard: mode.kind === 'shard' ? mode : undefined });
  if (mode.kind === 'shard') {
    const { keys } = await writeShardParts(ctx, date, mode, fingerprint, { ...relations }, params);
    return { fingerprint, engagements: { current: { files: [keys.engagements] } }, attempts: { current: { files: [keys.attempts] } }, unattributedRows: 0, rebuilt: true };
  }
  const extra = { fingerprint, meta: { inputs: JSON.parse(fingerprint) as unknown } };
  const e = await ctx.stage(TABLES.ace_engagement_daily, date, relations.engagements, params, extra);
  const u = await ctx.stage(TABLES.unattributed_deliveries, date, relations.unattributed, params, extra);
  const a = await ctx.stage(TABLES.ace_attempt_daily, date, relations.attempts, params, extra);
  return { fingerprint, engagements: { staged: e.files }, attempts: { staged: a.files }, unattributedRows: u.rows, rebuilt: true };
}
