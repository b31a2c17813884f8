/**
 * Warehouse URLs (issue 13, point 11): passwords are redacted by parsing the URL the way pg reads it,
 * including the forms a regex missed; the default connection asks pg for TLS with verify-full; a URL
 * that disables or weakens TLS is flagged for the one-time warning.
 */
import { Client } from 'pg';
import { redactSecretsIn, redactUrl } from '../../src/config/config';
import { pgClientConfig } from '../../src/warehouse/postgres/postgresWarehouse';
import { resolveWarehouseLocation } from '../../src/warehouse/redshift/secret';

/** The password pg itself would send for this URL. */
const pgPassword = (url: string) => String((new Client({ connectionString: url }) as unknown as { connectionParameters: { password: unknown } }).connectionParameters.password ?? '');

describe('redactUrl', () => {
  test.each([
    ['an @ inside the password', 'postgres://u:p@ss-9f3k@db.example.com:5432/prod', 'postgres://u:***@db.example.com:5432/prod', 'ss-9f3k'],
    ['an empty user name', 'postgres://:pw-9f3k@db.example.com/prod', 'postgres://:***@db.example.com/prod', 'pw-9f3k'],
    ['a password query parameter', 'postgres://u@db.example.com/prod?password=pw-9f3k', 'postgres://u@db.example.com/prod?password=***', 'pw-9f3k'],
    ['sslpassword and a mixed-case name', 'postgres://u:upw-9f3k@db.example.com/prod?sslmode=verify-full&SSLPassword=pw-9f3k&application_name=ace', 'postgres://u:***@db.example.com/prod?sslmode=verify-full&SSLPassword=***&application_name=ace', 'pw-9f3k'],
    ['a percent-encoded password', 'postgres://u:p%40w-9f3k@db.example.com/prod', 'postgres://u:***@db.example.com/prod', 'w-9f3k'],
    ['a colon and slash in the password', 'postgres://u:a%3Ab%2Fpw-9f3k@db.example.com/prod', 'postgres://u:***@db.example.com/prod', 'pw-9f3k'],
  ])('%s', (_name, url, expected, secretPart) => {
    expect(redactUrl(url)).toBe(expected);
    expect(redactUrl(url)).not.toContain(secretPart);
    const pw = pgPassword(url);
    expect(pw).not.toBe('');
    expect(redactUrl(url)).not.toContain(pw);
  });

  test('a URL without a password is unchanged; one that does not parse is hidden beyond its scheme', () => {
    expect(redactUrl('postgres://u@db.example.com:5432/prod?sslmode=disable')).toBe('postgres://u@db.example.com:5432/prod?sslmode=disable');
    expect(redactUrl('postgres://u:pw-9f3k@[db/prod')).toBe('postgres://*** (not a valid URL, hidden)');
    expect(redactUrl('u:pw-9f3k@db')).not.toContain('pw-9f3k');
  });

  test('redactSecretsIn hides the URL and its password, raw and decoded, inside any text', () => {
    const url = 'postgres://u:p%40ss-9f3k@db.example.com/prod?password=q-9f3k';
    const text = `connect ${url} failed: auth p@ss-9f3k / p%40ss-9f3k rejected (q-9f3k)`;
    const out = redactSecretsIn(text, url);
    expect(out).not.toMatch(/ss-9f3k|q-9f3k/);
    expect(out).toContain('db.example.com');
  });
});

describe('pgClientConfig (what reaches pg)', () => {
  const sslOf = (url: string) => {
    const c = new Client(pgClientConfig(url).config) as unknown as { connectionParameters: { ssl: unknown } };
    return c.connectionParameters.ssl;
  };

  test('by default pg is asked for TLS verifying the certificate and host name (sslmode=verify-full)', () => {
    const { config, weakTls } = pgClientConfig('postgres://u:pw@db.example.com:5439/dev');
    expect(new URL(config.connectionString!).searchParams.get('sslmode')).toBe('verify-full');
    expect(weakTls).toBeNull();
    const ssl = sslOf('postgres://u:pw@db.example.com:5439/dev');
    expect(typeof ssl).toBe('object');
    expect((ssl as { rejectUnauthorized?: boolean }).rejectUnauthorized).not.toBe(false);
    // Without the default, pg would connect in clear text.
    expect((new Client({ connectionString: 'postgres://u:pw@db.example.com:5439/dev' }) as unknown as { connectionParameters: { ssl: unknown } }).connectionParameters.ssl).toBe(false);
  });

  test('a URL that sets sslmode keeps it; settings that disable or weaken TLS are named for the warning', () => {
    expect(pgClientConfig('postgres://u@h/db?sslmode=verify-full').weakTls).toBeNull();
    expect(pgClientConfig('postgres://u@h/db?sslmode=require').weakTls).toBeNull();
    expect(pgClientConfig('postgres://u@h/db?sslmode=require&sslrootcert=/ca.pem').config.connectionString).toBe('postgres://u@h/db?sslmode=require&sslrootcert=/ca.pem');
    expect(pgClientConfig('postgres://u@h/db?sslmode=disable').weakTls).toBe('sslmode=disable');
    expect(sslOf('postgres://u@h/db?sslmode=disable')).toBe(false);
    for (const m of ['allow', 'prefer', 'no-verify']) expect(pgClientConfig(`postgres://u@h/db?sslmode=${m}`).weakTls).toBe(`sslmode=${m}`);
    expect(pgClientConfig('postgres://u@h/db?ssl=false').weakTls).toBe('ssl=false');
    expect(pgClientConfig('postgres://u@h/db?uselibpqcompat=true&sslmode=require').weakTls).toBe('sslmode=require');
  });
});

test('a password in ACE_WAREHOUSE_URL next to a secret ARN is refused in every form, and never shown', async () => {
  for (const base of ['postgres://u:p@ss-9f3k@h:5439/dev', 'postgres://:pw-9f3k@h:5439/dev', 'postgres://h:5439/dev?password=pw-9f3k']) {
    const p = resolveWarehouseLocation({ kind: 'postgres', url: base }, 'arn:aws:secretsmanager:eu-west-1:1:secret:x', async () => '{}');
    await expect(p).rejects.toThrow(/carries a password/);
    await expect(p).rejects.not.toThrow(/9f3k/);
  }
});
