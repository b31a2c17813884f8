/**
 * The Warehouse port: where dim_customer comes from (PostgreSQL or Redshift over the wire protocol,
 * or a CSV/Parquet file for demos). An adapter loads the source rows, as text, into a DuckDB table.
 */
import { Db } from '../engine/duckdb.js';

/** Columns of the warehouse table, in order. */
export const DIM_CUSTOMER_COLUMNS = ['client_id', 'client_name', 'billing_account_id', 'is_test', 'status', 'updated_at'] as const;

export interface Warehouse {
  /** Human-readable source for messages (never with a password). */
  describe(): string;
  /** Loads every row of dim_customer into `table` (all columns VARCHAR); returns the row count. */
  loadDimCustomer(db: Db, table: string): Promise<number>;
}

/** DDL of the landing table every adapter fills. */
export function landingTableSql(table: string): string {
  return `CREATE OR REPLACE TEMP TABLE ${table} (${DIM_CUSTOMER_COLUMNS.map((c) => `${c} VARCHAR`).join(', ')})`;
}
