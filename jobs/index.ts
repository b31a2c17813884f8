/** Every job by its SPEC.md name. */
import { JobName } from '../src/graph/graph.js';
import { JobDefinition } from '../src/runtime/job.js';
import { notificationAttemptedDaily } from './notification_attempted_daily.js';
import { notificationDeliveredDaily } from './notification_delivered_daily.js';
import { outcomeExperienceLookupDaily } from './outcome_experience_lookup_daily.js';
import { aceUnitCalcDaily } from './ace_unit_calc_daily.js';
import { dimCustomerDaily } from './dim_customer_daily.js';
import { aceUnitMonthlyOutput } from './ace_unit_monthly_output.js';
import { aceUnitMonthlyOutcomeExperienceOutput } from './ace_unit_monthly_outcome_experience_output.js';

export const JOBS: Record<JobName, JobDefinition> = {
  notification_attempted_daily: notificationAttemptedDaily,
  notification_delivered_daily: notificationDeliveredDaily,
  outcome_experience_lookup_daily: outcomeExperienceLookupDaily,
  dim_customer_daily: dimCustomerDaily,
  ace_unit_calc_daily: aceUnitCalcDaily,
  ace_unit_monthly_output: aceUnitMonthlyOutput,
  ace_unit_monthly_outcome_experience_output: aceUnitMonthlyOutcomeExperienceOutput,
};
