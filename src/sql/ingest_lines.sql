-- ingest_lines: ingest_read with each line's 1-based physical line number in its file, mapped to the
-- file's global index, and the lines the reader refused added back as malformed_json.
-- Grain: one row per physical line. Inputs: ingest_read, ingest_reader_rejects, ingest_files.
-- A refused line is missing from ingest_read, so a returned row's physical line is its rank k in the
-- file plus the number of refused lines before it (found with an ASOF join on "good lines before").
-- `pos` = file_index * 2^32 + line_number follows arrival order (arrival hour, object key, line)
-- across the whole window, whichever task read the file: shards and a single task agree on it.
CREATE OR REPLACE TEMP TABLE ingest_refused AS
SELECT file_id::INTEGER AS read_index, line::BIGINT AS line_number, csv_line,
       line::BIGINT - row_number() OVER (PARTITION BY file_id ORDER BY line) AS good_before,
       row_number() OVER (PARTITION BY file_id ORDER BY line) AS refused_so_far
FROM ingest_reader_rejects;

CREATE OR REPLACE TEMP TABLE ingest_lines AS
WITH starts AS (
  SELECT read_index, min(pos) AS first_pos FROM ingest_read GROUP BY read_index
), ranked AS (
  SELECT r.*, r.pos - s.first_pos + 1 AS k FROM ingest_read r JOIN starts s USING (read_index)
), refused_steps AS (
  SELECT read_index, good_before, max(refused_so_far) AS refused_so_far FROM ingest_refused GROUP BY ALL
), numbered AS (
  SELECT r.* EXCLUDE (k, pos), r.k + coalesce(x.refused_so_far, 0) AS line_number
  FROM ranked r ASOF LEFT JOIN refused_steps x ON r.read_index = x.read_index AND r.k > x.good_before
  UNION ALL
  SELECT read_index, 'invalid' AS kind, 'malformed_json' AS reason, NULL AS field,
    {{null_values}},
    csv_line AS raw_line, line_number
  FROM ingest_refused
)
SELECT f.file_index, (f.file_index::BIGINT << 32) + n.line_number AS pos, n.* EXCLUDE (read_index)
FROM numbered n
JOIN ingest_files f ON f.read_index = n.read_index;
