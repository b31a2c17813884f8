-- agg_incremental: ace_unit_agg rows of $month as of $as_of: the previous version's rows (dates
-- before D do not change) plus the rows of D. mtd on D = the client's last mtd + its new units on D.
-- Inputs: calc_prev_audit, calc_day, calc_day_units, variables calc_prev_agg_files and
--   calc_day_attempt_files (ace_attempt_daily of D).
WITH prev AS (
  SELECT * FROM read_parquet(getvariable('calc_prev_agg_files'))
), new_units AS (
  SELECT d.client_id, count(*) AS n
  FROM calc_day_units d ANTI JOIN calc_prev_audit p ON p.client_id = d.client_id AND p.customer_id = d.customer_id
  GROUP BY ALL
), engaged AS (
  SELECT client_id, count(DISTINCT customer_id) AS customers, count(DISTINCT notification_id) AS notifications
  FROM calc_day GROUP BY ALL
), attempted AS (
  SELECT client_id, sum(attempted_notifications) AS n FROM read_parquet(getvariable('calc_day_attempt_files')) GROUP BY ALL
), prev_mtd AS (
  SELECT client_id, max(mtd_ace_units) AS mtd FROM prev GROUP BY ALL
), today AS (
  SELECT client_id FROM engaged UNION SELECT client_id FROM attempted
)
SELECT $month AS billing_month, client_id, date, new_ace_units, mtd_ace_units, engaged_customers,
  delivered_notifications, attempted_notifications,
  $as_of::DATE AS as_of_date, $rule_version AS rule_version, $run_id AS run_id
FROM prev
UNION ALL
SELECT $month, t.client_id, $as_of::DATE,
  coalesce(nu.n, 0)::BIGINT,
  (coalesce(pm.mtd, 0) + coalesce(nu.n, 0))::BIGINT,
  coalesce(e.customers, 0)::BIGINT,
  coalesce(e.notifications, 0)::BIGINT,
  coalesce(a.n, 0)::BIGINT,
  $as_of::DATE, $rule_version, $run_id
FROM today t
LEFT JOIN new_units nu USING (client_id)
LEFT JOIN prev_mtd pm USING (client_id)
LEFT JOIN engaged e USING (client_id)
LEFT JOIN attempted a USING (client_id)
ORDER BY client_id, date
