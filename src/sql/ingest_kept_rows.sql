-- ingest_kept_rows: the kept rows of the run's partition, unsorted: the first copy of each key whose
-- timestamp falls in the business date (ingest_kept_pos), with the file index and line number that
-- ingest_kept.sql turns into source_file and line_number after its sort.
-- Grain: one row per kept event. Inputs: ingest_lines (view), ingest_kept_pos; variables ingest_start/end.
-- A table, not a subquery of the sort: DuckDB then sorts and writes a plain table instead of running
-- the view's joins and the IN filter under the sort (docs/performance.md, "Where the time goes").
CREATE OR REPLACE TEMP TABLE ingest_kept_rows AS
SELECT {{columns}}, l.file_index, l.line_number
FROM ingest_lines l
-- The date test first: only a line stamped in the date can be a kept copy, and it spares the other
-- lines the lookup in ingest_kept_pos.
WHERE l.{{ts}} >= getvariable('ingest_start')::TIMESTAMPTZ AND l.{{ts}} < getvariable('ingest_end')::TIMESTAMPTZ
  AND l.pos IN (SELECT pos FROM ingest_kept_pos);
