-- export_diff: what changed between the previous export version and this one, unit by unit.
-- Grain: one row per ACE unit (client_id, customer_id) added or removed.
-- Inputs: exp_audit (this version); variables diff_old_audit_files (the audit version the previous
--   export was built from), diff_engagement_files (this month's ace_engagement_daily), and
--   diff_old_delivered_files / diff_old_attempted_files (the ingest versions that were current when
--   the previous export was generated; old versions stay until garbage collection).
-- Reason of an added unit: the attempt behind its first touch was not in the old attempted data
--   ('late attempt'), else its delivery was not in the old delivered data ('late delivery'), else
--   'recomputed' (a rule input such as the lookback or a rebuilt day). A removed unit is no longer
--   engaged in the restated inputs.
CREATE OR REPLACE TEMP TABLE exp_diff AS
WITH old AS (
  SELECT client_id, customer_id, first_notification_id FROM read_parquet(getvariable('diff_old_audit_files'))
), added AS (
  SELECT n.client_id, n.customer_id, n.first_notification_id, n.first_engaged_date
  FROM exp_audit n ANTI JOIN old o USING (client_id, customer_id)
), removed AS (
  SELECT o.client_id, o.customer_id, o.first_notification_id FROM old o ANTI JOIN exp_audit n USING (client_id, customer_id)
), old_delivered AS (
  SELECT DISTINCT notification_id, dt FROM read_parquet(getvariable('diff_old_delivered_files'))
), old_attempted AS (
  SELECT DISTINCT event_id FROM read_parquet(getvariable('diff_old_attempted_files'))
), first_touch AS (
  SELECT a.*, e.attempt_event_id
  FROM added a
  LEFT JOIN read_parquet(getvariable('diff_engagement_files')) e
    ON e.notification_id = a.first_notification_id AND e.dt = a.first_engaged_date
)
SELECT f.client_id, f.customer_id, 'added' AS change,
  CASE WHEN f.attempt_event_id NOT IN (SELECT event_id FROM old_attempted) THEN 'late attempt'
       WHEN NOT EXISTS (SELECT 1 FROM old_delivered d WHERE d.notification_id = f.first_notification_id AND d.dt = f.first_engaged_date) THEN 'late delivery'
       ELSE 'recomputed' END AS reason,
  f.first_notification_id
FROM first_touch f
UNION ALL
SELECT client_id, customer_id, 'removed', 'no longer engaged in the restated inputs', first_notification_id FROM removed;
