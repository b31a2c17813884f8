-- attempts_day: ace_attempt_daily rows for date $dt: distinct notification_ids attempted per client.
-- Input: variable calc_attempted_today (notification_attempted dt=$dt).
SELECT client_id, count(DISTINCT notification_id) AS attempted_notifications, $run_id AS run_id, $dt::DATE AS dt
FROM read_parquet(getvariable('calc_attempted_today'))
WHERE hash(notification_id) % getvariable('calc_shard_n')::UBIGINT = getvariable('calc_shard_k')::UBIGINT
GROUP BY client_id
ORDER BY client_id
