-- merge_unattributed: unattributed_deliveries rows of $dt from N shards (variable calc_m_un).
SELECT * REPLACE ($run_id AS run_id, $dt::DATE AS dt) FROM read_parquet(getvariable('calc_m_un'))
ORDER BY notification_id
