/** Every job by its SPEC.md name: the declarations the runtime, the graphs, `status` and `restate` read. */
import { Job } from '../src/run/job.js';
import { notificationAttemptedDaily } from './notification_attempted_daily.js';
import { notificationDeliveredDaily } from './notification_delivered_daily.js';
import { outcomeExperienceLookupDaily } from './outcome_experience_lookup_daily.js';
import { aceUnitCalcDaily } from './ace_unit_calc_daily.js';
import { dimCustomerDaily } from './dim_customer_daily.js';
import { aceUnitMonthlyOutput } from './ace_unit_monthly_output.js';
import { aceUnitMonthlyOutcomeExperienceOutput } from './ace_unit_monthly_outcome_experience_output.js';

// Each job keeps its own inputs type; the registry only needs what the runtime calls.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyJob = Job<any>;

const REGISTRY = {
  notification_attempted_daily: notificationAttemptedDaily,
  notification_delivered_daily: notificationDeliveredDaily,
  outcome_experience_lookup_daily: outcomeExperienceLookupDaily,
  dim_customer_daily: dimCustomerDaily,
  ace_unit_calc_daily: aceUnitCalcDaily,
  ace_unit_monthly_output: aceUnitMonthlyOutput,
  ace_unit_monthly_outcome_experience_output: aceUnitMonthlyOutcomeExperienceOutput,
} satisfies Record<string, AnyJob>;

/** A job's SPEC.md name (each key above is its job's `name`, checked in tests/unit/jobs.test.ts). */
export type JobName = keyof typeof REGISTRY;

export const JOBS: Record<JobName, AnyJob> = REGISTRY;

export const ALL_JOBS = Object.keys(JOBS) as JobName[];

export function isJobName(name: string): name is JobName {
  return Object.prototype.hasOwnProperty.call(JOBS, name);
}

/** The jobs that can split a period across tasks. */
export const SHARDABLE_JOBS: JobName[] = ALL_JOBS.filter((name) => JOBS[name].shardable);
