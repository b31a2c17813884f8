-- export_diff: what changed between the previous export version and this one (SPEC "Schedule").
-- Two tables:
--   exp_diff         one row per ACE unit (client_id, customer_id) added, removed, or whose first touch
--                    (experience, channel) changed; written as diff_units_vN_vM.csv.
--   exp_client_diff  one row per row of the export (its key columns: client_id, and for the outcome export
--                    experience_id and channel, which determine outcome_id) and field whose value differs
--                    between the two CSVs: every number and every attribute, with old and new value
--                    as the CSVs print them, the difference for numbers, and the reason where it is known
--                    (empty where it is not); written as diff_vN_vM.csv.
-- Inputs: exp_audit (this version); variables diff_old_csv / diff_new_csv (the two versions' CSV files),
--   diff_old_audit_known (false when the old audit version was garbage-collected: no unit rows, no
--   unit reasons), diff_old_audit_files, diff_engagement_files / diff_old_engagement_files (the month's
--   ace_engagement_daily now and when the previous export was generated), diff_attempted_files /
--   diff_old_attempted_files and diff_old_delivered_files (the ingest versions; old versions stay until
--   garbage collection), exp_month.
-- Reasons: an engagement (or unit first touch) that is new is a 'late attempt' when its attempt was not
--   in the old attempted data, else a 'late delivery' when its delivery was not in the old delivered data,
--   else 'recomputed' (a rule input such as the lookback or a rebuilt day); an attempt that is new is a
--   'late attempt'; what disappeared is 'removed from the restated inputs' (or 'attributed to another
--   attempt' when the notification is now engaged for another client). Client attributes come only from
--   dim_customer, experience names and outcomes only from outcome_experience_lookup.
CREATE OR REPLACE TEMP TABLE exp_diff AS
WITH old AS (
  SELECT client_id, customer_id, first_notification_id, first_experience_id, first_channel
  FROM read_parquet(getvariable('diff_old_audit_files')) WHERE getvariable('diff_old_audit_known')
), added AS (
  SELECT n.client_id, n.customer_id, n.first_notification_id, n.first_engaged_date, 'added' AS change
  FROM exp_audit n ANTI JOIN old o USING (client_id, customer_id)
  WHERE getvariable('diff_old_audit_known')
), moved AS (
  SELECT n.client_id, n.customer_id, n.first_notification_id, n.first_engaged_date, 'first touch changed' AS change
  FROM exp_audit n JOIN old o USING (client_id, customer_id)
  WHERE n.first_experience_id IS DISTINCT FROM o.first_experience_id OR n.first_channel IS DISTINCT FROM o.first_channel
), removed AS (
  SELECT o.client_id, o.customer_id, o.first_notification_id FROM old o ANTI JOIN exp_audit n USING (client_id, customer_id)
), old_delivered AS (
  SELECT DISTINCT notification_id, dt FROM read_parquet(getvariable('diff_old_delivered_files'))
), old_attempted AS (
  SELECT DISTINCT event_id FROM read_parquet(getvariable('diff_old_attempted_files'))
), first_touch AS (
  SELECT a.*, e.attempt_event_id
  FROM (SELECT * FROM added UNION ALL SELECT * FROM moved) a
  LEFT JOIN read_parquet(getvariable('diff_engagement_files')) e
    ON e.notification_id = a.first_notification_id AND e.dt = a.first_engaged_date
)
SELECT f.client_id, f.customer_id, f.change,
  CASE WHEN f.attempt_event_id NOT IN (SELECT event_id FROM old_attempted) THEN 'late attempt'
       WHEN NOT EXISTS (SELECT 1 FROM old_delivered d WHERE d.notification_id = f.first_notification_id AND d.dt = f.first_engaged_date) THEN 'late delivery'
       ELSE 'recomputed' END AS reason,
  f.first_notification_id
FROM first_touch f
UNION ALL
SELECT client_id, customer_id, 'removed', 'no longer engaged in the restated inputs', first_notification_id FROM removed;

CREATE OR REPLACE TEMP TABLE exp_client_diff AS
WITH old_rows AS (
  -- Values as the CSV prints them: an empty field is '' (UNPIVOT would drop a NULL).
  SELECT coalesce(COLUMNS(* EXCLUDE (billing_month)), ''), true AS in_old
  FROM read_csv(getvariable('diff_old_csv'), header = true, all_varchar = true, delim = ',', quote = '"', escape = '"')
), new_rows AS (
  SELECT coalesce(COLUMNS(* EXCLUDE (billing_month)), ''), true AS in_new
  FROM read_csv(getvariable('diff_new_csv'), header = true, all_varchar = true, delim = ',', quote = '"', escape = '"')
), old_long AS (
  UNPIVOT old_rows ON COLUMNS(* EXCLUDE ({{keys}}, in_old)) INTO NAME field VALUE old_value
), new_long AS (
  UNPIVOT new_rows ON COLUMNS(* EXCLUDE ({{keys}}, in_new)) INTO NAME field VALUE new_value
), changed AS (
  SELECT {{keys}}, field, o.old_value, n.new_value,
    CASE WHEN o.in_old IS NULL THEN 'added' WHEN n.in_new IS NULL THEN 'removed' ELSE 'changed' END AS change
  FROM old_long o FULL JOIN new_long n USING ({{keys}}, field)
  WHERE o.old_value IS DISTINCT FROM n.new_value OR o.in_old IS NULL OR n.in_new IS NULL
),
-- What changed in the inputs, per client: engagements (delivered_notifications, engagements) and attempts.
new_eng AS (
  SELECT DISTINCT notification_id, dt, client_id, attempt_event_id FROM read_parquet(getvariable('diff_engagement_files'))
), old_eng AS (
  SELECT DISTINCT notification_id, dt, client_id FROM read_parquet(getvariable('diff_old_engagement_files'))
), old_delivered AS (
  SELECT DISTINCT notification_id, dt FROM read_parquet(getvariable('diff_old_delivered_files'))
), old_attempted AS (
  SELECT DISTINCT event_id, notification_id, dt, client_id FROM read_parquet(getvariable('diff_old_attempted_files'))
), eng_changes AS (
  SELECT n.client_id, 1 AS sign,
    CASE WHEN n.attempt_event_id NOT IN (SELECT event_id FROM old_attempted) THEN 'late attempt'
         WHEN NOT EXISTS (SELECT 1 FROM old_delivered d WHERE d.notification_id = n.notification_id AND d.dt = n.dt) THEN 'late delivery'
         ELSE 'recomputed' END AS reason
  FROM new_eng n ANTI JOIN old_eng o USING (notification_id, dt, client_id)
  UNION ALL
  SELECT o.client_id, -1,
    CASE WHEN EXISTS (SELECT 1 FROM new_eng n WHERE n.notification_id = o.notification_id AND n.dt = o.dt) THEN 'attributed to another attempt'
         ELSE 'removed from the restated inputs' END
  FROM old_eng o ANTI JOIN new_eng n USING (notification_id, dt, client_id)
), month_attempts AS (
  SELECT DISTINCT notification_id, dt, client_id FROM read_parquet(getvariable('diff_attempted_files'))
), old_month_attempts AS (
  SELECT DISTINCT notification_id, dt, client_id FROM old_attempted WHERE strftime(dt, '%Y-%m') = getvariable('exp_month')
), att_changes AS (
  SELECT client_id, 1 AS sign, 'late attempt' AS reason FROM month_attempts ANTI JOIN old_month_attempts USING (notification_id, dt, client_id)
  UNION ALL
  SELECT client_id, -1, 'removed from the restated inputs' FROM old_month_attempts ANTI JOIN month_attempts USING (notification_id, dt, client_id)
), unit_changes AS (
  SELECT client_id, CASE change WHEN 'added' THEN 1 WHEN 'removed' THEN -1 ELSE 0 END AS sign,
    CASE change WHEN 'first touch changed' THEN 'first touch changed by ' || reason ELSE reason END AS reason
  FROM exp_diff
), counted AS (
  SELECT 'ace_units' AS field, client_id, sign, reason, count(*) AS n FROM unit_changes GROUP BY ALL
  UNION ALL SELECT 'delivered_notifications', client_id, sign, reason, count(*) FROM eng_changes GROUP BY ALL
  UNION ALL SELECT 'engagements', client_id, sign, reason, count(*) FROM eng_changes GROUP BY ALL
  UNION ALL SELECT 'attempted_notifications', client_id, sign, reason, count(*) FROM att_changes GROUP BY ALL
), reasons AS (
  -- e.g. 'late delivery (+2 notifications); late attempt (+1 notification)'
  SELECT field, client_id AS reason_client,
    string_agg(reason || ' (' || CASE WHEN sign > 0 THEN '+' WHEN sign < 0 THEN '-' ELSE '' END || n || ' '
      || CASE WHEN field = 'ace_units' THEN 'unit' ELSE 'notification' END || CASE WHEN n > 1 THEN 's' ELSE '' END || ')', '; '
      ORDER BY sign DESC, n DESC, reason) AS reason
  FROM counted GROUP BY ALL
)
SELECT {{keys}}, c.field, c.old_value, c.new_value,
  CASE WHEN c.field IN ('ace_units', 'delivered_notifications', 'attempted_notifications', 'engagements')
    THEN coalesce(TRY_CAST(c.new_value AS HUGEINT), 0) - coalesce(TRY_CAST(c.old_value AS HUGEINT), 0) END::BIGINT AS difference,
  c.change,
  -- An attribute of a row that is new or gone has no reason of its own: the numbers' reasons say why.
  CASE WHEN c.field IN ('client_name', 'billing_account_id', 'is_billable') THEN CASE WHEN c.change = 'changed' THEN 'changed client attributes in dim_customer' ELSE '' END
       WHEN c.field IN ('outcome_id', 'outcome_name', 'experience_name') THEN CASE WHEN c.change = 'changed' THEN 'changed experience in outcome_experience_lookup' ELSE '' END
       WHEN c.field = 'rule_version' THEN CASE WHEN c.change = 'changed' THEN 'rule version changed' ELSE '' END
       ELSE coalesce(r.reason, '') END AS reason,
  list_position(string_split(getvariable('diff_fields'), ','), c.field) AS field_position
FROM changed c
LEFT JOIN reasons r ON r.field = c.field AND r.reason_client = c.client_id;
