-- unattributed: unattributed_deliveries rows for date $dt: delivered notifications with no
-- matching attempt in the lookback. Never billed; reported per date.
SELECT d.notification_id, d.engaged_at AS delivered_at, d.channel, $run_id AS run_id, $dt::DATE AS dt
FROM calc_delivered_day d
ANTI JOIN calc_attributed f USING (notification_id)
ORDER BY notification_id
