/** ace_unit_monthly_output --month M: `ace_units_M.csv`, one row per client, for account management. */
import { JobDefinition } from '../src/runtime/job.js';
import { runExport } from '../src/runtime/exports.js';

export const aceUnitMonthlyOutput: JobDefinition = {
  name: 'ace_unit_monthly_output',
  period: 'month',
  description: 'Export ace_units_M.csv (one row per client) with its manifest',
  run: (ctx) => runExport(ctx, { stem: 'ace_units', rowsSql: 'export_ace_units' }),
};
