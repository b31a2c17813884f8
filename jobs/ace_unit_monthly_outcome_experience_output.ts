/** ace_unit_monthly_outcome_experience_output --month M: `ace_units_by_outcome_experience_M.csv` for Finance. */
import { JobDefinition } from '../src/runtime/job.js';
import { runExport } from '../src/runtime/exports.js';

export const aceUnitMonthlyOutcomeExperienceOutput: JobDefinition = {
  name: 'ace_unit_monthly_outcome_experience_output',
  period: 'month',
  description: 'Export ace_units_by_outcome_experience_M.csv (client × outcome × experience × channel) with its manifest',
  run: (ctx) => runExport(ctx, { stem: 'ace_units_by_outcome_experience', rowsSql: 'export_by_outcome' }),
};
