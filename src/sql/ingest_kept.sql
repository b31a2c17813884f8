-- ingest_kept: the table rows for the run's partition: the first copy of each key whose timestamp
-- falls in the business date, with where it came from. Sorted by the join key readers filter on.
SELECT {{columns}}, f.arrival_hour, f.source_file, l.line_number, $run_id AS run_id, $dt::DATE AS {{partition_key}}
FROM ingest_lines l
JOIN ingest_files f USING (file_index)
-- The date test first: only a line stamped in the date can be a kept copy, and it spares the other
-- lines the lookup in ingest_kept_pos.
WHERE l.{{ts}} >= getvariable('ingest_start')::TIMESTAMPTZ AND l.{{ts}} < getvariable('ingest_end')::TIMESTAMPTZ
  AND l.pos IN (SELECT pos FROM ingest_kept_pos)
ORDER BY {{order_by}}
