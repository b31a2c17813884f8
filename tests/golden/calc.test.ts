/**
 * Golden dataset for ace_unit_calc_daily (SPEC.md "The ACE unit rule"): one client/customer per
 * behaviour, ingested through the real ingest jobs for 2026-02-26 … 2026-03-05 (EST: a date D is
 * [D 05:00Z, D+1 05:00Z)), then the calc as of 2026-03-05, and the exact audit, agg and unattributed rows.
 */
import {
  Lake, makeLake, closeLake, writeRaw, run, runFailing, query, pointer, attempt, delivery, hourOf, Attempt, Delivery,
} from '../helpers/lake';
import { datesBetween, BusinessDate } from '../../src/time/time';
import { JobResult } from '../../src/run/job';

const att = (a: Attempt) => writeRaw(lake, 'notification_attempted', hourOf(a.attempted_at), `${a.event_id}.ndjson`, [a]);
const del = (d: Delivery) => writeRaw(lake, 'notification_delivered', hourOf(d.delivered_at), `${d.event_id}.ndjson`, [d]);

async function ingest(l: Lake, from: string, to: string): Promise<void> {
  for (const d of datesBetween(from as BusinessDate, to as BusinessDate)) {
    await run(l, 'notification_attempted_daily', { date: d });
    await run(l, 'notification_delivered_daily', { date: d });
  }
}

const AUDIT_SQL = `SELECT client_id, customer_id,
    strftime(first_engaged_at, '%Y-%m-%dT%H:%M:%S.%gZ') AS first_at, first_engaged_date::VARCHAR AS first_date,
    first_notification_id AS first_n, first_experience_id AS first_exp, first_channel AS first_ch,
    strftime(last_engaged_at, '%Y-%m-%dT%H:%M:%S.%gZ') AS last_at, engagements::INTEGER AS engagements, engaged_days::INTEGER AS days,
    billing_month, as_of_date::VARCHAR AS as_of, rule_version
  FROM ace_unit_audit ORDER BY client_id, customer_id`;
const AGG_SQL = `SELECT client_id, date::VARCHAR AS date, new_ace_units::INTEGER AS new, mtd_ace_units::INTEGER AS mtd,
    engaged_customers::INTEGER AS cust, delivered_notifications::INTEGER AS del, attempted_notifications::INTEGER AS att
  FROM ace_unit_agg ORDER BY client_id, date`;

let lake: Lake;
let result: JobResult;

beforeAll(async () => {
  lake = await makeLake();
  // c1 retry: the earliest attempt (3/01, u1, e2, email) supplies the attributes; the delivery's channel is ignored.
  att(attempt('r', '2026-03-01T14:00:00Z', { event_id: 'a-r-early', customer_id: 'u1', experience_id: 'e2', channel: 'email' }));
  att(attempt('r', '2026-03-02T15:00:00Z', { event_id: 'a-r-late', customer_id: 'u-late', experience_id: 'e-late', channel: 'sms' }));
  del(delivery('r', '2026-03-02T16:00:00Z', { channel: 'push' }));
  // c2 tie on attempted_at: the smallest event_id, byte-wise ('e-B' < 'e-a'), supplies the customer.
  att(attempt('t', '2026-03-03T14:00:00Z', { event_id: 'e-a', client_id: 'c2', customer_id: 'u-a' }));
  att(attempt('t', '2026-03-03T14:00:00Z', { event_id: 'e-B', client_id: 'c2', customer_id: 'u-B' }));
  del(delivery('t', '2026-03-03T15:00:00Z'));
  // c1 attempt stamped 5 s after its delivery still matches.
  att(attempt('s', '2026-03-04T12:00:05Z', { customer_id: 'u2' }));
  del(delivery('s', '2026-03-04T12:00:00Z'));
  // c1 delivered on 3/05: the attempt on 3/01 is beyond the 3-day lookback; the one on 3/02 (D−3) is within.
  att(attempt('old', '2026-03-01T14:00:00Z', { customer_id: 'u3' }));
  del(delivery('old', '2026-03-05T14:00:00Z'));
  att(attempt('edge', '2026-03-02T14:00:00Z', { customer_id: 'u4' }));
  del(delivery('edge', '2026-03-05T15:00:00Z'));
  // An orphan receipt: no attempt at all.
  del(delivery('orphan', '2026-03-05T16:00:00Z', { channel: 'wire' }));
  // c3 across midnight: attempted 3/03 23:50 ET, delivered 3/04 00:10 ET: engaged on 3/04.
  att(attempt('x', '2026-03-04T04:50:00Z', { client_id: 'c3', customer_id: 'u5' }));
  del(delivery('x', '2026-03-04T05:10:00Z'));
  // c4 first-touch tie: two notifications delivered at the same instant; the smallest id ('nZ' < 'na') wins.
  att(attempt('Z', '2026-03-02T17:00:00Z', { notification_id: 'nZ', client_id: 'c4', customer_id: 'u6', experience_id: 'exp-Z', channel: 'sms' }));
  att(attempt('a', '2026-03-02T17:00:00Z', { notification_id: 'na', client_id: 'c4', customer_id: 'u6', experience_id: 'exp-a', channel: 'email' }));
  del(delivery('Z', '2026-03-02T18:00:00Z', { notification_id: 'nZ' }));
  del(delivery('a', '2026-03-02T18:00:00Z', { notification_id: 'na' }));
  // c4 one notification delivered on two dates (three receipts): counts on each date; 3/02's time is its earliest receipt.
  att(attempt('tw', '2026-03-01T14:00:00Z', { client_id: 'c4', customer_id: 'u7' }));
  del(delivery('tw', '2026-03-01T15:00:00Z', { event_id: 'd-tw1' }));
  del(delivery('tw', '2026-03-02T15:00:00Z', { event_id: 'd-tw2' }));
  del(delivery('tw', '2026-03-02T14:30:00Z', { event_id: 'd-tw3' }));
  // c5 only attempts.
  att(attempt('only', '2026-03-03T14:00:00Z', { client_id: 'c5', customer_id: 'u9' }));
  // c6 delivered on 3/01 from an attempt in February's lookback (2/27).
  att(attempt('feb', '2026-02-27T14:00:00Z', { client_id: 'c6', customer_id: 'u8' }));
  del(delivery('feb', '2026-03-01T14:00:00Z'));
  await ingest(lake, '2026-02-26', '2026-03-05');
  result = await run(lake, 'ace_unit_calc_daily', { date: '2026-03-05' });
});
afterAll(async () => {
  await closeLake(lake);
});

const unit = (client_id: string, customer_id: string, first_at: string, first_n: string, first_exp: string, first_ch: string, last_at: string, engagements: number, days: number) => ({
  client_id, customer_id, first_at, first_date: businessDate(first_at), first_n, first_exp, first_ch, last_at, engagements, days,
  billing_month: '2026-03', as_of: '2026-03-05', rule_version: 'ace-v1',
});
// Every instant in this file is EST (UTC−5).
const businessDate = (iso: string) => new Date(Date.parse(iso) - 5 * 3_600_000).toISOString().slice(0, 10);

test('the audit has exactly one row per unit with its first touch', async () => {
  expect(result.status).toBe('succeeded');
  expect(result.warnings).toEqual([]);
  expect(await query(lake, AUDIT_SQL)).toEqual([
    unit('c1', 'u1', '2026-03-02T16:00:00.000Z', 'n-r', 'e2', 'email', '2026-03-02T16:00:00.000Z', 1, 1),
    unit('c1', 'u2', '2026-03-04T12:00:00.000Z', 'n-s', 'exp1', 'sms', '2026-03-04T12:00:00.000Z', 1, 1),
    unit('c1', 'u4', '2026-03-05T15:00:00.000Z', 'n-edge', 'exp1', 'sms', '2026-03-05T15:00:00.000Z', 1, 1),
    unit('c2', 'u-B', '2026-03-03T15:00:00.000Z', 'n-t', 'exp1', 'sms', '2026-03-03T15:00:00.000Z', 1, 1),
    unit('c3', 'u5', '2026-03-04T05:10:00.000Z', 'n-x', 'exp1', 'sms', '2026-03-04T05:10:00.000Z', 1, 1),
    unit('c4', 'u6', '2026-03-02T18:00:00.000Z', 'nZ', 'exp-Z', 'sms', '2026-03-02T18:00:00.000Z', 2, 1),
    unit('c4', 'u7', '2026-03-01T15:00:00.000Z', 'n-tw', 'exp1', 'sms', '2026-03-02T14:30:00.000Z', 1, 2),
    unit('c6', 'u8', '2026-03-01T14:00:00.000Z', 'n-feb', 'exp1', 'sms', '2026-03-01T14:00:00.000Z', 1, 1),
  ]);
  expect(result.details).toMatchObject({ billing_month: '2026-03', as_of_date: '2026-03-05', ace_units: 8 });
});

test('retries: the earliest attempt supplies client/customer/experience/channel (never the delivery channel)', async () => {
  const rows = await query(lake, `SELECT notification_id, client_id, customer_id, experience_id, channel, attempt_event_id FROM ace_engagement_daily WHERE notification_id IN ('n-r', 'n-t') ORDER BY 1`);
  expect(rows).toEqual([
    { notification_id: 'n-r', client_id: 'c1', customer_id: 'u1', experience_id: 'e2', channel: 'email', attempt_event_id: 'a-r-early' },
    { notification_id: 'n-t', client_id: 'c2', customer_id: 'u-B', experience_id: 'exp1', channel: 'sms', attempt_event_id: 'e-B' },
  ]);
  expect(await query(lake, `SELECT count(*)::INTEGER AS n FROM ace_unit_audit WHERE customer_id IN ('u-late', 'u-a')`)).toEqual([{ n: 0 }]);
});

test('unattributed deliveries (beyond the lookback, or no attempt) are recorded per date, never billed', async () => {
  expect(await query(lake, `SELECT dt::VARCHAR AS dt, notification_id, strftime(delivered_at, '%Y-%m-%dT%H:%M:%SZ') AS at, channel FROM unattributed_deliveries ORDER BY dt, notification_id`)).toEqual([
    { dt: '2026-03-05', notification_id: 'n-old', at: '2026-03-05T14:00:00Z', channel: 'sms' },
    { dt: '2026-03-05', notification_id: 'n-orphan', at: '2026-03-05T16:00:00Z', channel: 'wire' },
  ]);
  expect(result.details.unattributed_by_date).toEqual({ '2026-03-01': 0, '2026-03-02': 0, '2026-03-03': 0, '2026-03-04': 0, '2026-03-05': 2 });
  expect(await query(lake, `SELECT count(*)::INTEGER AS n FROM ace_unit_audit WHERE customer_id = 'u3'`)).toEqual([{ n: 0 }]);
});

test('agg rows exist only on dates with an attempt or an engagement, with exact counts', async () => {
  const r = (client_id: string, date: string, n: number, mtd: number, cust: number, d: number, a: number) => ({ client_id, date, new: n, mtd, cust, del: d, att: a });
  expect(await query(lake, AGG_SQL)).toEqual([
    r('c1', '2026-03-01', 0, 0, 0, 0, 2),
    r('c1', '2026-03-02', 1, 1, 1, 1, 2),
    r('c1', '2026-03-04', 1, 2, 1, 1, 1),
    r('c1', '2026-03-05', 1, 3, 1, 1, 0),
    r('c2', '2026-03-03', 1, 1, 1, 1, 1),
    r('c3', '2026-03-03', 0, 0, 0, 0, 1),
    r('c3', '2026-03-04', 1, 1, 1, 1, 0),
    r('c4', '2026-03-01', 1, 1, 1, 1, 1),
    r('c4', '2026-03-02', 1, 2, 2, 3, 2),
    r('c5', '2026-03-03', 0, 0, 0, 0, 1),
    r('c6', '2026-03-01', 1, 1, 1, 1, 0),
  ]);
  expect(await query(lake, `SELECT DISTINCT billing_month, as_of_date::VARCHAR AS as_of, rule_version, run_id FROM ace_unit_agg`)).toEqual([
    { billing_month: '2026-03', as_of: '2026-03-05', rule_version: 'ace-v1', run_id: result.runId },
  ]);
});

test('invariant: per client, audit rows = sum(new_ace_units) = mtd_ace_units on the last row', async () => {
  const rows = await query<{ client_id: string; audit: number; new_sum: number; last_mtd: number }>(lake, `
    WITH a AS (SELECT client_id, count(*)::INTEGER AS audit FROM ace_unit_audit GROUP BY ALL),
         g AS (SELECT client_id, sum(new_ace_units)::INTEGER AS new_sum, arg_max(mtd_ace_units, date)::INTEGER AS last_mtd FROM ace_unit_agg GROUP BY ALL)
    SELECT g.client_id, coalesce(a.audit, 0) AS audit, g.new_sum, g.last_mtd FROM g LEFT JOIN a USING (client_id) ORDER BY 1`);
  expect(rows.length).toBe(6);
  for (const r of rows) expect([r.client_id, r.audit, r.new_sum]).toEqual([r.client_id, r.last_mtd, r.last_mtd]);
});

test('running an earlier date after a later one holds the state as of that date, reusing the day intermediates', async () => {
  const r4 = await run(lake, 'ace_unit_calc_daily', { date: '2026-03-04' });
  expect(r4.details).toMatchObject({ as_of_date: '2026-03-04', ace_units: 7, days_rebuilt: 0 });
  const units = await query<{ client_id: string; customer_id: string; as_of: string }>(lake, `SELECT client_id, customer_id, as_of_date::VARCHAR AS as_of FROM ace_unit_audit ORDER BY 1, 2`);
  expect(units.map((u) => `${u.client_id}/${u.customer_id}`)).toEqual(['c1/u1', 'c1/u2', 'c2/u-B', 'c3/u5', 'c4/u6', 'c4/u7', 'c6/u8']);
  expect(new Set(units.map((u) => u.as_of))).toEqual(new Set(['2026-03-04']));
  expect(await query(lake, `SELECT max(date)::VARCHAR AS last FROM ace_unit_agg`)).toEqual([{ last: '2026-03-04' }]);
  // Back to 3/05: the same numbers as the first run.
  const r5 = await run(lake, 'ace_unit_calc_daily', { date: '2026-03-05' });
  expect(r5.details).toMatchObject({ ace_units: 8, days_rebuilt: 0 });
});

describe('missing inputs', () => {
  let l2: Lake;
  beforeAll(async () => {
    l2 = await makeLake();
  });
  afterAll(async () => {
    await closeLake(l2);
  });

  test('a missing partition in [M-01, D] fails the run naming it, and nothing is published', async () => {
    await run(l2, 'notification_attempted_daily', { date: '2026-03-01' });
    await run(l2, 'notification_delivered_daily', { date: '2026-03-01' });
    await run(l2, 'notification_delivered_daily', { date: '2026-03-02' });
    const err = await runFailing(l2, 'ace_unit_calc_daily', { date: '2026-03-03' });
    expect(err.message).toMatch(/^missing input partitions: /);
    const named = err.message.replace(/^missing input partitions: /, '').split('. ')[0].split(', ');
    expect(named.sort()).toEqual(['notification_attempted dt=2026-03-02', 'notification_attempted dt=2026-03-03', 'notification_delivered dt=2026-03-03']);
    expect((err as { code?: string }).code).toBe('missing_input');
    expect(pointer(l2, 'ace_unit_audit', 'billing_month', '2026-03')).toBeNull();
    expect(pointer(l2, 'ace_unit_agg', 'billing_month', '2026-03')).toBeNull();
  });

  test('missing lookback partitions before M-01 only warn, naming them', async () => {
    const r = await run(l2, 'ace_unit_calc_daily', { date: '2026-03-01' });
    expect(r.status).toBe('succeeded');
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toContain('notification_attempted dt=2026-02-26, 2026-02-27, 2026-02-28');
    await run(l2, 'notification_attempted_daily', { date: '2026-02-27' });
    const r2 = await run(l2, 'ace_unit_calc_daily', { date: '2026-03-01' });
    expect(r2.warnings).toHaveLength(1);
    expect(r2.warnings[0]).toContain('dt=2026-02-26, 2026-02-28 ');
  });
});
