/**
 * Warehouse credentials never reach the run ledger or stderr (issue 13, point 11), through the real CLI:
 * a failing connection with passwords in the forms a regex missed (`u:p@ss@h`, `:pw@h`, `?password=`);
 * a URL that disables TLS gets exactly one warning line, which hides the password too.
 */
import { Lake, makeLake, closeLake, query } from '../helpers/lake';
import { freePort } from '../helpers/postgres';
import { cli } from '../reliability/helpers';

let lake: Lake;
beforeAll(async () => {
  lake = await makeLake();
});
afterAll(async () => {
  await closeLake(lake);
});

test('a failing connection: no password in stderr or in the runs ledger, whatever its form; sslmode=disable warns once', async () => {
  const port = await freePort();
  const forms = [
    { url: `postgres://ace:p@ss-9f3k@127.0.0.1:${port}/dw`, secret: 'ss-9f3k' },
    { url: `postgres://:pw-7h2m@127.0.0.1:${port}/dw`, secret: 'pw-7h2m' },
    { url: `postgres://ace@127.0.0.1:${port}/dw?password=pw-4q8z`, secret: 'pw-4q8z' },
    { url: `postgres://ace:p%40w-5r1c@127.0.0.1:${port}/dw?sslmode=disable`, secret: 'w-5r1c', weak: true },
  ];
  for (const [i, f] of forms.entries()) {
    const r = cli(lake, 'job', ['dim_customer_daily', '--date', `2026-03-1${i}`], { ACE_WAREHOUSE_URL: f.url });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/cannot connect to the warehouse postgres:\/\/.*127\.0\.0\.1/);
    expect(r.stderr).not.toContain(f.secret);
    expect(r.stdout).not.toContain(f.secret);
    const warnings = r.stderr.split('\n').filter((l) => l.includes('weak_tls'));
    expect(warnings).toHaveLength(f.weak ? 1 : 0);
    if (f.weak) expect(warnings[0]).toContain('sslmode=disable');
  }
  const rows = await query<Record<string, unknown>>(lake, `SELECT * FROM runs WHERE job = 'dim_customer_daily'`);
  expect(rows).toHaveLength(forms.length);
  const ledger = JSON.stringify(rows);
  expect(ledger).toMatch(/cannot connect to the warehouse/);
  for (const f of forms) expect(ledger).not.toContain(f.secret);
});
