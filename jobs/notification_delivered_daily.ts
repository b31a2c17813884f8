/** notification_delivered_daily --date D: raw delivery receipts → `notification_delivered/dt=D` (+ rejects). */
import { ingestJob } from './steps/ingest.js';
import { DELIVERED } from '../src/rules/streams.js';
import { TABLES } from '../src/rules/tables.js';
import { ownedHours, readHours } from '../src/time/time.js';

export const notificationDeliveredDaily = ingestJob({
  name: 'notification_delivered_daily',
  description: 'Validate, deduplicate and date-filter raw deliveries into notification_delivered/dt=D',
  spec: DELIVERED,
  table: TABLES.notification_delivered,
  rejectsTable: TABLES.notification_delivered_rejects,
  hours: (date, lateness) => ({ read: readHours(date, lateness), owned: ownedHours(date) }),
  shardable: true,
});
