/**
 * outcome_experience_lookup_daily --date D: the experience_config records that arrived in D's own
 * hours (start(D) ≤ H < end(D)) → `outcome_experience_lookup/snapshot_date=D` (+ rejects).
 */
import { JobDefinition } from '../src/runtime/job.js';
import { ingest } from '../src/runtime/ingest.js';
import { EXPERIENCE_CONFIG } from '../src/runtime/streams.js';
import { TABLES } from '../src/rules/tables.js';
import { BusinessDate, ownedHours } from '../src/time/time.js';

export const outcomeExperienceLookupDaily: JobDefinition = {
  name: 'outcome_experience_lookup_daily',
  period: 'date',
  description: 'Validate the experience_config records of D’s arrival hours into outcome_experience_lookup/snapshot_date=D',
  async run(ctx) {
    const date = ctx.period.date as BusinessDate;
    const hours = ownedHours(date);
    const r = await ingest(ctx, {
      spec: EXPERIENCE_CONFIG,
      table: TABLES.outcome_experience_lookup,
      rejectsTable: TABLES.experience_config_rejects,
      date,
      readHours: hours,
      ownedHours: hours,
    });
    return { rows: r.counts.kept ?? 0, upToDate: r.upToDate, details: { ...r.counts, files: r.files, reject_rate: r.rejectRate } };
  },
};
