-- ingest_outcome: what became of every line: blank, rejected, duplicate, other_date or kept.
-- Grain: one row per physical line. Inputs: ingest_lines, ingest_files, and the business
-- date's UTC instants, variables ingest_start and ingest_end; for snapshot streams the whole read window).
-- Dedup keeps the earliest-arrived valid copy of each key: `pos` follows arrival hour, object key and
-- line, because the files are read in that order.
CREATE OR REPLACE TEMP TABLE ingest_first AS
SELECT {{key}} AS dedup_key, min(pos) AS pos
FROM ingest_lines WHERE kind = 'json'
GROUP BY ALL;

CREATE OR REPLACE TEMP VIEW ingest_outcome AS
SELECT l.*, f.source_file, f.arrival_hour, f.owned, f.too_late_before,
  CASE WHEN l.kind = 'blank' THEN 'blank'
       WHEN l.kind <> 'json' THEN 'rejected'
       WHEN fi.pos IS NULL THEN 'duplicate'
       WHEN l.{{ts}} < getvariable('ingest_start')::TIMESTAMPTZ OR l.{{ts}} >= getvariable('ingest_end')::TIMESTAMPTZ THEN 'other_date'
       ELSE 'kept' END AS outcome
FROM ingest_lines l
JOIN ingest_files f USING (file_index)
LEFT JOIN ingest_first fi ON fi.pos = l.pos;

-- A later copy whose required fields differ from the kept copy's is a conflicting duplicate.
CREATE OR REPLACE TEMP TABLE ingest_conflicts AS
SELECT d.source_file, d.line_number, d.owned, {{first_difference}} AS field,
  to_json({{copy_struct}})::VARCHAR AS raw_line
FROM ingest_outcome d
JOIN ingest_outcome k ON k.{{key_col}} = d.{{key_col}} AND k.outcome IN ('kept', 'other_date')
WHERE d.outcome = 'duplicate' AND ({{differs}});
