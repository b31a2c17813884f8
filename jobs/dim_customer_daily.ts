/** dim_customer_daily --date D: copies the warehouse dim_customer into `dim_customer/snapshot_date=D`. */
import { defineJob } from '../src/run/job.js';
import { BadInputError, WarehouseError } from '../src/errors.js';
import { TABLES } from '../src/rules/tables.js';
import { sqlFile } from '../src/sql/sql.js';
import { openConfiguredWarehouse } from '../src/warehouse/open.js';

export const dimCustomerDaily = defineJob({
  name: 'dim_customer_daily',
  period: 'date',
  description: 'Snapshot the warehouse dim_customer table into dim_customer/snapshot_date=D',
  outputs: [TABLES.dim_customer],
  shardable: false,
  // The warehouse table has no version to compare: every run copies it.
  inputs: async () => ({ fingerprint: null }),
  async build(ctx) {
    const date = ctx.periodValue;
    const warehouse = await openConfiguredWarehouse(ctx.config, { store: ctx.store, runId: ctx.runId, scratch: ctx.scratch, log: ctx.log });
    const loaded = await warehouse.loadDimCustomer(ctx.db, 'wh_dim_customer');
    const dups = await ctx.db.all<{ client_id: string | null; n: number }>(
      `SELECT client_id, count(*)::INTEGER AS n FROM wh_dim_customer GROUP BY client_id HAVING count(*) > 1 OR client_id IS NULL OR client_id = '' ORDER BY client_id LIMIT 5`,
    );
    if (dups.length > 0) {
      const list = dups.map((d) => (d.client_id ? `${d.client_id} (${d.n} rows)` : `an empty client_id (${d.n} rows)`)).join(', ');
      throw new BadInputError(`client_id must be unique and non-empty in ${warehouse.describe()}, but found ${list}; fix the warehouse table, then rerun`, { job: ctx.job, date });
    }
    const bad = await ctx.db.all<{ client_id: string; field: string; value: string | null }>(
      `SELECT client_id, 'is_test' AS field, is_test AS value FROM wh_dim_customer WHERE lower(trim(coalesce(is_test, ''))) NOT IN ('true','t','1','false','f','0')
       UNION ALL
       SELECT client_id, 'updated_at', updated_at FROM wh_dim_customer WHERE TRY_CAST(updated_at AS TIMESTAMPTZ) IS NULL
       LIMIT 5`,
    );
    if (bad.length > 0) {
      throw new WarehouseError(`invalid values in ${warehouse.describe()}: ${bad.map((b) => `${b.client_id}.${b.field}=${JSON.stringify(b.value)}`).join(', ')}; is_test must be a boolean and updated_at a timestamp`, { job: ctx.job, date });
    }
    const staged = await ctx.stage(TABLES.dim_customer, date, sqlFile('dim_customer'), { run_id: ctx.runId, dt: date });
    return { rows: staged.rows, details: { source: warehouse.describe(), loaded } };
  },
});
