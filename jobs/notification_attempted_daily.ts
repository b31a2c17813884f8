/** notification_attempted_daily --date D: raw attempts → `notification_attempted/dt=D` (+ rejects). */
import { ingestJob } from './steps/ingest.js';
import { ATTEMPTED } from '../src/rules/streams.js';
import { TABLES } from '../src/rules/tables.js';
import { ownedHours, readHours } from '../src/time/time.js';

export const notificationAttemptedDaily = ingestJob({
  name: 'notification_attempted_daily',
  description: 'Validate, deduplicate and date-filter raw attempts into notification_attempted/dt=D',
  spec: ATTEMPTED,
  table: TABLES.notification_attempted,
  rejectsTable: TABLES.notification_attempted_rejects,
  hours: (date, lateness) => ({ read: readHours(date, lateness), owned: ownedHours(date) }),
  shardable: true,
});
