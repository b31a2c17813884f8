-- merge_attempts: ace_attempt_daily rows of $dt from N shards (variable calc_m_att): per-client distinct
-- attempted notifications add up, since a notification belongs to one shard.
SELECT client_id, sum(attempted_notifications)::BIGINT AS attempted_notifications, $run_id AS run_id, $dt::DATE AS dt
FROM read_parquet(getvariable('calc_m_att'))
GROUP BY client_id
ORDER BY client_id
