-- incremental: the month as of D from the month as of D − 1 plus day D, when no earlier day
-- changed since (checked by the job against the day fingerprints recorded in the audit's manifest).
-- Every engagement of D is later than every earlier one (dates split time), so an existing unit keeps
-- its first touch, takes D's last engagement, gains D as an engaged day and D's notifications it had
-- not engaged before; a unit first seen on D is new on D.
-- Inputs: variables calc_prev_audit_files, calc_day_files (ace_engagement_daily of D) and
--   calc_earlier_engagement_files (the days before D; only three columns are read).
CREATE OR REPLACE TEMP TABLE calc_prev_audit AS
SELECT * FROM read_parquet(getvariable('calc_prev_audit_files'));

CREATE OR REPLACE TEMP TABLE calc_day AS
SELECT notification_id, client_id, customer_id, experience_id, channel, engaged_at, dt
FROM read_parquet(getvariable('calc_day_files'));

CREATE OR REPLACE TEMP TABLE calc_day_units AS
WITH new_notifications AS (
  SELECT d.client_id, d.customer_id, count(DISTINCT d.notification_id) AS n
  FROM calc_day d
  ANTI JOIN (SELECT notification_id, client_id, customer_id FROM read_parquet(getvariable('calc_earlier_engagement_files'))) e
    ON e.notification_id = d.notification_id AND e.client_id = d.client_id AND e.customer_id = d.customer_id
  GROUP BY ALL
)
SELECT u.*, coalesce(n.n, 0) AS new_notifications
FROM (
  SELECT client_id, customer_id,
    arg_min({'at': engaged_at, 'dt': dt, 'notification_id': notification_id,
             'experience_id': experience_id, 'channel': channel},
            {'at': engaged_at, 'id': notification_id}) AS first_touch,
    max(engaged_at) AS last_engaged_at
  FROM calc_day
  GROUP BY client_id, customer_id
) u
LEFT JOIN new_notifications n USING (client_id, customer_id);
