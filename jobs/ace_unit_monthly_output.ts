/** ace_unit_monthly_output --month M: `ace_units_M.csv`, one row per client, for account management. */
import { exportJob } from './steps/export.js';

export const aceUnitMonthlyOutput = exportJob({
  name: 'ace_unit_monthly_output',
  description: 'Export ace_units_M.csv (one row per client) with its manifest',
  spec: { stem: 'ace_units', rowsSql: 'export_ace_units' },
});
