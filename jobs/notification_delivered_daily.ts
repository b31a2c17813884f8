/** notification_delivered_daily --date D: raw delivery receipts → `notification_delivered/dt=D` (+ rejects). */
import { JobDefinition } from '../src/runtime/job.js';
import { ingest } from '../src/runtime/ingest.js';
import { DELIVERED } from '../src/runtime/streams.js';
import { TABLES } from '../src/rules/tables.js';
import { BusinessDate, ownedHours, readHours } from '../src/time/time.js';

export const notificationDeliveredDaily: JobDefinition = {
  name: 'notification_delivered_daily',
  period: 'date',
  description: 'Validate, deduplicate and date-filter raw deliveries into notification_delivered/dt=D',
  async run(ctx) {
    const date = ctx.period.date as BusinessDate;
    const r = await ingest(ctx, {
      spec: DELIVERED,
      table: TABLES.notification_delivered,
      rejectsTable: TABLES.notification_delivered_rejects,
      date,
      readHours: readHours(date, ctx.config.latenessHours),
      ownedHours: ownedHours(date),
    });
    return { rows: r.counts.kept ?? 0, upToDate: r.upToDate, details: { ...r.counts, files: r.files, reject_rate: r.rejectRate } };
  },
};
