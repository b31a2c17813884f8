/**
 * Warehouse adapter for Redshift in unload mode (ACE_WAREHOUSE_MODE=unload): UNLOAD the table to a
 * staging folder of the lake as Parquet through the Data API, read those files into the landing
 * table (every column cast to text, like the other adapters), then delete the staging folder.
 * The staging folder is under the table's own prefix (`tables/dim_customer/_unload/run=<run_id>/`),
 * never inside a partition's run folder: Athena reads every file of a partition's location.
 */
import path from 'node:path';
import { Db } from '../../engine/duckdb.js';
import { WarehouseError } from '../../errors.js';
import { ObjectStore } from '../../lake/objectStore.js';
import { Logger } from '../../log.js';
import { DIM_CUSTOMER_COLUMNS, Warehouse, landingTableSql } from '../warehouse.js';
import { RedshiftDataApi } from './dataApi.js';
import { dimCustomerUnloadSelect, unloadSql } from './unload.js';

export interface UnloadOptions {
  store: ObjectStore;
  /** Lake key of the staging folder (no trailing '/'). */
  stagingPrefix: string;
  iamRole: string;
  tableName: string;
  /** Local folder the Parquet files are downloaded to. */
  scratch: string;
  log?: Logger;
}

export class UnloadWarehouse implements Warehouse {
  constructor(
    private readonly api: RedshiftDataApi,
    private readonly options: UnloadOptions,
  ) {}

  describe(): string {
    return `${this.api.describe()}, table ${this.options.tableName} (UNLOAD to ${this.target()})`;
  }

  private target(): string {
    return `${this.options.store.describe(this.options.stagingPrefix)}/`;
  }

  async loadDimCustomer(db: Db, table: string): Promise<number> {
    const { store, stagingPrefix } = this.options;
    const target = this.target();
    if (!target.startsWith('s3://')) throw new WarehouseError(`ACE_WAREHOUSE_MODE=unload needs the lake on S3 (ACE_LAKE_ROOT=s3://…), not ${target}`);
    const sql = unloadSql({ select: dimCustomerUnloadSelect(this.options.tableName), target, iamRole: this.options.iamRole });
    const id = await this.api.execute(sql, 'ace-unit dim_customer_daily unload');
    this.options.log?.info({ event: 'warehouse.unloaded', statement_id: id, target }, `unloaded ${this.options.tableName} to ${target}`);
    try {
      const keys = (await store.list(`${stagingPrefix}/`)).map((o) => o.key).filter((k) => !k.endsWith('/'));
      await db.run(landingTableSql(table));
      // An empty table unloads no file: the landing table stays empty.
      if (keys.length === 0) return 0;
      const paths = await store.localPaths(keys, path.join(this.options.scratch, 'unload'));
      try {
        await db.run(`INSERT INTO ${table} SELECT ${DIM_CUSTOMER_COLUMNS.map((c) => `CAST(${c} AS VARCHAR)`).join(', ')} FROM read_parquet($paths)`, { paths });
      } catch (err) {
        throw new WarehouseError(`cannot read the unloaded files under ${target}: ${(err as Error).message.split('\n')[0]}`, {}, { cause: err });
      }
      const [{ n }] = await db.all<{ n: number }>(`SELECT count(*)::INTEGER AS n FROM ${table}`);
      return n;
    } finally {
      await store.deletePrefix(`${stagingPrefix}/`).catch((err: unknown) => {
        this.options.log?.warn({ event: 'warehouse.staging_left', target, error: (err as Error).message }, `could not delete the staging folder ${target}; delete it by hand`);
      });
    }
  }
}
