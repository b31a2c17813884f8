-- agg: rule step 4, ace_unit_agg rows of $month as of $as_of: one row per (client_id, date) on which the
-- client had an attempt or an engagement. The base's dates keep their rows (calc_base_agg, empty without
-- a base); the dates after it are computed from the engaged notifications (calc_day_parts), the
-- attempts (calc_att), the units (calc_units: engaged customers) and the audit (calc_audit: new units);
-- month to date runs over both.
-- A notification engaged (or attempted) on two dates counts on each.
-- Invariant: per client, audit rows = sum(new_ace_units) = last mtd_ace_units.
WITH engaged_notifications AS (
  SELECT client_id, date, sum(notifications) AS notifications FROM calc_day_parts GROUP BY ALL
), attempted AS (
  SELECT client_id, dt AS date, sum(attempted_notifications) AS attempted FROM calc_att GROUP BY ALL
), counts AS (
  SELECT coalesce(e.client_id, a.client_id) AS client_id, coalesce(e.date, a.date) AS date,
    coalesce(e.notifications, 0) AS notifications, coalesce(a.attempted, 0) AS attempted
  FROM engaged_notifications e
  FULL JOIN attempted a ON a.client_id = e.client_id AND a.date = e.date
), new_units AS (
  SELECT client_id, first_engaged_date AS date, count(*) AS n FROM calc_audit GROUP BY ALL
), engaged AS (
  -- A unit is one customer of one client: the units engaged on a date are its engaged customers.
  SELECT client_id, date, count(*) AS customers FROM (SELECT client_id, unnest(dates) AS date FROM calc_units) GROUP BY ALL
), day_rows AS (
  SELECT client_id, date, new_ace_units, engaged_customers, delivered_notifications, attempted_notifications
  FROM calc_base_agg
  UNION ALL
  SELECT c.client_id, c.date, coalesce(nu.n, 0), coalesce(e.customers, 0), c.notifications, c.attempted
  FROM counts c
  LEFT JOIN new_units nu USING (client_id, date)
  LEFT JOIN engaged e USING (client_id, date)
)
SELECT $month AS billing_month, client_id, date,
  new_ace_units::BIGINT AS new_ace_units,
  (sum(new_ace_units) OVER (PARTITION BY client_id ORDER BY date))::BIGINT AS mtd_ace_units,
  engaged_customers::BIGINT AS engaged_customers,
  delivered_notifications::BIGINT AS delivered_notifications,
  attempted_notifications::BIGINT AS attempted_notifications,
  $as_of::DATE AS as_of_date, $rule_version AS rule_version, $run_id AS run_id
FROM day_rows
ORDER BY client_id, date
