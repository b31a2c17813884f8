-- audit_incremental: ace_unit_audit rows of $month as of $as_of from the previous version and day D
-- (see calc_incremental.sql). Same rows as calc_audit.sql over the whole month.
SELECT $month AS billing_month,
  coalesce(p.client_id, d.client_id) AS client_id,
  coalesce(p.customer_id, d.customer_id) AS customer_id,
  CASE WHEN p.client_id IS NOT NULL THEN p.first_engaged_at ELSE d.first_touch.at END AS first_engaged_at,
  CASE WHEN p.client_id IS NOT NULL THEN p.first_engaged_date ELSE d.first_touch.dt END AS first_engaged_date,
  CASE WHEN p.client_id IS NOT NULL THEN p.first_notification_id ELSE d.first_touch.notification_id END AS first_notification_id,
  CASE WHEN p.client_id IS NOT NULL THEN p.first_experience_id ELSE d.first_touch.experience_id END AS first_experience_id,
  CASE WHEN p.client_id IS NOT NULL THEN p.first_channel ELSE d.first_touch.channel END AS first_channel,
  coalesce(d.last_engaged_at, p.last_engaged_at) AS last_engaged_at,
  (coalesce(p.engagements, 0) + coalesce(d.new_notifications, 0))::BIGINT AS engagements,
  (coalesce(p.engaged_days, 0) + CASE WHEN d.client_id IS NOT NULL THEN 1 ELSE 0 END)::BIGINT AS engaged_days,
  $as_of::DATE AS as_of_date, $rule_version AS rule_version, $run_id AS run_id
FROM calc_prev_audit p
FULL JOIN calc_day_units d ON d.client_id = p.client_id AND d.customer_id = p.customer_id
ORDER BY client_id, customer_id
