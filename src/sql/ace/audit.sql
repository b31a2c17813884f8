-- audit: ace_unit_audit rows of billing month $month as of $as_of.
SELECT $month AS billing_month, client_id, customer_id,
  first_touch.at AS first_engaged_at,
  first_touch.dt AS first_engaged_date,
  first_touch.notification_id AS first_notification_id,
  first_touch.experience_id AS first_experience_id,
  first_touch.channel AS first_channel,
  last_engaged_at, engagements, engaged_days,
  $as_of::DATE AS as_of_date, $rule_version AS rule_version, $run_id AS run_id
FROM calc_audit
ORDER BY client_id, customer_id
