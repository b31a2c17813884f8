-- ingest_counts: the run's conservation counts. lines_read = blank + rejected + duplicates
-- + other_date + kept; the owned_* counts cover the arrival hours this date owns; too_late counts
-- first copies in owned hours that arrived after their own date's window had closed.
WITH lines AS (
  SELECT l.kind, f.owned, count(*) AS n
  FROM ingest_lines l JOIN ingest_files f USING (file_index)
  GROUP BY ALL
), firsts AS (
  SELECT count(*) AS firsts,
    count(*) FILTER (WHERE i.kept) AS kept,
    count(*) FILTER (WHERE f.owned AND i.ts < f.too_late_before AND NOT i.kept) AS too_late
  FROM ingest_first i JOIN ingest_files f ON f.file_index = (i.pos >> 32)
)
SELECT
  coalesce(sum(n), 0) AS lines_read,
  coalesce(sum(n) FILTER (WHERE kind = 'blank'), 0) AS blank,
  coalesce(sum(n) FILTER (WHERE kind NOT IN ('blank', 'json')), 0) AS rejected,
  coalesce(sum(n) FILTER (WHERE kind = 'json'), 0) - (SELECT firsts FROM firsts) AS duplicates,
  (SELECT firsts - kept FROM firsts) AS other_date,
  (SELECT kept FROM firsts) AS kept,
  coalesce(sum(n) FILTER (WHERE owned AND kind <> 'blank'), 0) AS owned_nonblank,
  coalesce(sum(n) FILTER (WHERE owned AND kind NOT IN ('blank', 'json')), 0) AS owned_rejected,
  (SELECT too_late FROM firsts) AS too_late,
  (SELECT count(*) FROM ingest_conflicts WHERE owned) AS conflicting_duplicates
FROM lines;
