-- engagements: ace_engagement_daily rows for date $dt: attributed deliveries.
SELECT d.notification_id,
  f.first_attempt.client_id AS client_id,
  f.first_attempt.customer_id AS customer_id,
  f.first_attempt.experience_id AS experience_id,
  f.first_attempt.channel AS channel,
  f.first_attempt.event_id AS attempt_event_id,
  d.engaged_at,
  $run_id AS run_id,
  $dt::DATE AS dt
FROM calc_delivered_day d
JOIN calc_attributed f USING (notification_id)
ORDER BY client_id, customer_id, notification_id
