-- calc_month: rule steps 2–4 over the month so far, from the per-day intermediates.
-- Grain: calc_audit has one row per ACE unit (client_id, customer_id) engaged on a date in
--   [M-01, as_of_date]. Inputs: variables calc_engagement_files and calc_attempt_files (one
--   ace_engagement_daily / ace_attempt_daily partition per date of the month up to as_of_date).
-- First touch: the earliest engagement time; ties go to the smallest notification_id.
CREATE OR REPLACE TEMP TABLE calc_eng AS
SELECT * FROM read_parquet(getvariable('calc_engagement_files'));

CREATE OR REPLACE TEMP TABLE calc_att AS
SELECT * FROM read_parquet(getvariable('calc_attempt_files'));

CREATE OR REPLACE TEMP TABLE calc_audit AS
SELECT client_id, customer_id,
  arg_min({'at': engaged_at, 'dt': dt, 'notification_id': notification_id,
           'experience_id': experience_id, 'channel': channel},
          {'at': engaged_at, 'id': notification_id}) AS first_touch,
  max(engaged_at) AS last_engaged_at,
  count(DISTINCT notification_id) AS engagements,
  count(DISTINCT dt) AS engaged_days
FROM calc_eng
GROUP BY client_id, customer_id;
