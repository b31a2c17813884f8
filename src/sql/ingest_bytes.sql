-- ingest_bytes: the files read whose lines do not add up to their size, or that hold a line over the
-- limit (SPEC.md "Raw input": every byte of a file is accounted for). DuckDB returns each line without
-- its line end, so a file gives the bytes of its lines plus one per line end; a last line without `\n`
-- has none. Grain: one row per suspect file, in arrival order (src/run/raw.ts explains each).
-- Inputs: ingest_read (line_bytes), ingest_refused (csv_line: the reader keeps a refused line's length),
-- ingest_reader_refused (long lines; ingest_lines.sql), ingest_expected_raw (per file: the size it must give; for gzip the
-- trailer's ISIZE, which is the size mod 2^32; whether a plain file ends with `\n`).
WITH returned AS (
  SELECT read_index, sum(n) AS returned FROM (
    SELECT read_index, sum(line_bytes + 1) AS n FROM ingest_read GROUP BY ALL
    UNION ALL
    SELECT read_index, sum(strlen(csv_line) + 1) FROM ingest_refused GROUP BY ALL
  ) GROUP BY ALL
), long_lines AS (
  SELECT read_index, min(line)::BIGINT AS long_line
  FROM ingest_reader_refused WHERE error_type = 'LINE SIZE OVER MAXIMUM' GROUP BY ALL
), judged AS (
  SELECT e.read_index::INTEGER AS read_index, coalesce(r.returned, 0)::BIGINT AS returned, l.long_line,
    e.expected::BIGINT AS expected, e.ends_with_newline, e.modulo
  FROM ingest_expected_raw e
  LEFT JOIN returned r ON r.read_index = e.read_index
  LEFT JOIN long_lines l ON l.read_index = e.read_index
)
SELECT read_index, returned, long_line FROM judged
WHERE long_line IS NOT NULL
   OR CASE WHEN modulo THEN expected IS NULL
             OR NOT (returned % 4294967296 = expected OR (returned > 0 AND (returned - 1) % 4294967296 = expected))
           ELSE returned <> CASE WHEN expected > 0 AND NOT ends_with_newline THEN expected + 1 ELSE expected END END
ORDER BY read_index;
