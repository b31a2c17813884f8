-- ingest_rejects: rows of <stream>_rejects for this run: bad lines and conflicting duplicates in the
-- arrival hours the run's date owns. raw_line is cut to at most 1024 bytes at a UTF-8 boundary:
-- dropping as many characters as the first 1024 characters exceed 1024 bytes always lands within
-- the limit, and 256 characters (4 bytes at most each) always fit.
SELECT source_file, line_number, reason, field,
  CASE WHEN strlen(raw_line) <= 1024 THEN raw_line
       ELSE left(raw_line, greatest(256, 1024 - (strlen(left(raw_line, 1024)) - 1024))) END AS raw_line,
  $run_id AS run_id, $dt::DATE AS dt
FROM (
  SELECT source_file, line_number, reason, field, raw_line FROM ingest_outcome WHERE owned AND outcome = 'rejected'
  UNION ALL
  SELECT source_file, line_number, 'conflicting_duplicate', field, raw_line FROM ingest_conflicts WHERE owned
)
ORDER BY source_file, line_number
