-- month: rule steps 2–4 over the month so far, from the per-day intermediates.
-- Grain: calc_audit has one row per ACE unit (client_id, customer_id) engaged on a date in
--   [M-01, as_of_date]. Inputs: variables calc_engagement_files and calc_attempt_files (one
--   ace_engagement_daily / ace_attempt_daily partition per date of the month up to as_of_date).
-- First touch: the earliest engagement time; ties go to the smallest notification_id.
CREATE OR REPLACE TEMP TABLE calc_eng AS
SELECT notification_id, client_id, customer_id, experience_id, channel, engaged_at, dt
FROM read_parquet(getvariable('calc_engagement_files'));

CREATE OR REPLACE TEMP TABLE calc_att AS
SELECT client_id, attempted_notifications, dt FROM read_parquet(getvariable('calc_attempt_files'));

-- The aggregate keeps only the first touch's key (time, notification) per unit; its fields are joined
-- back afterwards (a notification has one engagement row per date, so the key finds one row).
CREATE OR REPLACE TEMP TABLE calc_audit AS
WITH units AS (
  SELECT client_id, customer_id,
    min({'at': engaged_at, 'id': notification_id}) AS first_key,
    max(engaged_at) AS last_engaged_at,
    count(DISTINCT notification_id) AS engagements,
    count(DISTINCT dt) AS engaged_days
  FROM calc_eng
  GROUP BY client_id, customer_id
)
SELECT u.client_id, u.customer_id,
  {'at': e.engaged_at, 'dt': e.dt, 'notification_id': e.notification_id,
   'experience_id': e.experience_id, 'channel': e.channel} AS first_touch,
  u.last_engaged_at, u.engagements, u.engaged_days
FROM units u
JOIN calc_eng e
  ON e.client_id = u.client_id AND e.customer_id = u.customer_id
 AND e.notification_id = u.first_key.id AND e.engaged_at = u.first_key.at;
