/**
 * Warehouse adapter over the PostgreSQL wire protocol (PostgreSQL, or Redshift in production): a
 * streamed SELECT, so the extract never has to fit in memory, appended into DuckDB. Timestamps are
 * fetched as text and converted by DuckDB (zone-less values are UTC).
 */
import { Client } from 'pg';
import QueryStream from 'pg-query-stream';
import { Db } from '../../engine/duckdb.js';
import { WarehouseError } from '../../errors.js';
import { redactUrl } from '../../config/config.js';
import { DIM_CUSTOMER_COLUMNS, Warehouse, landingTableSql } from '../warehouse.js';

/** The SELECT run against the warehouse; every column as text so nothing is converted in Node. */
export function dimCustomerSelect(tableName = 'dim_customer'): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/.test(tableName)) throw new WarehouseError(`invalid warehouse table name ${tableName}`);
  return `SELECT ${DIM_CUSTOMER_COLUMNS.map((c) => `${c}::text AS ${c}`).join(', ')} FROM ${tableName}`;
}

export class PostgresWarehouse implements Warehouse {
  constructor(
    private readonly url: string,
    private readonly tableName = process.env.ACE_WAREHOUSE_TABLE || 'dim_customer',
  ) {}

  describe(): string {
    return redactUrl(this.url);
  }

  async loadDimCustomer(db: Db, table: string): Promise<number> {
    const client = new Client({ connectionString: this.url, connectionTimeoutMillis: 15_000 });
    try {
      await client.connect();
    } catch (err) {
      throw new WarehouseError(`cannot connect to the warehouse ${this.describe()}: ${(err as Error).message}; check ACE_WAREHOUSE_URL and that the server is reachable`, {}, { cause: err });
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
      throw new WarehouseError(`reading ${this.tableName} from ${this.describe()} failed: ${(err as Error).message}`, {}, { cause: err });
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}
