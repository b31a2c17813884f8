-- ingest_rejects: rows of <stream>_rejects for this run: bad lines and conflicting duplicates in the
-- arrival hours the run's date owns. raw_line is cut to the longest prefix of whole UTF-8 characters
-- that fits in 1024 bytes (256 characters always fit: at most 4 bytes each; only long lines pay).
SELECT source_file, line_number, reason, field,
  CASE WHEN strlen(raw_line) <= 1024 THEN raw_line
       ELSE left(raw_line, list_max([n FOR n IN range(256, 1025) IF strlen(left(raw_line, n)) <= 1024])) END AS raw_line,
  $run_id AS run_id, $dt::DATE AS dt
FROM (
  SELECT f.source_file, l.line_number, l.reason, l.field, l.raw_line
  FROM ingest_lines l JOIN ingest_files f USING (file_index)
  WHERE f.owned AND l.kind NOT IN ('blank', 'json')
  UNION ALL
  SELECT source_file, line_number, 'conflicting_duplicate', field, raw_line FROM ingest_conflicts WHERE owned
)
ORDER BY source_file, line_number
