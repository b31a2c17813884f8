/** Warehouse adapter for a CSV (header naming the columns) or Parquet extract, read by DuckDB. */
import fs from 'node:fs';
import { Db } from '../../engine/duckdb.js';
import { WarehouseError } from '../../errors.js';
import { DIM_CUSTOMER_COLUMNS, Warehouse, landingTableSql } from '../warehouse.js';

export class FileWarehouse implements Warehouse {
  constructor(private readonly path: string) {}

  describe(): string {
    return `file://${this.path}`;
  }

  async loadDimCustomer(db: Db, table: string): Promise<number> {
    if (!this.path || !fs.existsSync(this.path)) {
      throw new WarehouseError(`warehouse file ${this.path || '(none)'} does not exist; set ACE_WAREHOUSE_URL to file:///path/dim_customer.csv or postgres://…`);
    }
    await db.run(landingTableSql(table));
    const cols = DIM_CUSTOMER_COLUMNS.join(', ');
    const source = this.path.toLowerCase().endsWith('.parquet')
      ? `read_parquet($path)`
      : `read_csv($path, header = true, all_varchar = true, quote = '"', escape = '"', delim = ',', strict_mode = true)`;
    try {
      await db.run(`INSERT INTO ${table} SELECT ${DIM_CUSTOMER_COLUMNS.map((c) => `CAST(${c} AS VARCHAR)`).join(', ')} FROM ${source}`, { path: this.path });
    } catch (err) {
      throw new WarehouseError(`cannot read warehouse file ${this.path}: ${(err as Error).message.split('\n')[0]}; it must have the columns ${cols}`, { path: this.path }, { cause: err });
    }
    const [{ n }] = await db.all<{ n: number }>(`SELECT count(*)::INTEGER AS n FROM ${table}`);
    return n;
  }
}
