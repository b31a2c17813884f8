/**
 * The shared recipe of the two monthly exports: check the month is complete (or --allow-partial),
 * load the month's audit, agg and the lookups as of the last day, compute both exports' rows,
 * reconcile them per client, and write one CSV plus `_manifest.json` to the export store.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { NotReadyError, ReconciliationError } from '../errors.js';
import { TABLES, TableDef } from '../rules/tables.js';
import { RULE_VERSION } from '../rules/ace.js';
import { sqlFile } from '../sql/sql.js';
import { BillingMonth, lastDayOf } from '../time/time.js';
import { JobContext } from './context.js';
import { JobOutcome } from './job.js';

export interface ExportSpec {
  /** File name stem: `ace_units` or `ace_units_by_outcome_experience`. */
  stem: string;
  /** SQL file giving the CSV rows in order. */
  rowsSql: string;
}

export interface Manifest {
  job: string;
  billing_month: string;
  file: string;
  rows: number;
  total_ace_units: number;
  sha256: string;
  rule_version: string;
  as_of_date: string;
  source_run_ids: Record<string, string | string[]>;
  warnings: string[];
  partial: boolean;
  final: boolean;
  version: number;
  generated_at: string;
  run_id: string;
}

async function snapshotFiles(ctx: JobContext, table: TableDef, lastDay: string): Promise<{ files: string[]; runIds: string[] }> {
  const pointers = (await ctx.pointers(table)).filter((p) => p.partitionValue <= lastDay);
  const files = await ctx.store.localPaths(pointers.flatMap((p) => p.files), path.join(ctx.scratch, table.name));
  return { files, runIds: pointers.map((p) => `${p.partitionValue}:${p.runId}`) };
}

/** Runs one monthly export. */
export async function runExport(ctx: JobContext, spec: ExportSpec): Promise<JobOutcome> {
  const month = ctx.period.month as BillingMonth;
  const lastDay = lastDayOf(month);
  const allowPartial = Boolean(ctx.flags.allowPartial);

  const audit = await ctx.currentFiles(TABLES.ace_unit_audit, month);
  const agg = await ctx.currentFiles(TABLES.ace_unit_agg, month);
  if (!audit || !agg) {
    throw new NotReadyError(`no ace_unit_audit/ace_unit_agg for billing_month=${month}; run the daily pipeline for the month first (npm run pipeline -- daily --from ${month}-01 --to ${lastDay})`, { job: ctx.job, month });
  }
  const asOf = String(audit.pointer.meta.as_of_date ?? '');
  const partial = asOf !== lastDay;
  if (partial && !allowPartial) {
    throw new NotReadyError(`billing month ${month} is not complete: ace_unit_audit is as of ${asOf}, not ${lastDay}. Run ace_unit_calc_daily --date ${lastDay} once its window has closed, or pass --allow-partial for an export marked partial`, { job: ctx.job, month });
  }
  if (partial) ctx.warn(`partial export: ${month} as of ${asOf}`);

  const dim = await snapshotFiles(ctx, TABLES.dim_customer, lastDay);
  const lookup = await snapshotFiles(ctx, TABLES.outcome_experience_lookup, lastDay);
  if (dim.files.length === 0) ctx.warn(`no dim_customer snapshot on or before ${lastDay}: every client is reported as missing`);
  if (lookup.files.length === 0) ctx.warn(`no outcome_experience_lookup snapshot on or before ${lastDay}: every experience is reported as unmapped`);
  const emptyDim = `SELECT NULL::VARCHAR AS client_id, NULL::VARCHAR AS client_name, NULL::VARCHAR AS billing_account_id, NULL::BOOLEAN AS is_test, NULL::TIMESTAMPTZ AS updated_at, NULL::DATE AS snapshot_date WHERE false`;
  await ctx.db.setVariables({
    exp_audit_files: audit.paths,
    exp_agg_files: agg.paths,
    exp_dim_files: dim.files,
    exp_lookup_files: lookup.files,
    exp_month: month,
    exp_rule_version: RULE_VERSION,
  });
  let inputsSql = sqlFile('export_inputs');
  // read_parquet needs at least one file: an empty snapshot list becomes an empty typed relation.
  if (dim.files.length === 0) inputsSql = inputsSql.replace(`read_parquet(getvariable('exp_dim_files'))`, `(${emptyDim})`);
  if (lookup.files.length === 0) {
    inputsSql = inputsSql.replace(
      `read_parquet(getvariable('exp_lookup_files'))`,
      `(SELECT NULL::VARCHAR AS experience_id, NULL::VARCHAR AS experience_name, NULL::VARCHAR AS outcome_id, NULL::VARCHAR AS outcome_name, NULL::TIMESTAMPTZ AS updated_at, NULL::DATE AS snapshot_date, NULL::TIMESTAMPTZ AS arrival_hour, NULL::VARCHAR AS source_file, NULL::BIGINT AS line_number WHERE false)`,
    );
  }
  await ctx.db.run(inputsSql);

  const missing = await ctx.db.all<{ client_id: string }>(`SELECT client_id FROM exp_ace_units WHERE missing_client ORDER BY client_id`);
  if (missing.length > 0) {
    ctx.warn(`clients missing from dim_customer as of ${lastDay}, exported with empty name and account and is_billable=false: ${missing.map((m) => m.client_id).join(', ')}`);
  }
  const unmapped = await ctx.db.all<{ experience_id: string }>(`SELECT DISTINCT experience_id FROM exp_by_outcome WHERE unmapped ORDER BY experience_id`);
  if (unmapped.length > 0) {
    ctx.warn(`experiences missing from outcome_experience_lookup as of ${lastDay}, exported as outcome UNMAPPED: ${unmapped.map((u) => u.experience_id).join(', ')}`);
  }
  const mismatches = await ctx.db.all<{ client_id: string; ace_units: number; by_outcome_units: number }>(`SELECT * FROM exp_reconciliation ORDER BY client_id`);
  if (mismatches.length > 0) {
    throw new ReconciliationError(
      `the two exports of ${month} do not reconcile: ${mismatches.map((m) => `${m.client_id} ${m.ace_units} vs ${m.by_outcome_units}`).join(', ')}; nothing was written. This is a bug: report it with the run id ${ctx.runId}`,
      { job: ctx.job, month },
    );
  }

  const file = `${spec.stem}_${month}.csv`;
  const local = path.join(ctx.scratch, file);
  await ctx.db.run(`COPY (${sqlFile(spec.rowsSql)}) TO $out (FORMAT csv, HEADER true, DELIMITER ',', QUOTE '"', ESCAPE '"', NEW_LINE '\n')`, { out: local });
  const body = fs.readFileSync(local);
  const [{ rows, units }] = await ctx.db.all<{ rows: number; units: number }>(`SELECT count(*)::INTEGER AS rows, coalesce(sum(ace_units), 0)::BIGINT AS units FROM (${sqlFile(spec.rowsSql)})`);

  const prefix = `${ctx.job}/billing_month=${month}`;
  const manifest: Manifest = {
    job: ctx.job,
    billing_month: month,
    file,
    rows: Number(rows),
    total_ace_units: Number(units),
    sha256: crypto.createHash('sha256').update(body).digest('hex'),
    rule_version: RULE_VERSION,
    as_of_date: asOf,
    source_run_ids: {
      ace_unit_audit: audit.pointer.runId,
      ace_unit_agg: agg.pointer.runId,
      dim_customer: dim.runIds,
      outcome_experience_lookup: lookup.runIds,
    },
    warnings: ctx.warnings,
    partial,
    final: false,
    version: 1,
    generated_at: new Date().toISOString(),
    run_id: ctx.runId,
  };
  // The CSV first, then the manifest that describes it: a reader that finds the manifest finds its file.
  ctx.stageObject({ key: `${prefix}/${file}`, file: local });
  ctx.stageObject({ key: `${prefix}/_manifest.json`, text: `${JSON.stringify(manifest, null, 2)}\n` });
  ctx.log.info({ event: 'export.written', file: ctx.services.exportStore.describe(`${prefix}/${file}`), rows: manifest.rows, ace_units: manifest.total_ace_units }, `wrote ${ctx.services.exportStore.describe(`${prefix}/${file}`)}`);
  return { rows: manifest.rows, details: { file: ctx.services.exportStore.describe(`${prefix}/${file}`), total_ace_units: manifest.total_ace_units, partial } };
}
