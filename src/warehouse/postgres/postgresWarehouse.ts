/**
 * Warehouse adapter over the PostgreSQL wire protocol (PostgreSQL, or Redshift in production): a
 * streamed SELECT, so the extract never has to fit in memory, appended into DuckDB. Timestamps are
 * fetched as text and converted by DuckDB (zone-less values are UTC).
 */
import { Client, ClientConfig } from 'pg';
import QueryStream from 'pg-query-stream';
import { Db } from '../../engine/duckdb.js';
import { WarehouseError } from '../../errors.js';
import { redactSecretsIn, redactUrl } from '../../config/config.js';
import { Logger } from '../../log.js';
import { DIM_CUSTOMER_COLUMNS, Warehouse, landingTableSql } from '../warehouse.js';

/**
 * TLS settings that leave the connection unencrypted or unverified: libpq's `disable`, `allow`, `prefer`,
 * node-postgres's `no-verify`; and `require`/`verify-ca` under `uselibpqcompat=true` (without it, pg
 * treats them as verify-full).
 */
const WEAK_SSLMODES = new Set(['disable', 'allow', 'prefer', 'no-verify']);
const LIBPQ_UNVERIFIED = new Set(['require', 'verify-ca']);

/**
 * The node-postgres configuration of a warehouse URL: TLS with the server's certificate and host name
 * verified (`sslmode=verify-full`, against Node's CA bundle; add `sslrootcert=/path/ca.pem` for a private
 * CA such as RDS's) unless the URL sets `sslmode` or `ssl` itself. `weakTls` names a setting that
 * disables or weakens TLS (the caller warns), else null.
 */
export function pgClientConfig(url: string): { config: ClientConfig; weakTls: string | null } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new WarehouseError(`the warehouse URL ${redactUrl(url)} is not a URL; use postgres://user@host:5432/db`);
  }
  const params = parsed.searchParams;
  const mode = params.get('sslmode')?.toLowerCase() ?? null;
  const ssl = params.get('ssl')?.toLowerCase() ?? null;
  let weakTls: string | null = null;
  if (mode === null && ssl === null) params.set('sslmode', 'verify-full');
  else if (mode !== null && (WEAK_SSLMODES.has(mode) || (LIBPQ_UNVERIFIED.has(mode) && params.get('uselibpqcompat') === 'true'))) weakTls = `sslmode=${mode}`;
  else if (mode === null && (ssl === 'false' || ssl === '0')) weakTls = `ssl=${ssl}`;
  return { config: { connectionString: parsed.toString(), connectionTimeoutMillis: 15_000 }, weakTls };
}

let warnedWeakTls = false;

/** Logs once per process that the warehouse connection is not on verified TLS. */
function warnWeakTls(url: string, weakTls: string, log?: Logger): void {
  if (warnedWeakTls) return;
  warnedWeakTls = true;
  const msg = `the warehouse connection ${redactUrl(url)} has ${weakTls}: its password and rows may cross the network unencrypted or to an unverified server; remove ${weakTls} from ACE_WAREHOUSE_URL (or the secret) to use sslmode=verify-full`;
  if (log) log.warn({ event: 'warehouse.weak_tls', setting: weakTls }, msg);
  else process.stderr.write(`warning: ${msg}\n`);
}

/** The SELECT run against the warehouse; every column as text so nothing is converted in Node. */
export function dimCustomerSelect(tableName = 'dim_customer'): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/.test(tableName)) throw new WarehouseError(`invalid warehouse table name ${tableName}`);
  return `SELECT ${DIM_CUSTOMER_COLUMNS.map((c) => `${c}::text AS ${c}`).join(', ')} FROM ${tableName}`;
}

export class PostgresWarehouse implements Warehouse {
  constructor(
    private readonly url: string,
    private readonly tableName = 'dim_customer',
    private readonly log?: Logger,
  ) {}

  describe(): string {
    return redactUrl(this.url);
  }

  /** A driver's message with the URL's credentials hidden. */
  private clean(err: unknown): string {
    return redactSecretsIn((err as Error).message, this.url);
  }

  async loadDimCustomer(db: Db, table: string): Promise<number> {
    const { config, weakTls } = pgClientConfig(this.url);
    if (weakTls) warnWeakTls(this.url, weakTls, this.log);
    const client = new Client(config);
    try {
      await client.connect();
    } catch (err) {
      throw new WarehouseError(`cannot connect to the warehouse ${this.describe()}: ${this.clean(err)}; check ACE_WAREHOUSE_URL (TLS is verify-full unless it sets sslmode) and that the server is reachable`, {}, { cause: err });
    }
    try {
      await db.run(landingTableSql(table));
      const stream = client.query(new QueryStream(dimCustomerSelect(this.tableName), [], { batchSize: 1000 }));
      async function* rows(): AsyncGenerator<unknown[]> {
        for await (const r of stream as AsyncIterable<Record<string, string | null>>) yield DIM_CUSTOMER_COLUMNS.map((c) => r[c]);
      }
      return await db.append(table, rows());
    } catch (err) {
      if (err instanceof WarehouseError) throw err;
      throw new WarehouseError(`reading ${this.tableName} from ${this.describe()} failed: ${this.clean(err)}`, {}, { cause: err });
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}
