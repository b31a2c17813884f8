/** notification_attempted_daily --date D: raw attempts → `notification_attempted/dt=D` (+ rejects). */
import { JobDefinition } from '../src/runtime/job.js';
import { ingest } from '../src/runtime/ingest.js';
import { ATTEMPTED } from '../src/runtime/streams.js';
import { TABLES } from '../src/rules/tables.js';
import { BusinessDate, ownedHours, readHours } from '../src/time/time.js';

export const notificationAttemptedDaily: JobDefinition = {
  name: 'notification_attempted_daily',
  period: 'date',
  description: 'Validate, deduplicate and date-filter raw attempts into notification_attempted/dt=D',
  async run(ctx) {
    const date = ctx.period.date as BusinessDate;
    const r = await ingest(ctx, {
      spec: ATTEMPTED,
      table: TABLES.notification_attempted,
      rejectsTable: TABLES.notification_attempted_rejects,
      date,
      readHours: readHours(date, ctx.config.latenessHours),
      ownedHours: ownedHours(date),
    });
    return { rows: r.counts.kept ?? 0, upToDate: r.upToDate, details: { ...r.counts, files: r.files, reject_rate: r.rejectRate } };
  },
};
