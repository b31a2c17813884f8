/**
 * End to end through the real CLI on the reference month (tests/fixtures/sample-month, a copy of the
 * shared fixture): the run described in its README, compared row for row with expected/.
 * The fixture owns 2 bad lines among 168 in the arrival hours of 2026-03-11 (1.19%), so with the
 * default ACE_MAX_REJECT_RATE of 1% SPEC.md makes that date fail; the month is therefore run with
 * 2%, and a separate test proves the default refuses 2026-03-11, naming the file.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseCsv, parseCsvObjects } from '../helpers/csv';

const ROOT = path.resolve(__dirname, '../..');
const FIXTURE = path.join(ROOT, 'tests/fixtures/sample-month');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

function cli(script: string, args: string[], env: Record<string, string>) {
  return spawnSync(TSX, [path.join(ROOT, 'src/cli', script), ...args], {
    cwd: ROOT,
    env: { ...process.env, LOG_FORMAT: 'json', TZ: 'UTC', ...env },
    encoding: 'utf8',
  });
}

function ok(script: string, args: string[], env: Record<string, string>): string {
  const r = cli(script, args, env);
  if (r.status !== 0) throw new Error(`${script} ${args.join(' ')} exited ${r.status}: ${r.stderr.split('\n').filter((l) => l.startsWith('error')).join(' ')}`);
  return r.stdout;
}

const expected = (name: string) => parseCsv(fs.readFileSync(path.join(FIXTURE, 'expected', name), 'utf8'));

describe('sample month (reference results)', () => {
  let lake: string;
  let env: Record<string, string>;

  beforeAll(() => {
    lake = fs.mkdtempSync(path.join(os.tmpdir(), 'ace-e2e-'));
    fs.cpSync(path.join(FIXTURE, 'raw'), path.join(lake, 'raw'), { recursive: true });
    env = { ACE_LAKE_ROOT: lake, ACE_MAX_REJECT_RATE: '0.02' };
    const v1 = { ...env, ACE_WAREHOUSE_URL: `file://${FIXTURE}/dim_customer_v1.csv` };
    for (const date of ['2026-02-26', '2026-02-27', '2026-02-28']) {
      for (const job of ['notification_attempted_daily', 'notification_delivered_daily', 'outcome_experience_lookup_daily', 'dim_customer_daily']) {
        ok('job.ts', [job, '--date', date], v1);
      }
    }
    ok('pipeline.ts', ['daily', '--from', '2026-03-01', '--to', '2026-03-31'], { ...env, ACE_WAREHOUSE_URL: `file://${FIXTURE}/dim_customer_v2.csv` });
    ok('pipeline.ts', ['monthly', '--month', '2026-03'], env);
  });

  afterAll(() => fs.rmSync(lake, { recursive: true, force: true }));

  const query = (sql: string) => parseCsv(ok('query.ts', ['--format', 'csv', sql], env));

  test('ace_units_2026-03.csv matches', () => {
    const got = parseCsv(fs.readFileSync(path.join(lake, 'exports/ace_unit_monthly_output/billing_month=2026-03/ace_units_2026-03.csv'), 'utf8'));
    expect(got).toEqual(expected('ace_units_2026-03.csv'));
  });

  test('ace_units_by_outcome_experience_2026-03.csv matches', () => {
    const got = parseCsv(
      fs.readFileSync(path.join(lake, 'exports/ace_unit_monthly_outcome_experience_output/billing_month=2026-03/ace_units_by_outcome_experience_2026-03.csv'), 'utf8'),
    );
    expect(got).toEqual(expected('ace_units_by_outcome_experience_2026-03.csv'));
  });

  test('audit rows match', () => {
    const got = query(`SELECT client_id, customer_id, first_notification_id, first_experience_id, first_channel, first_engaged_date,
      engagements, engaged_days, epoch_ms(first_engaged_at) AS first_engaged_at_epoch_ms, epoch_ms(last_engaged_at) AS last_engaged_at_epoch_ms
      FROM ace_unit_audit WHERE billing_month = '2026-03' ORDER BY client_id, customer_id`);
    expect(got).toEqual(expected('ace_unit_audit_2026-03.csv'));
  });

  test('agg rows match', () => {
    const got = query(`SELECT client_id, date, new_ace_units, mtd_ace_units, engaged_customers, delivered_notifications, attempted_notifications
      FROM ace_unit_agg WHERE billing_month = '2026-03' ORDER BY client_id, date`);
    expect(got).toEqual(expected('ace_unit_agg_2026-03.csv'));
  });

  test('unattributed deliveries per date match', () => {
    const got = query(`SELECT dt AS date, count(*) AS unattributed_deliveries FROM unattributed_deliveries
      WHERE dt BETWEEN '2026-03-01' AND '2026-03-31' GROUP BY dt ORDER BY dt`);
    expect(got).toEqual(expected('unattributed_deliveries_by_date.csv'));
  });

  test('manifests describe their CSVs', () => {
    const dir = path.join(lake, 'exports/ace_unit_monthly_output/billing_month=2026-03');
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, '_manifest.json'), 'utf8'));
    const csv = fs.readFileSync(path.join(dir, 'ace_units_2026-03.csv'));
    expect(manifest.sha256).toBe(require('node:crypto').createHash('sha256').update(csv).digest('hex'));
    expect(manifest.rows).toBe(12);
    expect(manifest.total_ace_units).toBe(parseCsvObjects(fs.readFileSync(path.join(FIXTURE, 'expected/ace_units_2026-03.csv'), 'utf8')).reduce((s, r) => s + Number(r.ace_units), 0));
    expect(manifest.partial).toBe(false);
    expect(manifest.warnings.join(' ')).toMatch(/c12/);
    expect(manifest.warnings.join(' ')).toMatch(/exp29/);
  });

  test('with the default 1% threshold, 2026-03-11 is refused naming a bad line, and nothing is published', () => {
    const before = fs.readFileSync(path.join(lake, 'tables/notification_attempted/dt=2026-03-11/_current.json'), 'utf8');
    const r = cli('job.ts', ['notification_attempted_daily', '--date', '2026-03-11'], { ACE_LAKE_ROOT: lake });
    expect(r.status).not.toBe(0);
    const line = r.stderr.split('\n').find((l) => l.startsWith('error:'))!;
    expect(line).toMatch(/notification_attempted_daily 2026-03-11/);
    expect(line).toMatch(/2 of 168/);
    expect(line).toMatch(/raw\/notification_attempted\/2026\/03\/11\/18\/notification_attempted-1-2026-03-11-18-0-4e137ffa:4 invalid_value\(event_id\)/);
    expect(fs.readFileSync(path.join(lake, 'tables/notification_attempted/dt=2026-03-11/_current.json'), 'utf8')).toBe(before);
  });

  test('bad command lines get one clear line and a non-zero exit', () => {
    const cases: [string[], RegExp][] = [
      [['no_such_job', '--date', '2026-03-01'], /unknown job "no_such_job"/],
      [['ace_unit_calc_daily', '--date', '2026-02-30'], /not a valid date/],
      [['ace_unit_monthly_output', '--month', '2026-04'], /no ace_unit_audit.*2026-04/],
      [['ace_unit_calc_daily', '--date', '2026-04-02'], /missing input partitions: .*notification_delivered dt=2026-04-01/],
    ];
    for (const [args, message] of cases) {
      const r = cli('job.ts', args, env);
      expect(r.status).not.toBe(0);
      expect(r.stderr.trim().split('\n').pop()).toMatch(message);
    }
  });
});

test('an unreadable lake root is refused before any work', () => {
  const r = spawnSync(TSX, [path.join(ROOT, 'src/cli/job.ts'), 'notification_attempted_daily', '--date', '2026-03-01'], {
    cwd: ROOT,
    env: { ...process.env, ACE_LAKE_ROOT: '/nonexistent/ace-lake', LOG_FORMAT: 'json' },
    encoding: 'utf8',
  });
  expect(r.status).toBe(3);
  expect(r.stderr).toMatch(/lake root \/nonexistent\/ace-lake does not exist/);
});

void execFileSync;
