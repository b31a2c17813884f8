/**
 * Issue 13, point 6: the month close (`--final`) never marks a broken month final. Through the real
 * CLI (`job … --final`, `pipeline monthly --final`, `pipeline restate --final`) on a tiny February
 * 2026 built in-process: it refuses with exit 4, naming every stale or missing date, while the last
 * day's window is open, while a date lacks a partition (a failed daily run), and while a date is
 * stale (late data); nothing under exports/ changes. Once restated, the close marks both exports final.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Lake, makeLake, closeLake, writeRaw, run, attempt, delivery, experienceConfig, writeWarehouseCsv } from '../helpers/lake';
import { runGraph } from '../../src/graph/runner';
import { MONTHLY_GRAPH } from '../../src/graph/graph';
import { addDays, datesBetween, BusinessDate, BillingMonth } from '../../src/time/time';
import { cli, listFiles } from './helpers';

const M = '2026-02' as BillingMonth;
const LAST = '2026-02-28' as BusinessDate;
const OUT = 'ace_unit_monthly_output';
const BY = 'ace_unit_monthly_outcome_experience_output';
/** The daily graph of this date "failed" at its lookup job: that partition is never built. */
const FAILED_LOOKUP_DATE = '2026-02-15';

let lake: Lake;
const manifest = (job: string) => JSON.parse(fs.readFileSync(path.join(lake.root, 'exports', job, `billing_month=${M}`, '_manifest.json'), 'utf8'));
const snapshot = () => listFiles(lake, 'exports').map((f) => `${f} ${fs.readFileSync(path.join(lake.root, f), 'utf8').length}`);
/** The CLI's one-line error (stderr ends with it; JSON logs go to stdout). */
const errorLine = (stderr: string) => stderr.trim().split('\n').filter((l) => l.startsWith('error: ')).at(-1) ?? stderr;

beforeAll(async () => {
  lake = await makeLake();
  writeWarehouseCsv(lake, [['c1', 'Client One', 'acct-1', false, 'active', '2026-01-01T00:00:00Z']]);
  writeRaw(lake, 'experience_config', '2026-02-01T15', 'cfg.ndjson', [experienceConfig('exp1', '2026-02-01T15:00:00Z')]);
  writeRaw(lake, 'notification_attempted', '2026-02-10T15', 'a.ndjson', [attempt('ok', '2026-02-10T15:00:00Z', { customer_id: 'u-ok' })]);
  writeRaw(lake, 'notification_delivered', '2026-02-10T15', 'd.ndjson', [delivery('ok', '2026-02-10T15:01:00Z')]);
  writeRaw(lake, 'notification_attempted', '2026-02-27T15', 'a.ndjson', [attempt('ld', '2026-02-27T15:00:00Z', { customer_id: 'u-ld' })]); // delivered late, below
  const ingest = datesBetween(addDays('2026-02-01' as BusinessDate, -3), LAST).flatMap((d) => [
    ['notification_attempted_daily', d] as const,
    ...(d >= '2026-02-01' ? ([['notification_delivered_daily', d]] as const) : []),
    ...(d >= '2026-02-01' && d !== FAILED_LOOKUP_DATE ? ([['outcome_experience_lookup_daily', d]] as const) : []),
  ]);
  for (const [job, date] of ingest) await run(lake, job, { date }); // one at a time: DuckDB memory is capped in tests
  await run(lake, 'dim_customer_daily', { date: LAST });
  await run(lake, 'ace_unit_calc_daily', { date: LAST });
  // Version 1 on the 1st of the month, not final (the schedule's monthly run).
  await runGraph(lake.services, MONTHLY_GRAPH, { month: M });
});
afterAll(async () => {
  await closeLake(lake);
});

test('version 1 exists and is not final', () => {
  for (const job of [OUT, BY]) expect(manifest(job)).toMatchObject({ version: 1, final: false, partial: false });
});

test('the last day\'s window still open: job --final exits 4 naming the window (and the missing date); nothing is written', () => {
  const before = snapshot();
  // 2026-03-02 12:00Z: 2026-02-28 closes at start(03-01) + 48 h = 2026-03-03T05:00Z.
  const r = cli(lake, 'job', [OUT, '--month', M, '--final'], { ACE_NOW: '2026-03-02T12:00:00Z' });
  expect(r.status).toBe(4);
  const line = errorLine(r.stderr);
  expect(line).toContain(`error: ${OUT} ${M}: refusing to mark ${M} final: `);
  expect(line).toContain(`${LAST} window still open (the arrival window of ${LAST} closes at 2026-03-03T05:00:00.000Z)`);
  expect(line).toContain(`outcome_experience_lookup_daily ${FAILED_LOOKUP_DATE} missing`);
  expect(line).toContain('Nothing was written; close the month after 2026-03-03T05:00:00.000Z');
  expect(snapshot()).toEqual(before);
  expect(manifest(OUT).final).toBe(false);
});

test('a date whose daily run failed (a partition missing): job --final exits 4 naming it; nothing is written', () => {
  const before = snapshot();
  const r = cli(lake, 'job', [BY, '--month', M, '--final']);
  expect(r.status).toBe(4);
  const line = errorLine(r.stderr);
  expect(line).toMatch(new RegExp(`^error: ${BY} ${M}: refusing to mark ${M} final: outcome_experience_lookup_daily ${FAILED_LOOKUP_DATE} missing \\(`));
  expect(line).not.toContain('window still open');
  expect(line).toContain(`npm run pipeline -- restate --month ${M}`);
  expect(snapshot()).toEqual(before);
  expect(manifest(BY).final).toBe(false);
});

test('a stale date (late data): pipeline monthly --final exits 4 naming the stale dates and the calc; nothing is written', async () => {
  await run(lake, 'outcome_experience_lookup_daily', { date: FAILED_LOOKUP_DATE }); // the failed date is rebuilt
  // Delivered 2026-02-27 15:00 ET, arriving at 2026-02-28T10Z: read by the windows of 02-26, 02-27 and 02-28.
  writeRaw(lake, 'notification_delivered', '2026-02-28T10', 'late.ndjson', [delivery('ld', '2026-02-27T20:00:00Z')]);
  const before = snapshot();
  const r = cli(lake, 'pipeline', ['monthly', '--month', M, '--final']);
  expect(r.status).toBe(4);
  const line = errorLine(r.stderr);
  expect(line).toContain(`refusing to mark ${M} final: notification_delivered_daily 2026-02-26, 2026-02-27, 2026-02-28 stale (raw files in its window changed since it was built`);
  expect(line).toContain(`ace_unit_calc_daily ${LAST} stale`);
  expect(line).not.toContain('missing');
  expect(snapshot()).toEqual(before);
  for (const job of [OUT, BY]) expect(manifest(job)).toMatchObject({ version: 1, final: false });
});

test('--final with --allow-partial is a usage error (exit 2): a partial export is never final', () => {
  const r = cli(lake, 'job', [OUT, '--month', M, '--final', '--allow-partial']);
  expect(r.status).toBe(2);
  expect(errorLine(r.stderr)).toContain('a partial export cannot be final');
});

test('restate --final rebuilds the stale dates, then closes the month: both exports final, with the late unit', () => {
  const r = cli(lake, 'pipeline', ['restate', '--month', M, '--final']);
  expect(r.stderr).not.toContain('error:');
  expect(r.status).toBe(0);
  for (const job of [OUT, BY]) expect(manifest(job)).toMatchObject({ version: 2, final: true, previous_version: { version: 1 } });
  expect(manifest(OUT).total_ace_units).toBe(2);
  // Closing again is a no-op that keeps it final.
  const again = cli(lake, 'job', [OUT, '--month', M, '--final']);
  expect(again.status).toBe(0);
  expect(manifest(OUT)).toMatchObject({ version: 2, final: true });
});
