-- ingest_counts: the run's conservation counts. lines_read = blank + rejected + duplicates
-- + other_date + kept; the owned_* counts cover the arrival hours this date owns.
SELECT
  count(*) AS lines_read,
  count(*) FILTER (WHERE outcome = 'blank') AS blank,
  count(*) FILTER (WHERE outcome = 'rejected') AS rejected,
  count(*) FILTER (WHERE outcome = 'duplicate') AS duplicates,
  count(*) FILTER (WHERE outcome = 'other_date') AS other_date,
  count(*) FILTER (WHERE outcome = 'kept') AS kept,
  count(*) FILTER (WHERE owned AND outcome <> 'blank') AS owned_nonblank,
  count(*) FILTER (WHERE owned AND outcome = 'rejected') AS owned_rejected,
  count(*) FILTER (WHERE owned AND outcome = 'other_date' AND {{ts}} < too_late_before) AS too_late,
  (SELECT count(*) FROM ingest_conflicts WHERE owned) AS conflicting_duplicates
FROM ingest_outcome;
