-- ingest_read: every physical line of the run's raw files, classified and with typed required fields.
-- Grain: one row per line that DuckDB's line reader returned (blank lines included, as NULL).
-- Inputs: variable ingest_paths (local paths in arrival order: arrival hour, then object key); the stream's field
--   list, rendered into the paths, values, reason and field slots by src/sql/ingest.ts.
-- Lines the reader itself refuses (invalid UTF-8, an embedded separator, an over-long line) land in
-- the temp table ingest_reader_rejects and are merged as malformed_json by ingest_classify.sql.
CREATE OR REPLACE TEMP TABLE ingest_read AS
WITH raw AS (
  SELECT file_index::INTEGER AS read_index, row_number() OVER () AS pos, line
  FROM read_csv(getvariable('ingest_paths'), columns = {'line': 'VARCHAR'}, header = false, auto_detect = false,
                delim = E'\x01\x02', quote = '', escape = '', new_line = '\n',
                max_line_size = 4194304, buffer_size = 33554432, store_rejects = true,
                rejects_table = 'ingest_reader_rejects', rejects_scan = 'ingest_reader_scans')
), classified AS (
  SELECT read_index, pos, line,
    CASE WHEN line IS NULL OR trim(line, E' \t\r') = '' THEN 'blank'
         WHEN NOT json_valid(line) THEN 'malformed'
         -- DuckDB's parser accepts trailing commas and NaN/Infinity, which JSON forbids: outside string
         -- literals (blanked first, only on lines that look suspicious) they make the line malformed.
         WHEN regexp_matches(line, ',\s*[\]}]|[Nn][Aa][Nn]|[Ii][Nn][Ff]')
          AND regexp_matches(regexp_replace(line, '"(\\.|[^"\\])*"', '""', 'g'), ',\s*[\]}]|[Nn][Aa][Nn]|[Ii][Nn][Ff]') THEN 'malformed'
         WHEN json_type(line) <> 'OBJECT' THEN 'malformed'
         ELSE 'json' END AS kind
  FROM raw
), extracted AS (
  SELECT read_index, pos, line, kind,
    CASE WHEN kind = 'json' THEN json_extract(line, {{paths}}) END AS v
  FROM classified
)
SELECT read_index, pos,
  CASE WHEN kind = 'json' AND reason IS NOT NULL THEN 'invalid' ELSE kind END AS kind,
  CASE WHEN kind = 'malformed' THEN 'malformed_json' ELSE reason END AS reason,
  field,
  {{values}},
  CASE WHEN kind = 'malformed' OR reason IS NOT NULL THEN line END AS raw_line
FROM (SELECT *, {{reason}} AS reason, {{field}} AS field FROM extracted);
