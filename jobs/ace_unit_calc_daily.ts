/**
 * ace_unit_calc_daily --date D: the ACE rule (ace-v1) for the month of D up to D.
 * 1. Every date E in [M-01, D] needs notification_delivered and notification_attempted: a missing one
 *    fails the run, naming them; missing lookback dates before M-01 only warn.
 * 2. Per date, the compact intermediates (ace_engagement_daily, unattributed_deliveries,
 *    ace_attempt_daily) are rebuilt only when the input versions they were built from changed.
 * 3. The month's audit and agg are aggregated from those intermediates, never from raw events.
 */
import crypto from 'node:crypto';
import { JobDefinition } from '../src/runtime/job.js';
import { JobContext } from '../src/runtime/context.js';
import { ObjectStore } from '../src/lake/objectStore.js';
import { Pointer, findVersion, readPointer } from '../src/lake/publish.js';
import { BadInputError, MissingInputError } from '../src/errors.js';
import type { ShardMode } from '../src/runtime/ingest.js';
import path from 'node:path';
import { TABLES } from '../src/rules/tables.js';
import { RULE_VERSION } from '../src/rules/ace.js';
import { sqlFile } from '../src/sql/sql.js';
import { BusinessDate, addDays, datesBetween, firstDayOf, monthOf } from '../src/time/time.js';
import { checkAnomalies, clientSeries, historyStart } from '../src/ops/anomalyChecks.js';

interface DayInputs {
  delivered: string;
  attempted: Record<string, string | null>;
  attributionDays: number;
  ruleVersion: string;
}

interface DayFiles {
  /** The versions of the inputs the day's intermediates were built from. */
  fingerprint: string;
  engagement: string[];
  attempts: string[];
  unattributedRows: number;
  rebuilt: boolean;
}

async function buildDay(ctx: JobContext, date: BusinessDate, lookback: number): Promise<DayFiles> {
  const delivered = (await ctx.currentFiles(TABLES.notification_delivered, date))!;
  const attemptedToday = (await ctx.currentFiles(TABLES.notification_attempted, date))!;
  const lookbackDates = datesBetween(addDays(date, -lookback), date);
  const attempted: Record<string, string | null> = {};
  const attemptedPaths: string[] = [];
  for (const d of lookbackDates) {
    const f = await ctx.currentFiles(TABLES.notification_attempted, d);
    attempted[d] = f ? f.pointer.runId : null;
    if (f) attemptedPaths.push(...f.paths);
  }
  const inputs: DayInputs = { delivered: delivered.pointer.runId, attempted, attributionDays: lookback, ruleVersion: RULE_VERSION };
  const fingerprint = JSON.stringify(inputs);

  const [eng, att, un] = await Promise.all([
    ctx.currentFiles(TABLES.ace_engagement_daily, date),
    ctx.currentFiles(TABLES.ace_attempt_daily, date),
    ctx.currentFiles(TABLES.unattributed_deliveries, date),
  ]);
  const mode: ShardMode = ctx.flags.shard ?? { kind: 'single' };
  if (mode.kind !== 'shard' && eng && att && un && eng.pointer.fingerprint === fingerprint && att.pointer.fingerprint === fingerprint && un.pointer.fingerprint === fingerprint) {
    return { fingerprint, engagement: eng.paths, attempts: att.paths, unattributedRows: un.pointer.rows, rebuilt: false };
  }
  const params = { run_id: ctx.runId, dt: date };
  const extra = { fingerprint, meta: { inputs } };
  const dayKey = (n: number, k: number) => `_shards/${ctx.job}/${date}/n=${n}/k=${k}`;

  if (mode.kind === 'merge') {
    // The union of the shards: notifications are split by hash, so rows never overlap and per-client
    // distinct attempt counts add up.
    const files: Record<'engagements' | 'unattributed' | 'attempts', string[]> = { engagements: [], unattributed: [], attempts: [] };
    for (let k = 0; k < mode.n; k++) {
      const meta = JSON.parse((await ctx.store.readText(`${dayKey(mode.n, k)}/_meta.json`)) ?? 'null') as { fingerprint: string } | null;
      if (!meta) throw new MissingInputError(`shard ${k}/${mode.n} of ${ctx.job} has not built ${date}; run it with --shard ${k}/${mode.n}, then merge`, { job: ctx.job });
      if (meta.fingerprint !== fingerprint) throw new BadInputError(`the inputs of ${date} changed after shard ${k}/${mode.n} ran; rerun the shards, then merge`, { job: ctx.job });
      for (const t of Object.keys(files) as (keyof typeof files)[]) files[t].push(...(await ctx.store.localPaths([`${dayKey(mode.n, k)}/${t}.parquet`], path.join(ctx.scratch, 'shards', date))));
    }
    await ctx.db.setVariables({ calc_m_eng: files.engagements, calc_m_un: files.unattributed, calc_m_att: files.attempts });
    const e = await ctx.stage(TABLES.ace_engagement_daily, date, `SELECT * REPLACE ($run_id AS run_id) FROM read_parquet(getvariable('calc_m_eng')) ORDER BY client_id, customer_id, notification_id`, { run_id: ctx.runId }, extra);
    const u = await ctx.stage(TABLES.unattributed_deliveries, date, `SELECT * REPLACE ($run_id AS run_id) FROM read_parquet(getvariable('calc_m_un')) ORDER BY notification_id`, { run_id: ctx.runId }, extra);
    const a = await ctx.stage(
      TABLES.ace_attempt_daily,
      date,
      `SELECT client_id, sum(attempted_notifications)::BIGINT AS attempted_notifications, $run_id AS run_id, $dt::DATE AS dt FROM read_parquet(getvariable('calc_m_att')) GROUP BY client_id ORDER BY client_id`,
      params,
      extra,
    );
    return { fingerprint, engagement: e.files, attempts: a.files, unattributedRows: u.rows, rebuilt: true };
  }

  await ctx.db.setVariables({
    calc_delivered_files: delivered.paths,
    calc_attempted_files: attemptedPaths,
    calc_attempted_today: attemptedToday.paths,
    calc_shard_n: String(mode.kind === 'shard' ? mode.n : 1),
    calc_shard_k: String(mode.kind === 'shard' ? mode.k : 0),
  });
  await ctx.db.run(sqlFile('calc_engagement_day'));
  if (mode.kind === 'shard') {
    const outputs = { engagements: 'calc_engagements', unattributed: 'calc_unattributed', attempts: 'calc_attempts_day' } as const;
    for (const [name, sql] of Object.entries(outputs)) {
      const local = path.join(ctx.scratch, `shard-${date}-${name}.parquet`);
      await ctx.db.copyToParquet(sqlFile(sql), params, local);
      await ctx.store.putFile(local, `${dayKey(mode.n, mode.k)}/${name}.parquet`);
    }
    await ctx.store.writeText(`${dayKey(mode.n, mode.k)}/_meta.json`, JSON.stringify({ runId: ctx.runId, fingerprint }));
    return { fingerprint, engagement: [], attempts: [], unattributedRows: 0, rebuilt: true };
  }
  const e = await ctx.stage(TABLES.ace_engagement_daily, date, sqlFile('calc_engagements'), params, extra);
  const u = await ctx.stage(TABLES.unattributed_deliveries, date, sqlFile('calc_unattributed'), params, extra);
  const a = await ctx.stage(TABLES.ace_attempt_daily, date, sqlFile('calc_attempts_day'), params, extra);
  return { fingerprint, engagement: e.files, attempts: a.files, unattributedRows: u.rows, rebuilt: true };
}

/**
 * The versions of every input partition of the calc for `asOf` (the month so far plus the lookback),
 * as a fingerprint; and the month's missing partitions. Shared by the job and `npm run status`.
 */
export async function calcInputs(store: ObjectStore, asOf: BusinessDate, lookback: number): Promise<{ fingerprint: string; missing: string[] }> {
  const first = firstDayOf(monthOf(asOf));
  const missing: string[] = [];
  const inputVersions: string[] = [];
  for (const d of datesBetween(addDays(first, -lookback), asOf)) {
    for (const t of [TABLES.notification_delivered, TABLES.notification_attempted]) {
      const current = await readPointer(store, t, d);
      inputVersions.push(`${t.name}/${d}=${current?.runId ?? 'none'}`);
      if (!current && d >= first) missing.push(`${t.name} dt=${d}`);
    }
  }
  const fingerprint = crypto.createHash('sha256').update(JSON.stringify({ rule: RULE_VERSION, asOf, lookback, inputs: inputVersions })).digest('hex');
  return { fingerprint, missing };
}

/**
 * The audit and agg of the month as of D − 1, when they can be extended by day D alone: they exist
 * (the current version, or an earlier one still in the partition's history: a rerun of D after D
 * already ran), are as of the day before, were published together by one run, and every earlier day's
 * intermediates are still the versions they were built from. Otherwise (first day, a rebuilt earlier
 * day, --force, history collected) null: the month is recomputed.
 */
async function incrementalBase(ctx: JobContext, month: string, asOf: BusinessDate, dayFingerprints: Record<string, string>): Promise<{ audit: string[]; agg: string[] } | null> {
  if (ctx.flags.force || asOf === firstDayOf(monthOf(asOf))) return null;
  const previousDay = addDays(asOf, -1);
  const usable = (p: Pointer) => p.meta.as_of_date === previousDay && p.meta.rule_version === RULE_VERSION;
  const currentAudit = await readPointer(ctx.store, TABLES.ace_unit_audit, month);
  const audit = currentAudit && usable(currentAudit) ? currentAudit : await findVersion(ctx.store, TABLES.ace_unit_audit, month, usable);
  if (!audit) return null;
  const currentAgg = await readPointer(ctx.store, TABLES.ace_unit_agg, month);
  const agg = currentAgg?.runId === audit.runId ? currentAgg : await findVersion(ctx.store, TABLES.ace_unit_agg, month, (p) => p.runId === audit.runId);
  if (!agg) return null;
  const before = (audit.meta.day_fingerprints ?? {}) as Record<string, string>;
  const unchanged = Object.entries(dayFingerprints).every(([d, fp]) => d >= asOf || before[d] === fp);
  if (!unchanged) return null;
  const inputs = path.join(ctx.scratch, 'inputs');
  return { audit: await ctx.store.localPaths(audit.files, inputs), agg: await ctx.store.localPaths(agg.files, inputs) };
}

export const aceUnitCalcDaily: JobDefinition = {
  name: 'ace_unit_calc_daily',
  period: 'date',
  description: 'Recompute the ACE units (audit + agg) of the month of D up to D from per-day engagements',
  // Every calc of a month rewrites the same audit and agg partitions: they share one lock.
  lockScope: (date) => monthOf(date as BusinessDate),
  async run(ctx) {
    const asOf = ctx.period.date as BusinessDate;
    const month = monthOf(asOf);
    const first = firstDayOf(month);
    const lookback = ctx.config.attributionDays;
    const dates = datesBetween(first, asOf);

    const { fingerprint, missing } = await calcInputs(ctx.store, asOf, lookback);
    if (missing.length > 0) {
      throw new MissingInputError(
        `missing input partitions: ${missing.join(', ')}. Run the ingest jobs for those dates first, e.g. npm run pipeline -- daily --from ${first} --to ${asOf}`,
        { job: ctx.job, date: asOf },
      );
    }
    const missingLookback: string[] = [];
    for (const d of datesBetween(addDays(first, -lookback), addDays(first, -1))) {
      if (!(await ctx.currentFiles(TABLES.notification_attempted, d))) missingLookback.push(d);
    }
    if (missingLookback.length > 0) {
      ctx.warn(`lookback partitions notification_attempted dt=${missingLookback.join(', ')} (before ${first}) are missing: deliveries early in ${month} may be unattributed`, { missing: missingLookback });
    }

    if (await ctx.isUpToDate(TABLES.ace_unit_agg, month, fingerprint)) {
      const audit = await ctx.currentFiles(TABLES.ace_unit_audit, month);
      return { rows: audit?.pointer.rows ?? 0, upToDate: true, details: { billing_month: month, as_of_date: asOf } };
    }

    const mode: ShardMode = ctx.flags.shard ?? { kind: 'single' };
    const engagementFiles: string[] = [];
    const attemptFiles: string[] = [];
    const unattributed: Record<string, number> = {};
    const days: Record<string, DayFiles> = {};
    let rebuilt = 0;
    for (const d of dates) {
      const day = await buildDay(ctx, d, lookback);
      days[d] = day;
      engagementFiles.push(...day.engagement);
      attemptFiles.push(...day.attempts);
      unattributed[d] = day.unattributedRows;
      if (day.rebuilt) rebuilt++;
    }
    if (mode.kind === 'shard') {
      // A shard builds its share of every day's engagements; the merge aggregates and publishes.
      return { rows: 0, details: { shard: `${mode.k}/${mode.n}`, days: dates.length } };
    }

    const params = { month, as_of: asOf, rule_version: RULE_VERSION, run_id: ctx.runId };
    const dayFingerprints = Object.fromEntries(dates.map((d) => [d, days[d].fingerprint]));
    const meta = { as_of_date: asOf, rule_version: RULE_VERSION, day_fingerprints: dayFingerprints, incremental: false };
    const previous = await incrementalBase(ctx, month, asOf, dayFingerprints);
    let audit, agg;
    if (previous) {
      // The month as of D − 1 stands (no earlier day changed): add day D to it instead of re-aggregating the month.
      await ctx.db.setVariables({
        calc_prev_audit_files: previous.audit,
        calc_prev_agg_files: previous.agg,
        calc_day_files: days[asOf].engagement,
        calc_day_attempt_files: days[asOf].attempts,
        calc_earlier_engagement_files: dates.filter((d) => d < asOf).flatMap((d) => days[d].engagement),
      });
      await ctx.db.run(sqlFile('calc_incremental'));
      meta.incremental = true;
      audit = await ctx.stage(TABLES.ace_unit_audit, month, sqlFile('calc_audit_incremental'), params, { meta });
      agg = await ctx.stage(TABLES.ace_unit_agg, month, sqlFile('calc_agg_incremental'), params, { meta, fingerprint });
    } else {
      await ctx.db.setVariables({ calc_engagement_files: engagementFiles, calc_attempt_files: attemptFiles });
      await ctx.db.run(sqlFile('calc_month'));
      audit = await ctx.stage(TABLES.ace_unit_audit, month, sqlFile('calc_audit'), params, { meta });
      // agg is staged last: its pointer carries the fingerprint that makes an identical rerun a no-op.
      agg = await ctx.stage(TABLES.ace_unit_agg, month, sqlFile('calc_agg'), params, { meta, fingerprint });
    }
    const totalUnattributed = Object.values(unattributed).reduce((a, b) => a + b, 0);
    ctx.log.info({ event: 'calc.summary', units: audit.rows, agg_rows: agg.rows, days_rebuilt: rebuilt, unattributed: totalUnattributed }, `${month} as of ${asOf}: ${audit.rows} ACE units, ${totalUnattributed} unattributed deliveries, ${rebuilt} day(s) rebuilt`);
    // Anomaly checks (src/ops/anomalyChecks.ts): each client's day, and the unattributed share, against their history.
    const anomalies = await checkAnomalies(ctx, await clientSeries(ctx, historyStart(asOf), asOf, { month, aggFiles: agg.files, unattributed }), [asOf]);
    return { rows: audit.rows, details: { billing_month: month, as_of_date: asOf, ace_units: audit.rows, agg_rows: agg.rows, days_rebuilt: rebuilt, incremental: meta.incremental, unattributed_by_date: unattributed, anomalies } };
  },
};
