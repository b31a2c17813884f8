/**
 * The recipe of the two monthly exports. Inputs: the month's audit and agg versions and the snapshots
 * of the lookups on or before the last day (pointers). Build: check the month is complete (or
 * --allow-partial), compute both exports' rows, reconcile them per client, and stage one CSV plus
 * `_manifest.json` for the export store.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { NotReadyError, ReconciliationError, UsageError } from '../../src/errors.js';
import { TABLES, TableDef } from '../../src/rules/tables.js';
import { RULE_VERSION } from '../../src/rules/ace.js';
import { sqlFile } from '../../src/sql/sql.js';
import { latestRowOf, latestRowSelect } from '../../src/sql/latest.js';
import { tableSelect } from '../../src/sql/files.js';
import { BillingMonth, BusinessDate, addDays, datesBetween, firstDayOf, lastDayOf } from '../../src/time/time.js';
import { Pointer, listPointers, readPointer, runPrefix, versionAsOf } from '../../src/lake/publish.js';
import { JobContext } from '../../src/run/context.js';
import { Job, JobInputs, JobOutcome, defineJob } from '../../src/run/job.js';
import { describeBlocker, monthCloseBlockers } from './freshness.js';
import { readJson } from '../../src/lake/json.js';
import { CERTIFICATE_FILE, certificateJson } from './certificate.js';
import { monthAnomalies } from './anomaly-checks.js';
import type { Anomaly } from '../../src/rules/anomaly.js';
import { sqlIdent } from '../../src/engine/duckdb.js';

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
  /** `diff`: per client (and export row) and field, old and new value, reason; `unit_diff`: per unit (src/sql/export_diff.sql). */
  previous_version?: { version: number; sha256: string; generated_at: string; diff: string | null; unit_diff?: string | null } | null;
  /** The month-close certificate written beside this manifest (jobs/steps/certificate.ts). */
  certificate?: { file: string; complete: boolean };
  /** The month's anomaly flags (jobs/steps/anomaly-checks.ts); empty when none. */
  anomalies?: Anomaly[];
  generated_at: string;
  run_id: string;
}

export interface ExportInputs extends JobInputs {
  month: BillingMonth;
  audit: Pointer | null;
  agg: Pointer | null;
  /** The snapshots of each lookup on or before the month's last day. */
  dim: Pointer[];
  lookup: Pointer[];
}

/** Declares a monthly export job. Exports are always built: whether a number changed is decided on the CSV. */
export function exportJob(def: { name: string; description: string; spec: ExportSpec }): Job<ExportInputs> {
  return defineJob<ExportInputs>({
    name: def.name,
    period: 'month',
    description: def.description,
    outputs: [],
    shardable: false,
    async inputs(services, p) {
      if (p.kind !== 'month') throw new Error(`${def.name} takes a month`);
      const last = lastDayOf(p.month);
      const [audit, agg, dim, lookup] = await Promise.all([
        readPointer(services.store, TABLES.ace_unit_audit, p.month),
        readPointer(services.store, TABLES.ace_unit_agg, p.month),
        listPointers(services.store, TABLES.dim_customer),
        listPointers(services.store, TABLES.outcome_experience_lookup),
      ]);
      const onOrBefore = (ps: Pointer[]) => ps.filter((x) => x.partitionValue <= last);
      return { fingerprint: null, month: p.month, audit, agg, dim: onOrBefore(dim), lookup: onOrBefore(lookup) };
    },
    build: (ctx, inputs) => runExport(ctx, def.spec, inputs),
  });
}

async function snapshotFiles(ctx: JobContext, table: TableDef, pointers: Pointer[]): Promise<{ files: string[]; runIds: string[] }> {
  const files = await ctx.fetch(pointers, table.name);
  return { files, runIds: pointers.map((p) => `${p.partitionValue}:${p.runId}`) };
}

/** Runs one monthly export. */
async function runExport(ctx: JobContext, spec: ExportSpec, inputs: ExportInputs): Promise<JobOutcome> {
  const month = inputs.month;
  const lastDay = lastDayOf(month);
  const allowPartial = Boolean(ctx.flags.allowPartial);
  const final = Boolean(ctx.flags.final ?? ctx.config.exportFinal);
  if (final) await refuseUnclosableMonth(ctx, month, allowPartial);

  const audit = inputs.audit && { pointer: inputs.audit, paths: await ctx.fetch(inputs.audit, 'audit') };
  const agg = inputs.agg && { pointer: inputs.agg, paths: await ctx.fetch(inputs.agg, 'agg') };
  if (!audit || !agg) {
    throw new NotReadyError(`no ace_unit_audit/ace_unit_agg for billing_month=${month}; run the daily pipeline for the month first (npm run pipeline -- daily --from ${month}-01 --to ${lastDay})`, { job: ctx.job, month });
  }
  const asOf = String(audit.pointer.meta.as_of_date ?? '');
  const partial = asOf !== lastDay;
  if (partial && !allowPartial) {
    throw new NotReadyError(`billing month ${month} is not complete: ace_unit_audit is as of ${asOf}, not ${lastDay}. Run ace_unit_calc_daily --date ${lastDay} once its window has closed, or pass --allow-partial for an export marked partial`, { job: ctx.job, month });
  }
  if (partial) ctx.warn(`partial export: ${month} as of ${asOf}`);

  const dim = await snapshotFiles(ctx, TABLES.dim_customer, inputs.dim);
  const lookup = await snapshotFiles(ctx, TABLES.outcome_experience_lookup, inputs.lookup);
  if (dim.files.length === 0) ctx.warn(`no dim_customer snapshot on or before ${lastDay}: every client is reported as missing`);
  if (lookup.files.length === 0) ctx.warn(`no outcome_experience_lookup snapshot on or before ${lastDay}: every experience is reported as unmapped`);
  await ctx.db.setVariables({
    exp_audit_files: audit.paths,
    exp_agg_files: agg.paths,
    exp_month: month,
    exp_rule_version: RULE_VERSION,
  });
  // The same relation the catalog's views use: the snapshots' files, or an empty typed relation.
  const latest = (table: TableDef, files: string[]) => latestRowSelect(latestRowOf(table), `(${tableSelect(table, files)}) snapshots`);
  const inputsSql = sqlFile('export_inputs', {
    dim_latest: latest(TABLES.dim_customer, dim.files),
    lookup_latest: latest(TABLES.outcome_experience_lookup, lookup.files),
  });
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

  const anomalies = await monthAnomalies(ctx, month, asOf as BusinessDate);
  const file = `${spec.stem}_${month}.csv`;
  const local = path.join(ctx.scratch, file);
  await writeCsv(ctx, sqlFile(spec.rowsSql), local);
  const body = fs.readFileSync(local);
  const sha256 = crypto.createHash('sha256').update(body).digest('hex');
  const [{ rows, units }] = await ctx.db.all<{ rows: number; units: number }>(`SELECT count(*)::INTEGER AS rows, coalesce(sum(ace_units), 0)::BIGINT AS units FROM (${sqlFile(spec.rowsSql)})`);

  const prefix = `${ctx.job}/billing_month=${month}`;
  const exportStore = ctx.services.exportStore;
  const previous = await readJson<Manifest>(exportStore, `${prefix}/_manifest.json`);
  const sources = {
    ace_unit_audit: audit.pointer.runId,
    ace_unit_agg: agg.pointer.runId,
    dim_customer: dim.runIds,
    outcome_experience_lookup: lookup.runIds,
  };
  if (previous && previous.sha256 === sha256 && previous.partial === partial) {
    // No number changed: the version stands (same CSV, same version). Its manifest records that it was
    // checked against these inputs, and at month close it becomes final.
    const unchanged = JSON.stringify(previous.source_run_ids) === JSON.stringify(sources) && (previous.final || !final);
    if (!unchanged) {
      const cert = await certificateJson(ctx.services, month, ctx.config.now(), { job: ctx.job, version: previous.version, run_id: ctx.runId });
      ctx.stageObject({ key: `${prefix}/${CERTIFICATE_FILE}`, text: cert.text });
      const refreshed = { ...previous, source_run_ids: sources, final: previous.final || final, checked_at: new Date().toISOString(), checked_by: ctx.runId, certificate: { file: CERTIFICATE_FILE, complete: cert.complete }, anomalies };
      ctx.stageObject({ key: `${prefix}/_manifest.json`, text: `${JSON.stringify(refreshed, null, 2)}\n` });
    }
    ctx.log.info({ event: 'export.unchanged', version: previous.version }, `no number changed since version ${previous.version}: the CSV stands${final && !previous.final ? ', now marked final' : ''}`);
    return { rows: previous.rows, upToDate: unchanged, details: { file: exportStore.describe(`${prefix}/${file}`), version: previous.version, unchanged: true } };
  }
  const version = previous ? previous.version + 1 : 1;
  let diffFile: string | null = null;
  let unitDiffFile: string | null = null;
  if (previous) {
    // Keep the earlier version beside the new one; say what changed per client and field, and unit by unit.
    const oldCsv = await exportStore.readText(`${prefix}/${previous.file}`);
    if (oldCsv !== null) ctx.stageObject({ key: `${prefix}/versions/v${previous.version}/${previous.file}`, text: oldCsv });
    ctx.stageObject({ key: `${prefix}/versions/v${previous.version}/_manifest.json`, text: `${JSON.stringify(previous, null, 2)}\n` });
    const oldCert = await exportStore.readText(`${prefix}/${CERTIFICATE_FILE}`);
    if (oldCert !== null) ctx.stageObject({ key: `${prefix}/versions/v${previous.version}/${CERTIFICATE_FILE}`, text: oldCert });
    diffFile = `diff_v${previous.version}_v${version}.csv`;
    unitDiffFile = `diff_units_v${previous.version}_v${version}.csv`;
    await writeDiffs(ctx, month, previous, { keys: DIFF_KEYS[spec.stem] ?? ['client_id'], oldCsv, newCsv: local }, path.join(ctx.scratch, diffFile), path.join(ctx.scratch, unitDiffFile));
    ctx.stageObject({ key: `${prefix}/${diffFile}`, file: path.join(ctx.scratch, diffFile) });
    ctx.stageObject({ key: `${prefix}/${unitDiffFile}`, file: path.join(ctx.scratch, unitDiffFile) });
  }
  const manifest: Manifest = {
    job: ctx.job,
    billing_month: month,
    file,
    rows: Number(rows),
    total_ace_units: Number(units),
    sha256,
    rule_version: RULE_VERSION,
    as_of_date: asOf,
    source_run_ids: sources,
    warnings: ctx.warnings,
    partial,
    final,
    version,
    previous_version: previous ? { version: previous.version, sha256: previous.sha256, generated_at: previous.generated_at, diff: diffFile, unit_diff: unitDiffFile } : null,
    generated_at: new Date().toISOString(),
    run_id: ctx.runId,
    anomalies,
  };
  const cert = await certificateJson(ctx.services, month, ctx.config.now(), { job: ctx.job, version, run_id: ctx.runId });
  manifest.certificate = { file: CERTIFICATE_FILE, complete: cert.complete };
  // The CSV and the certificate first, then the manifest that describes them: a reader that finds the manifest finds its files.
  ctx.stageObject({ key: `${prefix}/${file}`, file: local });
  ctx.stageObject({ key: `${prefix}/${CERTIFICATE_FILE}`, text: cert.text });
  ctx.stageObject({ key: `${prefix}/_manifest.json`, text: `${JSON.stringify(manifest, null, 2)}\n` });
  ctx.log.info({ event: 'export.written', file: ctx.services.exportStore.describe(`${prefix}/${file}`), rows: manifest.rows, ace_units: manifest.total_ace_units }, `wrote ${ctx.services.exportStore.describe(`${prefix}/${file}`)}`);
  return { rows: manifest.rows, details: { file: ctx.services.exportStore.describe(`${prefix}/${file}`), total_ace_units: manifest.total_ace_units, partial, version } };
}

/**
 * The month close (`--final`, or ACE_EXPORT_FINAL=true from the month-close state machine) refuses,
 * before reading or writing anything, a month that is not ready to be final (status.ts,
 * monthCloseBlockers): exit 4 naming every stale or missing partition, so nothing final is published.
 */
async function refuseUnclosableMonth(ctx: JobContext, month: BillingMonth, allowPartial: boolean): Promise<void> {
  if (allowPartial) throw new UsageError(`a partial export cannot be final: use --final or --allow-partial, not both`, { job: ctx.job, month });
  const blockers = await monthCloseBlockers(ctx.services, month, ctx.config.now());
  if (blockers.length === 0) return;
  const last = lastDayOf(month);
  const fixes: string[] = [];
  const open = blockers.find((b) => b.state === 'open');
  if (open) fixes.push(`close the month after ${open.reason.replace(/^.* closes at /, '')}`);
  if (blockers.some((b) => b.state === 'stale' || (b.state === 'missing' && b.job !== 'dim_customer_daily'))) {
    fixes.push(`rebuild the named dates with \`npm run pipeline -- restate --month ${month}\``);
  }
  if (blockers.some((b) => b.state === 'partial' || b.job === 'dim_customer_daily')) fixes.push(`run \`npm run pipeline -- daily --date ${last}\``);
  fixes.push(`then close it again (in production: rebuild those dates with the daily state machine, then run the month close once a scheduled daily run has succeeded after them)`);
  throw new NotReadyError(
    `refusing to mark ${month} final: ${blockers.map(describeBlocker).join('; ')}. Nothing was written; ${fixes.join(', ')}`,
    { job: ctx.job, month },
  );
}

async function writeCsv(ctx: JobContext, sql: string, file: string): Promise<void> {
  await ctx.db.run(`COPY (${sql}) TO $out (FORMAT csv, HEADER true, DELIMITER ',', QUOTE '"', ESCAPE '"', NEW_LINE '\\n')`, { out: file });
}

/**
 * The key columns of each export's rows: the diff compares the two versions row by row on these. A
 * first touch (experience, channel) determines its outcome, so a remapped experience is one row whose
 * outcome_id changed, not a row removed and another added.
 */
const DIFF_KEYS: Record<string, string[]> = {
  ace_units: ['client_id'],
  ace_units_by_outcome_experience: ['client_id', 'experience_id', 'channel'],
};

const UNIT_DIFF_HEADER = 'client_id,customer_id,change,reason,first_notification_id';

/**
 * Writes `diff_vN_vM.csv` (every number and attribute that changed, per export row and field, with the
 * reason where it is known) and `diff_units_vN_vM.csv` (units added, removed or moved to another first touch).
 */
async function writeDiffs(
  ctx: JobContext,
  month: BillingMonth,
  previous: Manifest,
  csvs: { keys: string[]; oldCsv: string | null; newCsv: string },
  file: string,
  unitFile: string,
): Promise<void> {
  const header = fs.readFileSync(csvs.newCsv, 'utf8').split('\n', 1)[0];
  const keyList = csvs.keys.map(sqlIdent).join(', ');
  const clientHeader = `${csvs.keys.join(',')},field,old_value,new_value,difference,change,reason`;
  if (csvs.oldCsv === null) {
    ctx.warn(`the CSV of export version ${previous.version} is missing: the diff lists nothing`);
    fs.writeFileSync(file, `${clientHeader}\n`);
    fs.writeFileSync(unitFile, `${UNIT_DIFF_HEADER}\n`);
    return;
  }
  const oldCsvFile = path.join(ctx.scratch, `diff-old-v${previous.version}.csv`);
  fs.writeFileSync(oldCsvFile, csvs.oldCsv);
  const oldAuditRun = String(previous.source_run_ids.ace_unit_audit ?? '');
  const manifestKey = `${runPrefix(TABLES.ace_unit_audit.name, TABLES.ace_unit_audit.partitionKey, month, oldAuditRun)}/_manifest.json`;
  const oldManifest = await readJson<Pointer>(ctx.store, manifestKey);
  if (!oldManifest) ctx.warn(`the audit version ${oldAuditRun} behind export version ${previous.version} was garbage-collected: the diff lists no units and no unit reasons`);
  const dates = datesBetween(firstDayOf(month), lastDayOf(month));
  const attemptDates = datesBetween(addDays(firstDayOf(month), -ctx.config.attributionDays), lastDayOf(month));
  // Files of the current versions, or of the versions that were current when the previous export was made.
  const filesOf = async (table: TableDef, days: BusinessDate[], asOf?: string) => {
    const pointers = await Promise.all(days.map((d) => (asOf ? versionAsOf(ctx.store, table, d, asOf) : readPointer(ctx.store, table, d))));
    return ctx.fetch(pointers, `diff-${table.name}-${asOf ? 'old' : 'new'}`);
  };
  const placeholder = path.join(ctx.scratch, 'diff-empty.parquet');
  await ctx.db.run(
    `COPY (SELECT NULL::VARCHAR AS event_id, NULL::VARCHAR AS notification_id, NULL::DATE AS dt, NULL::VARCHAR AS client_id, NULL::VARCHAR AS customer_id,
       NULL::VARCHAR AS attempt_event_id, NULL::VARCHAR AS first_notification_id, NULL::VARCHAR AS first_experience_id, NULL::VARCHAR AS first_channel WHERE false) TO $out (FORMAT parquet)`,
    { out: placeholder },
  );
  const orEmpty = (files: string[]) => (files.length > 0 ? files : [placeholder]);
  await ctx.db.setVariables({
    diff_old_csv: oldCsvFile,
    diff_new_csv: csvs.newCsv,
    diff_fields: header,
    diff_old_audit_files: oldManifest ? await ctx.fetch(oldManifest, 'diff-old-audit') : [placeholder],
    diff_engagement_files: orEmpty(await filesOf(TABLES.ace_engagement_daily, dates)),
    diff_old_engagement_files: orEmpty(await filesOf(TABLES.ace_engagement_daily, dates, previous.generated_at)),
    diff_attempted_files: orEmpty(await filesOf(TABLES.notification_attempted, dates)),
    diff_old_delivered_files: orEmpty(await filesOf(TABLES.notification_delivered, dates, previous.generated_at)),
    diff_old_attempted_files: orEmpty(await filesOf(TABLES.notification_attempted, attemptDates, previous.generated_at)),
  });
  await ctx.db.run(`SET VARIABLE diff_old_audit_known = ${oldManifest ? 'true' : 'false'}`);
  await ctx.db.run(sqlFile('export_diff', { keys: keyList }));
  await writeCsv(ctx, `SELECT ${keyList}, field, old_value, new_value, difference, change, reason FROM exp_client_diff ORDER BY ${keyList}, field_position, field`, file);
  await writeCsv(ctx, `SELECT ${UNIT_DIFF_HEADER} FROM exp_diff ORDER BY client_id, change, customer_id`, unitFile);
  const summary = await ctx.db.all<{ client_id: string; fields: string }>(
    `SELECT client_id, string_agg(DISTINCT field, ' ' ORDER BY field) AS fields FROM exp_client_diff GROUP BY client_id ORDER BY client_id`,
  );
  ctx.log.info({ event: 'export.diff', clients: summary.length }, `version ${previous.version} → ${previous.version + 1}: ${summary.map((s) => `${s.client_id} (${s.fields})`).join(', ') || 'no client changed'}`);
}
