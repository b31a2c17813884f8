-- ingest_outcome: dedup and the business-date filter, on narrow tables.
-- ingest_first: one row per key: its earliest-arrived valid copy (smallest pos: arrival hour, object
--   key, line), that copy's timestamp, and how many valid copies were read. Snapshot streams key each
--   line by its own position (no dedup).
-- ingest_kept_pos: the first copies whose timestamp falls in [ingest_start, ingest_end).
-- ingest_conflicts: later copies of a key whose required fields differ from the first copy's
--   (timestamps compared as instants), with the first differing field.
CREATE OR REPLACE TEMP TABLE ingest_first AS
SELECT {{key}} AS dedup_key, min(pos) AS pos, arg_min({{ts}}, pos) AS ts, count(*) AS copies
FROM ingest_lines WHERE kind = 'json'
GROUP BY ALL;

CREATE OR REPLACE TEMP TABLE ingest_kept_pos AS
SELECT pos FROM ingest_first
WHERE ts >= getvariable('ingest_start')::TIMESTAMPTZ AND ts < getvariable('ingest_end')::TIMESTAMPTZ;

CREATE OR REPLACE TEMP TABLE ingest_conflicts AS
WITH dup_keys AS (
  SELECT dedup_key, pos AS first_pos FROM ingest_first WHERE copies > 1
), copies AS (
  SELECT l.*, d.first_pos FROM ingest_lines l JOIN dup_keys d ON l.{{key_col}} = d.dedup_key WHERE l.kind = 'json'
)
SELECT f.source_file, d.line_number, f.owned, {{first_difference}} AS field,
  to_json({{copy_struct}})::VARCHAR AS raw_line
FROM copies d
JOIN copies k ON k.pos = d.first_pos AND k.{{key_col}} = d.{{key_col}}
JOIN ingest_files f ON f.file_index = d.file_index
WHERE d.pos <> d.first_pos AND ({{differs}});
