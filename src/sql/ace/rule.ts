/**
 * The ACE rule's transforms (README.md beside this file maps SPEC's steps to the files), each behind a
 * typed wrapper: the wrapper takes the named inputs (local Parquet files), runs the file's statements,
 * and returns the SQL of the relations it produced, ready to stage. A missing input is a compile error.
 */
import { Db } from '../../engine/duckdb.js';
import { sqlFile } from '../sql.js';
import { tableSelect } from '../files.js';
import { TABLES, TableDef } from '../../rules/tables.js';

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

/** Step 1 for a merge of N shards: the day's attempts per client, summed over the shards' parts (a notification belongs to one shard). */
export async function mergeAttempts(db: Db, parts: string[]): Promise<Relation> {
  await db.setVariables({ calc_m_att: parts });
  return sqlFile('ace/merge_attempts');
}

/** Steps 2–4 over the month so far: the audit (one row per unit) and the agg (per client and date). */
export interface MonthRelations {
  /** The audit rows (materialised in calc_audit; nothing to bind). */
  audit: Relation;
  /** The agg rows; binds $month, $as_of, $rule_version and $run_id. */
  agg: Relation;
}

/** The month as of an earlier date, to extend (its audit, its agg, and its dates' engagements). */
export interface MonthBase {
  audit: string[];
  agg: string[];
  engagements: string[];
}

/** The partials of the dates after a base (unit_partials.sql): the relations a shard writes for the merge. */
export interface MonthPartials {
  /** calc_unit_parts: one row per unit engaged after the base. */
  units: Relation;
  /** calc_day_parts: one row per client and date engaged after the base. */
  days: Relation;
}

const relation = async (db: Db, name: string, def: TableDef, files: string[], kind: 'TABLE' | 'VIEW') => {
  await db.run(`CREATE OR REPLACE TEMP ${kind} ${name} AS ${tableSelect(def, files)}`);
};

/** Steps 2–4's per-notification work over the engagements of the dates after the base (the base's engagements only tell which notifications it counted). */
export async function unitPartials(db: Db, inputs: { base: Pick<MonthBase, 'engagements'> | null; engagements: string[] }): Promise<MonthPartials> {
  await relation(db, 'calc_eng', TABLES.ace_engagement_daily, inputs.engagements, 'TABLE');
  await relation(db, 'calc_earlier', TABLES.ace_engagement_daily, inputs.base?.engagements ?? [], 'VIEW');
  await db.run(sqlFile('ace/unit_partials'));
  return { units: 'SELECT * FROM calc_unit_parts', days: 'SELECT * FROM calc_day_parts' };
}

/**
 * The month as of `asOf`: the base (or nothing) plus the dates after it, from their engagements and
 * attempts (a single task) or from the partials N shards wrote of them (a merge: unit-sized, never
 * events). A full recompute and the incremental one (the month as of D − 1 plus day D) run the same
 * statements; only their inputs differ.
 */
export async function monthUnits(
  db: Db,
  inputs: { base: MonthBase | null; attempts: string[] } & ({ engagements: string[] } | { partials: { units: string[]; days: string[] } }),
  params: { month: string; asOf: string; ruleVersion: string; runId: string },
): Promise<MonthRelations> {
  if ('partials' in inputs) {
    await db.setVariables({ calc_p_units: inputs.partials.units, calc_p_days: inputs.partials.days });
    // Views: units.sql and agg.sql each read the partials once, straight from the shards' files.
    await db.run(`CREATE OR REPLACE TEMP VIEW calc_unit_parts AS SELECT * FROM read_parquet(getvariable('calc_p_units'), hive_partitioning = false)`);
    await db.run(`CREATE OR REPLACE TEMP VIEW calc_day_parts AS SELECT * FROM read_parquet(getvariable('calc_p_days'), hive_partitioning = false)`);
  } else await unitPartials(db, inputs);
  await relation(db, 'calc_att', TABLES.ace_attempt_daily, inputs.attempts, 'TABLE');
  await relation(db, 'calc_base_audit', TABLES.ace_unit_audit, inputs.base?.audit ?? [], 'VIEW');
  await relation(db, 'calc_base_agg', TABLES.ace_unit_agg, inputs.base?.agg ?? [], 'VIEW');
  await db.run(sqlFile('ace/units'));
  const bound = { month: params.month, as_of: params.asOf, rule_version: params.ruleVersion, run_id: params.runId };
  await db.run(sqlFile('ace/audit'), bound);
  return { audit: 'SELECT * FROM calc_audit ORDER BY client_id, customer_id', agg: sqlFile('ace/agg') };
}
