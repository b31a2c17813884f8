/**
 * Warehouse credentials from Secrets Manager (ACE_WAREHOUSE_SECRET_ARN). The secret is either a full
 * postgres:// URL or the JSON that RDS/Redshift rotation uses ({username, password, host, port,
 * dbname}). ACE_WAREHOUSE_URL, when set, gives host, port and database (it carries no credentials in
 * production); the secret then only supplies the user and password. Nothing here logs or prints them.
 */
import { ConfigError } from '../../errors.js';
import { SECRET_PARAM, WarehouseLocation, redactUrl } from '../../config/config.js';

interface SecretFields {
  username?: unknown;
  password?: unknown;
  host?: unknown;
  port?: unknown;
  dbname?: unknown;
  database?: unknown;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : null);

/** The connection URL (with credentials) for a secret's string and the configured base URL, if any. */
export function warehouseUrlFromSecret(secret: string, arn: string, baseUrl: string | null): string {
  const text = secret.trim();
  if (/^postgres(ql)?:\/\//i.test(text)) {
    try {
      new URL(text);
    } catch {
      throw new ConfigError(`the secret ${arn} looks like a postgres:// URL but does not parse; store a valid URL or JSON {username, password, host, port, dbname}`);
    }
    return text;
  }
  let fields: SecretFields;
  try {
    fields = JSON.parse(text) as SecretFields;
  } catch {
    // Never echo the secret's content.
    throw new ConfigError(`the secret ${arn} is neither JSON nor a postgres:// URL; store JSON {username, password, host, port, dbname} or a full URL`);
  }
  const username = str(fields?.username);
  const password = str(fields?.password);
  if (!username || !password) throw new ConfigError(`the secret ${arn} has no username and password fields`);
  let url: URL;
  if (baseUrl) {
    url = new URL(baseUrl);
  } else {
    const host = str(fields.host);
    const dbname = str(fields.dbname) ?? str(fields.database);
    if (!host || !dbname) throw new ConfigError(`the secret ${arn} has no host and dbname, and ACE_WAREHOUSE_URL is not set; set ACE_WAREHOUSE_URL=postgres://host:5439/db`);
    url = new URL(`postgres://${host}:${str(fields.port) ?? '5439'}/${encodeURIComponent(dbname)}`);
  }
  // Percent-encoded in full (the URL setters leave '%' alone); pg decodes the userinfo.
  url.username = encodeURIComponent(username);
  url.password = encodeURIComponent(password);
  return url.toString();
}

/** True when a URL carries a password: in its userinfo or in a password-like query parameter (pg reads both). */
function carriesPassword(value: string): boolean {
  try {
    const url = new URL(value);
    return url.password !== '' || [...url.searchParams.keys()].some((k) => SECRET_PARAM.test(k));
  } catch {
    return false;
  }
}

/** The warehouse to connect to: the configured one, with the secret's credentials when an ARN is set. */
export async function resolveWarehouseLocation(
  warehouse: WarehouseLocation,
  secretArn: string | null,
  getSecret: (arn: string) => Promise<string>,
): Promise<WarehouseLocation> {
  if (!secretArn) return warehouse;
  // With a secret, a file warehouse (the local default) gives way: the secret names the server.
  const base = warehouse.kind === 'postgres' ? warehouse.url : null;
  if (base && carriesPassword(base)) {
    throw new ConfigError(`ACE_WAREHOUSE_URL (${redactUrl(base)}) carries a password while ACE_WAREHOUSE_SECRET_ARN is set; remove the password from the URL`);
  }
  return { kind: 'postgres', url: warehouseUrlFromSecret(await getSecret(secretArn), secretArn, base) };
}
