/**
 * Issue 13, point 7 (local form): `npm run pipeline -- daily` (the scheduled form) after an outage of
 * 4 days plans every date whose window closed since the last *successful* scheduled run, from the
 * state in the lake's `_state/daily_last_run.json` (the key the production state machine reads and
 * writes too). A run that fails leaves the state as it was, so the next one plans the same dates again.
 * ACE_NOW sets the scheduled run's clock.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Lake, makeLake, closeLake, writeRaw, attempt, delivery, experienceConfig, writeWarehouseCsv, pointer } from '../helpers/lake';
import { DAILY_STATE_KEY, dailyRunState } from '../../src/graph/schedule';
import { BusinessDate } from '../../src/time/time';
import { cli } from './helpers';

let lake: Lake;
const statePath = () => path.join(lake.root, DAILY_STATE_KEY);
const readState = () => JSON.parse(fs.readFileSync(statePath(), 'utf8'));

/** The scheduled form through the real CLI, at the instant `now` (ACE_NOW). */
const scheduledRun = (now: string) => cli(lake, 'pipeline', ['daily'], { ACE_NOW: now });
/** The `schedule.dates` log events (JSON logs go to stderr). */
const plannedDates = (stderr: string) =>
  stderr
    .split('\n')
    .filter((l) => l.includes('"schedule.dates"'))
    .map((l) => (JSON.parse(l) as { dates: string }).dates.split(','));

// The last successful scheduled run: 2026-03-03 04:15 EST. The runs of 03-04 … 03-07 did not happen.
const LAST_SUCCESS = dailyRunState(new Date('2026-03-03T09:15:00Z'), 48, ['2026-02-28', '2026-03-01', '2026-03-02'] as BusinessDate[]);
// 2026-03-08 04:15 EDT (the spring-forward day).
const NOW = '2026-03-08T08:15:00Z';
const CATCH_UP = ['2026-03-01', '2026-03-02', '2026-03-03', '2026-03-04', '2026-03-05', '2026-03-06', '2026-03-07'];

beforeAll(async () => {
  lake = await makeLake();
  writeWarehouseCsv(lake, [['c1', 'Client One', 'acct-1', false, 'active', '2026-01-01T00:00:00Z']]);
  writeRaw(lake, 'experience_config', '2026-03-01T15', 'cfg.ndjson', [experienceConfig('exp1', '2026-03-01T15:00:00Z')]);
  for (const day of ['02', '05']) {
    writeRaw(lake, 'notification_attempted', `2026-03-${day}T15`, 'a.ndjson', [attempt(`a${day}`, `2026-03-${day}T15:00:00Z`, { customer_id: `u${day}` })]);
    writeRaw(lake, 'notification_delivered', `2026-03-${day}T15`, 'd.ndjson', [delivery(`a${day}`, `2026-03-${day}T15:01:00Z`)]);
  }
  fs.mkdirSync(path.dirname(statePath()), { recursive: true });
  fs.writeFileSync(statePath(), JSON.stringify(LAST_SUCCESS));
  expect(LAST_SUCCESS.closed_through).toBe('2026-02-28');
});
afterAll(async () => {
  await closeLake(lake);
});

test('a run that fails part-way (a bad file on 2026-03-04) leaves the state: the dates are not skipped later', () => {
  const bad = writeRaw(lake, 'notification_attempted', '2026-03-04T15', 'bad.ndjson', ['not json', 'not json either']);
  const r = scheduledRun(NOW);
  fs.rmSync(path.join(lake.root, bad));
  expect(r.status).toBe(4);
  expect(plannedDates(r.stderr)).toEqual([CATCH_UP]);
  expect(r.stderr).toContain('notification_attempted_daily 2026-03-04');
  expect(readState()).toEqual(LAST_SUCCESS);
});

test('an outage of 4 days: the next run rebuilds every date whose window closed since the last success, oldest first, then records itself', () => {
  const r = scheduledRun(NOW);
  expect(r.stderr).not.toMatch(/^error:/m);
  expect(r.status).toBe(0);
  expect(plannedDates(r.stderr)).toEqual([CATCH_UP]);
  for (const date of CATCH_UP) {
    for (const table of ['notification_attempted', 'notification_delivered', 'outcome_experience_lookup', 'dim_customer']) {
      const key = table === 'outcome_experience_lookup' || table === 'dim_customer' ? 'snapshot_date' : 'dt';
      expect(pointer(lake, table, key, date)).not.toBeNull();
    }
  }
  expect(pointer(lake, 'ace_unit_audit', 'billing_month', '2026-03')?.meta.as_of_date).toBe('2026-03-07');
  // The state the production machine writes too: windows closed through 03-05 at 04:15 EDT on 03-08.
  expect(readState()).toEqual({ at: '2026-03-08T08:15:00.000Z', closed_through: '2026-03-05', closed_month: '2026-02', dates: CATCH_UP });
});

test('the next morning plans only the dates still open or closed since: 2026-03-06 … 2026-03-08', () => {
  const r = scheduledRun('2026-03-09T08:15:00Z');
  expect(r.status).toBe(0);
  expect(plannedDates(r.stderr)).toEqual([['2026-03-06', '2026-03-07', '2026-03-08']]);
  expect(readState().closed_through).toBe('2026-03-06');
});
