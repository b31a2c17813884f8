/**
 * Golden dataset for the two monthly exports (SPEC.md "Monthly exports"): billing month 2026-02
 * ingested and computed through the real jobs, then both CSVs parsed back with a strict RFC 4180
 * parser and compared with the exact expected rows; manifests checked against the files.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  Lake, makeLake, closeLake, writeRaw, run, runFailing, attempt, delivery, experienceConfig, hourOf, writeWarehouseCsv, Attempt, Delivery,
} from '../helpers/lake';
import { parseCsv, parseCsvObjects } from '../helpers/csv';
import { datesBetween, BusinessDate } from '../../src/time/time';

const ACME = 'Acme, "Bank"\nNorth';
const OUTCOME = 'Pay, "now"\nplease';
const EXP_NAME = 'Reminder, v2';

let lake: Lake;
const exportDir = (job: string, month: string) => path.join(lake.root, 'exports', job, `billing_month=${month}`);
const readExport = (job: string, month: string, file: string) => {
  const dir = exportDir(job, month);
  return { csv: fs.readFileSync(path.join(dir, file), 'utf8'), manifest: JSON.parse(fs.readFileSync(path.join(dir, '_manifest.json'), 'utf8')) };
};

function engage(id: string, at: string, over: Partial<Attempt> = {}): void {
  const a = attempt(id, at, over);
  const d: Delivery = delivery(id, new Date(Date.parse(at) + 60_000).toISOString());
  writeRaw(lake, 'notification_attempted', hourOf(a.attempted_at), `${a.event_id}.ndjson`, [a]);
  writeRaw(lake, 'notification_delivered', hourOf(d.delivered_at), `${d.event_id}.ndjson`, [d]);
}

async function withWarehouse(rows: (string | boolean | null)[][], date: string, name: string): Promise<void> {
  const url = writeWarehouseCsv(lake, rows, name);
  const base = lake.services.config;
  const warehouse = { kind: 'file' as const, path: new URL(url).pathname };
  await run(lake, 'dim_customer_daily', { date }, { ...base, warehouse });
}

beforeAll(async () => {
  lake = await makeLake();
  engage('c1-1', '2026-02-03T15:00:00Z', { client_id: 'c1', customer_id: 'u1' });
  engage('c1-2', '2026-02-04T15:00:00Z', { client_id: 'c1', customer_id: 'u2', experience_id: 'exp-unmapped', channel: 'email' });
  engage('c1-3', '2026-02-10T15:00:00Z', { client_id: 'c1', customer_id: 'u1', experience_id: 'exp-unmapped', channel: 'push' });
  engage('test', '2026-02-05T15:00:00Z', { client_id: 'c-test', customer_id: 'u1' });
  engage('unknown', '2026-02-06T15:00:00Z', { client_id: 'c-unknown', customer_id: 'u1' });
  engage('old', '2026-02-07T15:00:00Z', { client_id: 'c-old', customer_id: 'u1' });
  const a = attempt('attonly', '2026-02-08T15:00:00Z', { client_id: 'c-attonly' });
  writeRaw(lake, 'notification_attempted', hourOf(a.attempted_at), 'attonly.ndjson', [a]);
  // March activity, for the partial-month checks.
  engage('mar', '2026-03-01T15:00:00Z', { client_id: 'c1', customer_id: 'u1' });

  // Experience config: mapped on 2/05; a later change (3/01) must not reach February's export.
  writeRaw(lake, 'experience_config', '2026-02-05T15', 'cfg.ndjson', [experienceConfig('exp1', '2026-02-05T15:00:00Z', { outcome_id: 'o1', outcome_name: OUTCOME, experience_name: EXP_NAME })]);
  writeRaw(lake, 'experience_config', '2026-03-01T15', 'cfg.ndjson', [experienceConfig('exp1', '2026-03-01T15:00:00Z', { outcome_id: 'o-new', outcome_name: 'Later', experience_name: 'Later' })]);
  await run(lake, 'outcome_experience_lookup_daily', { date: '2026-02-05' });
  await run(lake, 'outcome_experience_lookup_daily', { date: '2026-03-01' });

  // Warehouse snapshots: c-old only in 2/10's; c1's later rename (3/01) must not reach February's export.
  await withWarehouse([
    ['c1', 'Acme', 'BA-1', false, 'active', '2026-01-01 00:00:00'],
    ['c-old', 'Old Co', 'BA-OLD', 'false', 'active', '2026-01-01 00:00:00'],
  ], '2026-02-10', 'v1.csv');
  await withWarehouse([
    ['c1', ACME, 'BA-1', 'false', 'active', '2026-02-20 00:00:00'],
    ['c-test', 'Test Client', 'BA-T', 'true', 'active', '2026-02-20 00:00:00'],
    ['c-attonly', 'Attempt Only', 'BA-ATT', 'f', 'active', '2026-02-20 00:00:00'],
  ], '2026-02-28', 'v2.csv');
  await withWarehouse([['c1', 'Renamed later', 'BA-9', 'false', 'active', '2026-03-01 00:00:00']], '2026-03-01', 'v3.csv');

  for (const d of datesBetween('2026-01-29' as BusinessDate, '2026-03-01' as BusinessDate)) {
    await run(lake, 'notification_attempted_daily', { date: d });
    await run(lake, 'notification_delivered_daily', { date: d });
  }
  await run(lake, 'ace_unit_calc_daily', { date: '2026-02-28' });
  await run(lake, 'ace_unit_calc_daily', { date: '2026-03-01' });
});
afterAll(async () => {
  await closeLake(lake);
});

describe('complete month 2026-02', () => {
  test('ace_units_2026-02.csv: one row per active client, unknown and test clients not billable, hostile names round-trip', async () => {
    const r = await run(lake, 'ace_unit_monthly_output', { month: '2026-02' });
    expect(r).toMatchObject({ status: 'succeeded', rows: 5, details: { total_ace_units: 5, partial: false } });
    const { csv, manifest } = readExport('ace_unit_monthly_output', '2026-02', 'ace_units_2026-02.csv');
    const rows = parseCsv(csv);
    expect(rows).toEqual([
      ['billing_month', 'client_id', 'client_name', 'billing_account_id', 'is_billable', 'ace_units', 'delivered_notifications', 'attempted_notifications', 'rule_version'],
      ['2026-02', 'c-attonly', 'Attempt Only', 'BA-ATT', 'true', '0', '0', '1', 'ace-v1'],
      ['2026-02', 'c-old', 'Old Co', 'BA-OLD', 'true', '1', '1', '1', 'ace-v1'],
      ['2026-02', 'c-test', 'Test Client', 'BA-T', 'false', '1', '1', '1', 'ace-v1'],
      ['2026-02', 'c-unknown', '', '', 'false', '1', '1', '1', 'ace-v1'],
      ['2026-02', 'c1', ACME, 'BA-1', 'true', '2', '3', '3', 'ace-v1'],
    ]);
    expect(manifest).toMatchObject({
      job: 'ace_unit_monthly_output', billing_month: '2026-02', file: 'ace_units_2026-02.csv', rows: 5, total_ace_units: 5,
      rule_version: 'ace-v1', as_of_date: '2026-02-28', partial: false, run_id: r.runId,
    });
    expect(manifest.sha256).toBe(crypto.createHash('sha256').update(fs.readFileSync(path.join(exportDir('ace_unit_monthly_output', '2026-02'), 'ace_units_2026-02.csv'))).digest('hex'));
    expect(manifest.warnings.filter((w: string) => /clients missing/.test(w))).toEqual([expect.stringMatching(/: c-unknown$/)]);
    expect(manifest.warnings.join('\n')).not.toMatch(/c-old|c-test|c-attonly|c1\b/);
    expect(Object.keys(manifest.source_run_ids).sort()).toEqual(['ace_unit_agg', 'ace_unit_audit', 'dim_customer', 'outcome_experience_lookup']);
    expect(manifest.source_run_ids.dim_customer.map((s: string) => s.slice(0, 10))).toEqual(['2026-02-10', '2026-02-28']);
    expect(Number.isNaN(Date.parse(manifest.generated_at))).toBe(false);
  });

  test('ace_units_by_outcome_experience_2026-02.csv: first touch groups, UNMAPPED experiences, exact rows', async () => {
    const r = await run(lake, 'ace_unit_monthly_outcome_experience_output', { month: '2026-02' });
    expect(r).toMatchObject({ status: 'succeeded', rows: 5, details: { total_ace_units: 5, partial: false } });
    const { csv, manifest } = readExport('ace_unit_monthly_outcome_experience_output', '2026-02', 'ace_units_by_outcome_experience_2026-02.csv');
    expect(parseCsv(csv)).toEqual([
      ['billing_month', 'client_id', 'client_name', 'outcome_id', 'outcome_name', 'experience_id', 'experience_name', 'channel', 'ace_units', 'engagements'],
      ['2026-02', 'c-old', 'Old Co', 'o1', OUTCOME, 'exp1', EXP_NAME, 'sms', '1', '1'],
      ['2026-02', 'c-test', 'Test Client', 'o1', OUTCOME, 'exp1', EXP_NAME, 'sms', '1', '1'],
      ['2026-02', 'c-unknown', '', 'o1', OUTCOME, 'exp1', EXP_NAME, 'sms', '1', '1'],
      // c1: u2's first touch is unmapped; u1's is exp1, and its engagements count all of February (2).
      ['2026-02', 'c1', ACME, 'UNMAPPED', 'Unmapped', 'exp-unmapped', '', 'email', '1', '1'],
      ['2026-02', 'c1', ACME, 'o1', OUTCOME, 'exp1', EXP_NAME, 'sms', '1', '2'],
    ]);
    expect(manifest).toMatchObject({ rows: 5, total_ace_units: 5, partial: false, as_of_date: '2026-02-28', rule_version: 'ace-v1' });
    expect(manifest.sha256).toBe(crypto.createHash('sha256').update(csv, 'utf8').digest('hex'));
    expect(manifest.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/: c-unknown$/), expect.stringMatching(/outcome UNMAPPED: exp-unmapped$/)]));
  });

  test('the two exports reconcile per client', async () => {
    const units = parseCsvObjects(readExport('ace_unit_monthly_output', '2026-02', 'ace_units_2026-02.csv').csv);
    const byOutcome = parseCsvObjects(readExport('ace_unit_monthly_outcome_experience_output', '2026-02', 'ace_units_by_outcome_experience_2026-02.csv').csv);
    const sums = new Map<string, number>();
    for (const r of byOutcome) sums.set(r.client_id, (sums.get(r.client_id) ?? 0) + Number(r.ace_units));
    for (const u of units) expect([u.client_id, Number(u.ace_units)]).toEqual([u.client_id, sums.get(u.client_id) ?? 0]);
  });

  test('the quoting is RFC 4180: the hostile fields are quoted, quotes doubled, and rows end in LF', async () => {
    const { csv } = readExport('ace_unit_monthly_output', '2026-02', 'ace_units_2026-02.csv');
    expect(csv).toContain('"Acme, ""Bank""\nNorth"');
    expect(csv.endsWith('\n')).toBe(true);
  });
});

describe('month not complete', () => {
  test('a month whose audit is not as of its last day is refused with a clear message', async () => {
    const err = await runFailing(lake, 'ace_unit_monthly_output', { month: '2026-03' });
    expect((err as { code?: string }).code).toBe('not_ready');
    expect(err.message).toMatch(/billing month 2026-03 is not complete: ace_unit_audit is as of 2026-03-01, not 2026-03-31.*--allow-partial/);
    expect(fs.existsSync(exportDir('ace_unit_monthly_output', '2026-03'))).toBe(false);
    const err2 = await runFailing(lake, 'ace_unit_monthly_outcome_experience_output', { month: '2026-03' });
    expect((err2 as { code?: string }).code).toBe('not_ready');
  });

  test('--allow-partial exports it, marked partial in the manifest', async () => {
    const r = await run(lake, 'ace_unit_monthly_output', { month: '2026-03', flags: { allowPartial: true } });
    expect(r.details).toMatchObject({ partial: true, total_ace_units: 1 });
    const { csv, manifest } = readExport('ace_unit_monthly_output', '2026-03', 'ace_units_2026-03.csv');
    expect(manifest).toMatchObject({ partial: true, as_of_date: '2026-03-01', rows: 1, total_ace_units: 1 });
    // As of 3/31, the 3/01 rename applies.
    expect(parseCsvObjects(csv)).toEqual([
      { billing_month: '2026-03', client_id: 'c1', client_name: 'Renamed later', billing_account_id: 'BA-9', is_billable: 'true', ace_units: '1', delivered_notifications: '1', attempted_notifications: '1', rule_version: 'ace-v1' },
    ]);
    expect(manifest.sha256).toBe(crypto.createHash('sha256').update(csv, 'utf8').digest('hex'));
  });

  test('a month never computed is refused', async () => {
    const err = await runFailing(lake, 'ace_unit_monthly_output', { month: '2026-01' });
    expect((err as { code?: string }).code).toBe('not_ready');
    expect(err.message).toContain('no ace_unit_audit/ace_unit_agg for billing_month=2026-01');
  });
});

describe('export version 2 after client attributes and an experience changed (SPEC "Schedule": the per-client diff)', () => {
  test('diff_v1_v2.csv lists every changed attribute per row, old and new, with its source as the reason; no unit changed', async () => {
    // A later snapshot within February: c-unknown becomes known, c-test gets another account; exp-unmapped gets its outcome.
    await withWarehouse([
      ['c-unknown', 'Now Known', 'BA-U', 'false', 'active', '2026-02-25 00:00:00'],
      ['c-test', 'Test Client', 'BA-T2', 'true', 'active', '2026-02-25 00:00:00'],
    ], '2026-02-25', 'v4.csv');
    writeRaw(lake, 'experience_config', '2026-02-25T15', 'cfg.ndjson', [experienceConfig('exp-unmapped', '2026-02-25T15:00:00Z', { outcome_id: 'o2', outcome_name: 'Outcome Two', experience_name: 'Exp Two' })]);
    await run(lake, 'outcome_experience_lookup_daily', { date: '2026-02-25' });
    for (const job of ['ace_unit_monthly_output', 'ace_unit_monthly_outcome_experience_output'] as const) await run(lake, job, { month: '2026-02' });

    const dim = 'changed client attributes in dim_customer';
    const lookup = 'changed experience in outcome_experience_lookup';
    const units = readExport('ace_unit_monthly_output', '2026-02', 'diff_v1_v2.csv');
    expect(units.manifest).toMatchObject({ version: 2, total_ace_units: 5, previous_version: { version: 1, diff: 'diff_v1_v2.csv', unit_diff: 'diff_units_v1_v2.csv' } });
    expect(parseCsv(units.csv)).toEqual([
      ['client_id', 'field', 'old_value', 'new_value', 'difference', 'change', 'reason'],
      ['c-test', 'billing_account_id', 'BA-T', 'BA-T2', '', 'changed', dim],
      ['c-unknown', 'client_name', '', 'Now Known', '', 'changed', dim],
      ['c-unknown', 'billing_account_id', '', 'BA-U', '', 'changed', dim],
      ['c-unknown', 'is_billable', 'false', 'true', '', 'changed', dim],
    ]);
    const byOutcome = readExport('ace_unit_monthly_outcome_experience_output', '2026-02', 'diff_v1_v2.csv');
    expect(parseCsv(byOutcome.csv)).toEqual([
      ['client_id', 'experience_id', 'channel', 'field', 'old_value', 'new_value', 'difference', 'change', 'reason'],
      ['c-unknown', 'exp1', 'sms', 'client_name', '', 'Now Known', '', 'changed', dim],
      ['c1', 'exp-unmapped', 'email', 'outcome_id', 'UNMAPPED', 'o2', '', 'changed', lookup],
      ['c1', 'exp-unmapped', 'email', 'outcome_name', 'Unmapped', 'Outcome Two', '', 'changed', lookup],
      ['c1', 'exp-unmapped', 'email', 'experience_name', '', 'Exp Two', '', 'changed', lookup],
    ]);
    for (const job of ['ace_unit_monthly_output', 'ace_unit_monthly_outcome_experience_output']) {
      expect(readExport(job, '2026-02', 'diff_units_v1_v2.csv').csv).toBe('client_id,customer_id,change,reason,first_notification_id\n');
    }
  });
});
