/**
 * outcome_experience_lookup_daily --date D: the experience_config records that arrived in D's own
 * hours (start(D) ≤ H < end(D)) → `outcome_experience_lookup/snapshot_date=D` (+ rejects).
 */
import { ingestJob } from './steps/ingest.js';
import { EXPERIENCE_CONFIG } from '../src/rules/streams.js';
import { TABLES } from '../src/rules/tables.js';
import { ownedHours } from '../src/time/time.js';

export const outcomeExperienceLookupDaily = ingestJob({
  name: 'outcome_experience_lookup_daily',
  description: 'Validate the experience_config records of D’s arrival hours into outcome_experience_lookup/snapshot_date=D',
  spec: EXPERIENCE_CONFIG,
  table: TABLES.outcome_experience_lookup,
  rejectsTable: TABLES.experience_config_rejects,
  hours: (date) => ({ read: ownedHours(date), owned: ownedHours(date) }),
  shardable: false,
});
