-- ingest_kept: the table rows for the run's partition: the first copy of each key whose timestamp
-- falls in the business date, with where it came from. Sorted by the join key readers filter on.
-- Input: the table ingest_kept_rows (ingest_kept_rows.sql), the kept rows already picked out of the
-- ingest_lines view: sorting straight over the view (its joins and the IN filter under the sort) took
-- 3-4x as long as materialising the rows first and sorting the table (docs/performance.md).
-- The sort carries only what it needs: the file's name and arrival hour are looked up by file_index
-- (variables ingest_file_names / ingest_file_hours, set with ingest_files) after it, unless the stream
-- sorts by them (the lookup slots are rendered by src/sql/ingest.ts), and the run id and date are
-- added after it. With the join to ingest_files and the constants inside the sort, each sorted row
-- was ~100 bytes wider and the 10M-a-day write took 13.8–16.0 s instead of 11.4–11.7 s.
-- This relies on a projection over a sorted subquery keeping its order: DuckDB 1.5 plans it as
-- projections over the ORDER_BY operator, but its documented order preservation does not name
-- ORDER BY subqueries, so tests/golden/sorted-output.test.ts checks the written files (order, and
-- each row's file and line) and guards a DuckDB upgrade. The stage (src/run/context.ts) wraps
-- this query in one more projection, which keeps the order the same way.
SELECT {{columns}}, {{arrival_hour}}, {{source_file}}, line_number, $run_id AS run_id, $dt::DATE AS {{partition_key}}
FROM (
  SELECT {{columns}}, file_index, line_number{{sort_lookups}}
  FROM ingest_kept_rows
  ORDER BY {{order_by}}
)
