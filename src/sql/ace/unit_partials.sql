-- unit_partials: rule steps 2–4 over the dates after a base, as partials that add up across shards (a
-- shard holds whole notifications, so no notification is split): the units engaged in calc_eng and
-- the notifications engaged per client and date. A single task makes one partial of each; units.sql
-- and agg.sql combine any number of them.
-- Inputs (relations set up by rule.ts): calc_eng, the ace_engagement_daily rows of the dates after the
--   base (every date of the month so far when there is no base); calc_earlier, the engagements of the
--   base's dates (only notification_id, client_id, customer_id are read; empty without a base).
-- Grain: calc_unit_parts has one row per (client_id, customer_id) engaged in calc_eng: its first touch
--   there (earliest engaged_at, ties to the smallest notification_id), its last engagement, the
--   notifications it engaged that the base had not counted, and its engaged dates (a sorted list: at most
--   the days of a month). calc_day_parts has one row per (client_id, date) with an engagement: the
--   distinct notifications engaged.
-- The aggregate keeps only the first touch's key (time, notification) per unit; its fields are joined
-- back afterwards (a notification has one engagement row per date, so the key finds one row).
CREATE OR REPLACE TEMP TABLE calc_unit_parts AS
WITH first_keys AS (
  SELECT client_id, customer_id,
    min({'at': engaged_at, 'id': notification_id}) AS first_key,
    max(engaged_at) AS last_engaged_at,
    list_sort(list_distinct(list(dt))) AS dates
  FROM calc_eng
  GROUP BY client_id, customer_id
), new_notifications AS (
  SELECT e.client_id, e.customer_id, count(DISTINCT e.notification_id) AS n
  FROM calc_eng e
  ANTI JOIN calc_earlier x
    ON x.notification_id = e.notification_id AND x.client_id = e.client_id AND x.customer_id = e.customer_id
  GROUP BY ALL
)
SELECT u.client_id, u.customer_id,
  {'at': e.engaged_at, 'dt': e.dt, 'notification_id': e.notification_id,
   'experience_id': e.experience_id, 'channel': e.channel} AS first_touch,
  u.last_engaged_at, coalesce(n.n, 0)::BIGINT AS new_notifications, u.dates
FROM first_keys u
JOIN calc_eng e
  ON e.client_id = u.client_id AND e.customer_id = u.customer_id
 AND e.notification_id = u.first_key.id AND e.engaged_at = u.first_key.at
LEFT JOIN new_notifications n ON n.client_id = u.client_id AND n.customer_id = u.customer_id;

CREATE OR REPLACE TEMP TABLE calc_day_parts AS
SELECT client_id, dt AS date, count(DISTINCT notification_id)::BIGINT AS notifications
FROM calc_eng
GROUP BY ALL;
