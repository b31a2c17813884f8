/**
 * The ACE rule's transforms (README.md beside this file maps SPEC's steps to the files), each behind a
 * typed wrapper: the wrapper takes the named inputs (local Parquet files), runs the file's statements,
 * and returns the SQL of the relations it produced, ready to stage. A missing input is a compile error.
 */
import { Db } from '../../engine/duckdb.js';
import { sqlFile } from '../sql.js';

/** A query to stage, with the parameters it binds ($run_id, $dt, $month, …). */
export type Relation = string;

/** Step 1, one date E: deliveries attributed to their first attempt in [E − lookback, E]. */
export interface DayRelations {
  /** ace_engagement_daily rows of E. */
  engagements: Relation;
  /** unattributed_deliveries rows of E (never billed). */
  unattributed: Relation;
  /** ace_attempt_daily rows of E. */
  attempts: Relation;
}

export async function engagementDay(
  db: Db,
  inputs: { delivered: string[]; attemptedLookback: string[]; attemptedToday: string[]; shard?: { k: number; n: number } },
): Promise<DayRelations> {
  await db.setVariables({
    calc_delivered_files: inputs.delivered,
    calc_attempted_files: inputs.attemptedLookback,
    calc_attempted_today: inputs.attemptedToday,
    calc_shard_n: String(inputs.shard?.n ?? 1),
    calc_shard_k: String(inputs.shard?.k ?? 0),
  });
  await db.run(sqlFile('ace/engagement_day'));
  return { engagements: sqlFile('ace/engagements'), unattributed: sqlFile('ace/unattributed'), attempts: sqlFile('ace/attempts_day') };
}

/** Step 1 for a merge of N shards: the union of the shards' day relations (notifications never overlap). */
export async function mergeDayShards(db: Db, inputs: { engagements: string[]; unattributed: string[]; attempts: string[] }): Promise<DayRelations> {
  await db.setVariables({ calc_m_eng: inputs.engagements, calc_m_un: inputs.unattributed, calc_m_att: inputs.attempts });
  return { engagements: sqlFile('ace/merge_engagements'), unattributed: sqlFile('ace/merge_unattributed'), attempts: sqlFile('ace/merge_attempts') };
}

/** Steps 2–4 over the month so far: the audit (one row per unit) and the agg (per client and date). */
export interface MonthRelations {
  audit: Relation;
  agg: Relation;
}

/** The month from every day's intermediates. */
export async function monthUnits(db: Db, inputs: { engagements: string[]; attempts: string[] }): Promise<MonthRelations> {
  await db.setVariables({ calc_engagement_files: inputs.engagements, calc_attempt_files: inputs.attempts });
  await db.run(sqlFile('ace/month'));
  return { audit: sqlFile('ace/audit'), agg: sqlFile('ace/agg') };
}

/** The month as of D from the month as of D − 1 and day D's intermediates (no earlier day changed). */
export async function monthUnitsIncremental(
  db: Db,
  inputs: { previousAudit: string[]; previousAgg: string[]; day: string[]; dayAttempts: string[]; earlierEngagements: string[] },
): Promise<MonthRelations> {
  await db.setVariables({
    calc_prev_audit_files: inputs.previousAudit,
    calc_prev_agg_files: inputs.previousAgg,
    calc_day_files: inputs.day,
    calc_day_attempt_files: inputs.dayAttempts,
    calc_earlier_engagement_files: inputs.earlierEngagements,
  });
  await db.run(sqlFile('ace/incremental'));
  return { audit: sqlFile('ace/audit_incremental'), agg: sqlFile('ace/agg_incremental') };
}
