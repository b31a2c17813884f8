-- units: rule steps 2–3 for the dates after a base: the partials of calc_unit_parts (unit_partials.sql:
-- one per unit from a single task, up to one per shard from a merge) combined per unit. Shards hold
-- whole notifications, so the first touch is the least (time, date, notification) of the partials'
-- (a struct compares field by field; a time has one date), the new notifications add up, and the
-- engaged dates are the union of the partials' lists.
-- Grain: calc_units has one row per (client_id, customer_id) engaged after the base.
CREATE OR REPLACE TEMP TABLE calc_units AS
SELECT client_id, customer_id,
  min(first_touch) AS first_touch,
  max(last_engaged_at) AS last_engaged_at,
  sum(new_notifications)::BIGINT AS new_notifications,
  list_sort(list_distinct(flatten(list(dates)))) AS dates
FROM calc_unit_parts
GROUP BY client_id, customer_id;
