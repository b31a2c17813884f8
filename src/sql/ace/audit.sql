-- audit: rule step 3, ace_unit_audit rows of $month as of $as_of: the base's units (calc_base_audit,
-- empty without a base) extended by calc_units (units.sql). Every engagement after the base is later than
-- every engagement in it (dates split time), so a unit of the base keeps its first touch and gains the
-- later engagement, notifications and dates; a unit first seen after the base takes its first touch
-- from calc_units.
CREATE OR REPLACE TEMP TABLE calc_audit AS
SELECT $month AS billing_month,
  coalesce(b.client_id, u.client_id) AS client_id,
  coalesce(b.customer_id, u.customer_id) AS customer_id,
  CASE WHEN b.client_id IS NOT NULL THEN b.first_engaged_at ELSE u.first_touch.at END AS first_engaged_at,
  CASE WHEN b.client_id IS NOT NULL THEN b.first_engaged_date ELSE u.first_touch.dt END AS first_engaged_date,
  CASE WHEN b.client_id IS NOT NULL THEN b.first_notification_id ELSE u.first_touch.notification_id END AS first_notification_id,
  CASE WHEN b.client_id IS NOT NULL THEN b.first_experience_id ELSE u.first_touch.experience_id END AS first_experience_id,
  CASE WHEN b.client_id IS NOT NULL THEN b.first_channel ELSE u.first_touch.channel END AS first_channel,
  coalesce(u.last_engaged_at, b.last_engaged_at) AS last_engaged_at,
  (coalesce(b.engagements, 0) + coalesce(u.new_notifications, 0))::BIGINT AS engagements,
  (coalesce(b.engaged_days, 0) + coalesce(len(u.dates), 0))::BIGINT AS engaged_days,
  $as_of::DATE AS as_of_date, $rule_version AS rule_version, $run_id AS run_id
FROM calc_base_audit b
FULL JOIN calc_units u ON u.client_id = b.client_id AND u.customer_id = b.customer_id
