/**
 * Case 7 (issue 6): late data after the monthly export. A whole (tiny) month, February 2026, is built
 * and exported (version 1); a late delivery within the lateness window then makes exactly the
 * partitions whose window holds it stale (`monthStatus`); `restateMonth` rebuilds those, recomputes
 * the month, and writes export version 2 beside the kept version 1, with a unit diff and its reason.
 * A late attempt does the same with reason 'late attempt'; an unchanged restate writes no version.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Lake, makeLake, closeLake, writeRaw, run, attempt, delivery, experienceConfig } from '../helpers/lake';
import { parseCsvObjects } from '../helpers/csv';
import { monthStatus } from '../../src/ops/status';
import { restateMonth } from '../../src/ops/restate';
import { runGraph } from '../../src/graph/runner';
import { MONTHLY_GRAPH } from '../../src/graph/graph';
import { addDays, datesBetween, BusinessDate, BillingMonth } from '../../src/time/time';
import { listFiles } from './helpers';

const M = '2026-02' as BillingMonth;
const LAST = '2026-02-28' as BusinessDate;
const OUT = 'ace_unit_monthly_output';
const BY = 'ace_unit_monthly_outcome_experience_output';

let lake: Lake;
const exportDir = (job: string) => path.join(lake.root, 'exports', job, `billing_month=${M}`);
const manifest = (job: string) => JSON.parse(fs.readFileSync(path.join(exportDir(job), '_manifest.json'), 'utf8'));
const csv = (job: string, file: string) => parseCsvObjects(fs.readFileSync(path.join(exportDir(job), file), 'utf8'));
const jobsRan = (results: { job: string; date?: string; month?: string; status: string }[]) =>
  results.filter((r) => r.status !== 'up_to_date').map((r) => `${r.job} ${r.date ?? r.month}`).sort();
const stale = async () => (await monthStatus(lake.services, M)).filter((s) => s.state !== 'current').map((s) => `${s.job} ${s.period}`).sort();

beforeAll(async () => {
  lake = await makeLake();
  writeRaw(lake, 'experience_config', '2026-02-01T15', 'cfg.ndjson', [experienceConfig('exp1', '2026-02-01T15:00:00Z')]);
  // An ordinary engagement, and the two notifications that will get late data.
  writeRaw(lake, 'notification_attempted', '2026-02-10T15', 'a.ndjson', [attempt('ok', '2026-02-10T15:00:00Z', { customer_id: 'u-ok' })]);
  writeRaw(lake, 'notification_delivered', '2026-02-10T15', 'd.ndjson', [delivery('ok', '2026-02-10T15:01:00Z')]);
  writeRaw(lake, 'notification_attempted', '2026-02-27T15', 'a.ndjson', [attempt('ld', '2026-02-27T15:00:00Z', { customer_id: 'u-ld' })]); // delivered late
  writeRaw(lake, 'notification_delivered', '2026-02-20T15', 'd.ndjson', [delivery('la', '2026-02-20T15:01:00Z')]); // attempt arrives late
  // Every partition of the month (attempts from the lookback on), then the calc as of the last day.
  const ingest = datesBetween(addDays('2026-02-01' as BusinessDate, -3), LAST).flatMap((d) => [
    ['notification_attempted_daily', d] as const,
    ...(d >= '2026-02-01' ? ([['notification_delivered_daily', d], ['outcome_experience_lookup_daily', d]] as const) : []),
  ]);
  for (const [job, date] of ingest) await run(lake, job, { date }); // one at a time: DuckDB memory is capped at 512 MB in tests
  await run(lake, 'ace_unit_calc_daily', { date: LAST });
  await runGraph(lake.services, MONTHLY_GRAPH, { month: M });
});
afterAll(async () => {
  await closeLake(lake);
});

test('version 1: the month is complete and every partition is current', async () => {
  expect(await stale()).toEqual([]);
  expect(manifest(OUT)).toMatchObject({ version: 1, total_ace_units: 1, partial: false, previous_version: null });
  expect(csv(OUT, `ace_units_${M}.csv`).map((r) => [r.client_id, r.ace_units])).toEqual([['c1', '1']]);
});

test('a late delivery: status lists exactly the stale partitions; restate rebuilds those; export v2 keeps v1 and diffs with reason "late delivery"', async () => {
  const v1Csv = fs.readFileSync(path.join(exportDir(OUT), `ace_units_${M}.csv`), 'utf8');
  const v1Manifest = manifest(OUT);
  // Delivered 2026-02-27 15:00 ET, arriving at 2026-02-28T10Z: inside the lateness window of 02-27.
  writeRaw(lake, 'notification_delivered', '2026-02-28T10', 'late.ndjson', [delivery('ld', '2026-02-27T20:00:00Z')]);
  // Hour 02-28T10Z is read by 02-26 (until end + 48 h = 03-01T05Z), 02-27 and 02-28 (its owner).
  const expected = [
    'notification_delivered_daily 2026-02-26', 'notification_delivered_daily 2026-02-27', 'notification_delivered_daily 2026-02-28',
    `ace_unit_calc_daily ${LAST}`, `${OUT} ${M}`, `${BY} ${M}`,
  ].sort();
  expect(await stale()).toEqual(expected);

  const results = await restateMonth(lake.services, M, {});
  expect(jobsRan(results)).toEqual(expected);
  expect(await stale()).toEqual([]);

  for (const job of [OUT, BY]) {
    const m = manifest(job);
    expect(m).toMatchObject({ version: 2, previous_version: { version: 1, diff: 'diff_v1_v2.csv' } });
    expect(fs.existsSync(path.join(exportDir(job), 'versions/v1/_manifest.json'))).toBe(true);
    expect(fs.existsSync(path.join(exportDir(job), `versions/v1/${m.file}`))).toBe(true);
    expect(csv(job, 'diff_units_v1_v2.csv')).toEqual([{ client_id: 'c1', customer_id: 'u-ld', change: 'added', reason: 'late delivery', first_notification_id: 'n-ld' }]);
  }
  // Every number that changed, per client (and first touch), with its reason (SPEC "Schedule").
  expect(manifest(OUT).previous_version).toMatchObject({ diff: 'diff_v1_v2.csv', unit_diff: 'diff_units_v1_v2.csv' });
  expect(csv(OUT, 'diff_v1_v2.csv')).toEqual([
    { client_id: 'c1', field: 'ace_units', old_value: '1', new_value: '2', difference: '1', change: 'changed', reason: 'late delivery (+1 unit)' },
    { client_id: 'c1', field: 'delivered_notifications', old_value: '1', new_value: '2', difference: '1', change: 'changed', reason: 'late delivery (+1 notification)' },
  ]);
  expect(csv(BY, 'diff_v1_v2.csv')).toEqual([
    { client_id: 'c1', experience_id: 'exp1', channel: 'sms', field: 'ace_units', old_value: '1', new_value: '2', difference: '1', change: 'changed', reason: 'late delivery (+1 unit)' },
    { client_id: 'c1', experience_id: 'exp1', channel: 'sms', field: 'engagements', old_value: '1', new_value: '2', difference: '1', change: 'changed', reason: 'late delivery (+1 notification)' },
  ]);
  expect(fs.readFileSync(path.join(exportDir(OUT), `versions/v1/ace_units_${M}.csv`), 'utf8')).toBe(v1Csv);
  expect(JSON.parse(fs.readFileSync(path.join(exportDir(OUT), 'versions/v1/_manifest.json'), 'utf8'))).toEqual(v1Manifest);
  expect(manifest(OUT).total_ace_units).toBe(2);
});

test('a late attempt for an unattributed delivery: export v3 with reason "late attempt"', async () => {
  // Attempted 2026-02-20 10:00 ET, arriving at 2026-02-21T12Z (inside 02-20's window).
  writeRaw(lake, 'notification_attempted', '2026-02-21T12', 'late.ndjson', [attempt('la', '2026-02-20T15:00:00Z', { customer_id: 'u-la' })]);
  const expected = [
    'notification_attempted_daily 2026-02-19', 'notification_attempted_daily 2026-02-20', 'notification_attempted_daily 2026-02-21',
    `ace_unit_calc_daily ${LAST}`, `${OUT} ${M}`, `${BY} ${M}`,
  ].sort();
  expect(await stale()).toEqual(expected);
  const results = await restateMonth(lake.services, M, {});
  expect(jobsRan(results)).toEqual(expected);
  expect(manifest(OUT)).toMatchObject({ version: 3, total_ace_units: 3, previous_version: { version: 2, diff: 'diff_v2_v3.csv' } });
  expect(csv(OUT, 'diff_v2_v3.csv')).toEqual([
    { client_id: 'c1', field: 'ace_units', old_value: '2', new_value: '3', difference: '1', change: 'changed', reason: 'late attempt (+1 unit)' },
    { client_id: 'c1', field: 'delivered_notifications', old_value: '2', new_value: '3', difference: '1', change: 'changed', reason: 'late attempt (+1 notification)' },
    { client_id: 'c1', field: 'attempted_notifications', old_value: '2', new_value: '3', difference: '1', change: 'changed', reason: 'late attempt (+1 notification)' },
  ]);
  expect(csv(BY, 'diff_v2_v3.csv')).toEqual([
    { client_id: 'c1', experience_id: 'exp1', channel: 'sms', field: 'ace_units', old_value: '2', new_value: '3', difference: '1', change: 'changed', reason: 'late attempt (+1 unit)' },
    { client_id: 'c1', experience_id: 'exp1', channel: 'sms', field: 'engagements', old_value: '2', new_value: '3', difference: '1', change: 'changed', reason: 'late attempt (+1 notification)' },
  ]);
  expect(csv(OUT, 'diff_units_v2_v3.csv')).toEqual([{ client_id: 'c1', customer_id: 'u-la', change: 'added', reason: 'late attempt', first_notification_id: 'n-la' }]);
  for (const v of [1, 2]) expect(fs.existsSync(path.join(exportDir(OUT), `versions/v${v}/_manifest.json`))).toBe(true);
});

test('a late attempt of a new client with no delivery: v4 adds its row, every field listed, no unit and no unit diff', async () => {
  writeRaw(lake, 'notification_attempted', '2026-02-15T15', 'late-c2.ndjson', [attempt('c2-a', '2026-02-14T15:00:00Z', { client_id: 'c2', customer_id: 'u-c2' })]);
  await restateMonth(lake.services, M, {});
  expect(manifest(OUT)).toMatchObject({ version: 4, total_ace_units: 3, previous_version: { version: 3, diff: 'diff_v3_v4.csv', unit_diff: 'diff_units_v3_v4.csv' } });
  const added = { client_id: 'c2', old_value: '', change: 'added' };
  expect(csv(OUT, 'diff_v3_v4.csv')).toEqual([
    { ...added, field: 'client_name', new_value: '', difference: '', reason: '' },
    { ...added, field: 'billing_account_id', new_value: '', difference: '', reason: '' },
    { ...added, field: 'is_billable', new_value: 'false', difference: '', reason: '' },
    { ...added, field: 'ace_units', new_value: '0', difference: '0', reason: '' },
    { ...added, field: 'delivered_notifications', new_value: '0', difference: '0', reason: '' },
    { ...added, field: 'attempted_notifications', new_value: '1', difference: '1', reason: 'late attempt (+1 notification)' },
    { ...added, field: 'rule_version', new_value: 'ace-v1', difference: '', reason: '' },
  ]);
  expect(csv(OUT, 'diff_units_v3_v4.csv')).toEqual([]);
  // The outcome export has no row for a client without units: unchanged, so no new version.
  expect(manifest(BY)).toMatchObject({ version: 3 });
});

test('an unchanged restate rebuilds nothing and writes no new export version', async () => {
  const before = listFiles(lake, 'exports');
  const manifestBefore = manifest(OUT);
  const results = await restateMonth(lake.services, M, {});
  expect(jobsRan(results)).toEqual([]);
  expect(results.map((r) => r.job).sort()).toEqual([OUT, BY].sort());
  expect(listFiles(lake, 'exports')).toEqual(before);
  expect(manifest(OUT)).toEqual(manifestBefore);
});
