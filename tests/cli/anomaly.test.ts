/**
 * Anomaly checks through the real CLI: a generated lake (generated to 2026-03-18, so the last date run, 03-16, is whole; run 2026-03-01..16) plus a planted client
 * `c-drop` (5 customers, 10 notifications each a day, all delivered) whose deliveries drop by 90% on
 * 2026-03-15 (one per customer: attempts and engaged customers unchanged). Exactly that flag is raised:
 * a warning of the calc run in the ledger, the one entry of both monthly manifests' `anomalies`; with
 * --fail-on-anomaly the job exits 4 naming it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { bash, cliCommand, emptyLake } from './helpers';
import { attempt, delivery } from '../helpers/lake';

const MONTH = '2026-03';
const DROP = '2026-03-15';

/** The planted client's raw files for one date, arriving at 16:00 UTC (11:00/12:00 ET, same date). */
function plant(lake: string, date: string, delivered: (customer: number, n: number) => boolean): void {
  const hour = `${date.replace(/-/g, '/')}/16`;
  const attempts: string[] = [];
  const deliveries: string[] = [];
  for (let c = 1; c <= 5; c++) {
    for (let n = 1; n <= 10; n++) {
      const id = `drop-${date}-${c}-${n}`;
      attempts.push(JSON.stringify(attempt(id, `${date}T16:0${n % 10}:00.000Z`, { client_id: 'c-drop', customer_id: `u-drop-${c}`, experience_id: 'exp01' })));
      if (delivered(c, n)) deliveries.push(JSON.stringify(delivery(id, `${date}T16:1${n % 10}:00.000Z`)));
    }
  }
  for (const [stream, lines] of [['notification_attempted', attempts], ['notification_delivered', deliveries]] as const) {
    const dir = path.join(lake, 'raw', stream, hour);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'planted.json'), lines.map((l) => `${l}\n`).join(''));
  }
}

interface Flag {
  date: string;
  scope: string;
  subject: string;
  metric: string;
  value: number;
}

describe('anomaly checks', () => {
  let lake: string;
  const ok = (script: string) => {
    const r = bash(lake, script);
    if (r.status !== 0) throw new Error(`${script} exited ${r.status}: ${r.stderr.slice(-2000)}`);
    return r.stdout;
  };
  const query = <T>(sql: string): T[] => JSON.parse(ok(cliCommand('query', ['--format', 'json', sql]))) as T[];

  beforeAll(() => {
    lake = emptyLake();
    ok(cliCommand('generate', ['--root', lake, '--from', '2026-03-01', '--to', '2026-03-18', '--events-per-day', '150', '--seed', '3']));
    for (let day = 1; day <= 16; day++) {
      const date = `2026-03-${String(day).padStart(2, '0')}`;
      plant(lake, date, (_c, n) => date !== DROP || n === 1);
    }
    ok(cliCommand('pipeline', ['daily', '--from', '2026-03-01', '--to', '2026-03-16']));
    ok(cliCommand('pipeline', ['monthly', '--month', MONTH, '--allow-partial']));
  });

  afterAll(() => fs.rmSync(lake, { recursive: true, force: true }));

  const theFlag = { date: DROP, scope: 'client', subject: 'c-drop', metric: 'delivered', value: 5 };

  test('the ledger: the calc run of the drop date warns of exactly that anomaly, no other run flags anything', () => {
    const runs = query<{ job: string; period: string; details: string }>(`select job, period, details from runs where status = 'succeeded' order by job, period`);
    const flagged = runs.flatMap((r) => ((JSON.parse(r.details).anomalies ?? []) as Flag[]).map((f) => ({ job: r.job, period: r.period, ...f })));
    expect(flagged).toEqual([expect.objectContaining({ job: 'ace_unit_calc_daily', period: DROP, ...theFlag })]);
    const calc = JSON.parse(runs.find((r) => r.job === 'ace_unit_calc_daily' && r.period === DROP)!.details);
    expect(calc.warnings).toContainEqual(expect.stringMatching(/^anomaly: client c-drop delivered on 2026-03-15 = 5, outside \[/));
    // The attempts and engaged customers of that date, and the other dates, are inside their bands.
    const agg = query<{ date: string; attempted_notifications: number; delivered_notifications: number; engaged_customers: number }>(
      `select strftime(date, '%Y-%m-%d') as date, attempted_notifications::INTEGER as attempted_notifications, delivered_notifications::INTEGER as delivered_notifications, engaged_customers::INTEGER as engaged_customers from ace_unit_agg where client_id = 'c-drop' and date in ('2026-03-14', '${DROP}') order by date`,
    );
    expect(agg).toEqual([
      { date: '2026-03-14', attempted_notifications: 50, delivered_notifications: 50, engaged_customers: 5 },
      { date: DROP, attempted_notifications: 50, delivered_notifications: 5, engaged_customers: 5 },
    ]);
  });

  test("both monthly manifests list exactly that flag under 'anomalies'", () => {
    for (const job of ['ace_unit_monthly_output', 'ace_unit_monthly_outcome_experience_output']) {
      const manifest = JSON.parse(fs.readFileSync(path.join(lake, `exports/${job}/billing_month=${MONTH}/_manifest.json`), 'utf8'));
      expect(manifest.anomalies).toEqual([expect.objectContaining(theFlag)]);
      expect(manifest.anomalies[0].basis).toBe('last28');
    }
  });

  test('--fail-on-anomaly: the job exits 4 naming the flag, and publishes nothing', () => {
    const before = fs.readFileSync(path.join(lake, 'tables/ace_unit_agg/billing_month=2026-03/_current.json'), 'utf8');
    const r = bash(lake, cliCommand('job', ['ace_unit_calc_daily', '--date', DROP, '--force', '--fail-on-anomaly']));
    expect(r.status).toBe(4);
    const error = r.stderr.trim().split('\n').filter((l) => l.startsWith('error:'));
    expect(error).toHaveLength(1);
    expect(error[0]).toContain(`ace_unit_calc_daily ${DROP}: 1 anomaly (--fail-on-anomaly): anomaly: client c-drop delivered on ${DROP} = 5`);
    expect(fs.readFileSync(path.join(lake, 'tables/ace_unit_agg/billing_month=2026-03/_current.json'), 'utf8')).toBe(before);
  });
});
