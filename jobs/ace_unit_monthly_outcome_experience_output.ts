/** ace_unit_monthly_outcome_experience_output --month M: `ace_units_by_outcome_experience_M.csv` for Finance. */
import { exportJob } from './steps/export.js';

export const aceUnitMonthlyOutcomeExperienceOutput = exportJob({
  name: 'ace_unit_monthly_outcome_experience_output',
  description: 'Export ace_units_by_outcome_experience_M.csv (client × outcome × experience × channel) with its manifest',
  spec: { stem: 'ace_units_by_outcome_experience', rowsSql: 'export_by_outcome' },
});
