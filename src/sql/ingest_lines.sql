-- ingest_lines: ingest_read with each line's 1-based physical line number in its file, joined to the
-- file's arrival facts, and the lines the reader refused added back as malformed_json.
-- Grain: one row per physical line. Inputs: ingest_read, ingest_reader_rejects, ingest_files.
-- A refused line is missing from ingest_read, so a returned row's physical line is its rank k in the
-- file plus the number of refused lines before it (found with an ASOF join on "good lines before").
CREATE OR REPLACE TEMP TABLE ingest_refused AS
SELECT file_id::INTEGER AS file_index, line::BIGINT AS line_number, csv_line,
       line::BIGINT - row_number() OVER (PARTITION BY file_id ORDER BY line) AS good_before,
       row_number() OVER (PARTITION BY file_id ORDER BY line) AS refused_so_far
FROM ingest_reader_rejects;

CREATE OR REPLACE TEMP TABLE ingest_lines AS
WITH starts AS (
  SELECT file_index, min(pos) AS first_pos FROM ingest_read GROUP BY file_index
), ranked AS (
  SELECT r.*, r.pos - s.first_pos + 1 AS k FROM ingest_read r JOIN starts s USING (file_index)
), refused_steps AS (
  SELECT file_index, good_before, max(refused_so_far) AS refused_so_far FROM ingest_refused GROUP BY ALL
)
SELECT r.* EXCLUDE (k), r.k + coalesce(x.refused_so_far, 0) AS line_number
FROM ranked r ASOF LEFT JOIN refused_steps x ON r.file_index = x.file_index AND r.k > x.good_before
UNION ALL
SELECT file_index, NULL AS pos, 'invalid' AS kind, 'malformed_json' AS reason, NULL AS field,
  {{null_values}},
  csv_line AS raw_line, line_number
FROM ingest_refused;
