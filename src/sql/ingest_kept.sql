-- ingest_kept: the table rows for the run's partition: the first copy of each key whose timestamp
-- falls in the business date, with where it came from. Sorted by the join key readers filter on.
SELECT {{columns}}, arrival_hour, source_file, line_number, $run_id AS run_id, $dt::DATE AS {{partition_key}}
FROM ingest_outcome
WHERE outcome = 'kept'
ORDER BY {{order_by}}
