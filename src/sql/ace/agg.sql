-- agg: ace_unit_agg rows of billing month $month as of $as_of: one row per (client_id, date)
-- on which the client had an attempt or an engagement. A notification engaged (or attempted) on two
-- dates counts on each. Invariant: per client, audit rows = sum(new_ace_units) = last mtd_ace_units.
WITH days AS (
  SELECT client_id, dt AS date FROM calc_eng
  UNION
  SELECT client_id, dt AS date FROM calc_att
), new_units AS (
  SELECT client_id, first_touch.dt AS date, count(*) AS n FROM calc_audit GROUP BY ALL
), engaged AS (
  SELECT client_id, dt AS date, count(DISTINCT customer_id) AS customers,
         count(DISTINCT notification_id) AS notifications
  FROM calc_eng GROUP BY ALL
), attempted AS (
  SELECT client_id, dt AS date, sum(attempted_notifications) AS n FROM calc_att GROUP BY ALL
)
SELECT $month AS billing_month, d.client_id, d.date,
  coalesce(nu.n, 0)::BIGINT AS new_ace_units,
  (sum(coalesce(nu.n, 0)) OVER (PARTITION BY d.client_id ORDER BY d.date))::BIGINT AS mtd_ace_units,
  coalesce(e.customers, 0)::BIGINT AS engaged_customers,
  coalesce(e.notifications, 0)::BIGINT AS delivered_notifications,
  coalesce(a.n, 0)::BIGINT AS attempted_notifications,
  $as_of::DATE AS as_of_date, $rule_version AS rule_version, $run_id AS run_id
FROM days d
LEFT JOIN new_units nu USING (client_id, date)
LEFT JOIN engaged e USING (client_id, date)
LEFT JOIN attempted a USING (client_id, date)
ORDER BY d.client_id, d.date
