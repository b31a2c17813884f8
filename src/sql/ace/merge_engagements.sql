-- merge_engagements: ace_engagement_daily rows of $dt from N shards (variable calc_m_eng). Shards split
-- notifications by hash, so their rows never overlap: the union is the day's rows.
SELECT * REPLACE ($run_id AS run_id, $dt::DATE AS dt) FROM read_parquet(getvariable('calc_m_eng'))
ORDER BY client_id, customer_id, notification_id
