-- ingest_lines (view): see ingest_lines.sql. The numbering slot is rendered by src/sql/ingest.ts: a
-- plain rank in the file when the reader refused no line (the usual case), or the ASOF adjustment
-- for refused lines (which sorts, so it is only paid when needed).
CREATE OR REPLACE TEMP VIEW ingest_lines AS
WITH numbered AS (
  {{numbered}}
  UNION ALL
  SELECT read_index, 'invalid' AS kind, 'malformed_json' AS reason, NULL AS field,
    {{null_values}},
    csv_line AS raw_line, line_number
  FROM ingest_refused
)
SELECT f.file_index, (f.file_index::BIGINT << 32) + n.line_number AS pos, n.* EXCLUDE (read_index)
FROM numbered n
JOIN ingest_files f ON f.read_index = n.read_index;
