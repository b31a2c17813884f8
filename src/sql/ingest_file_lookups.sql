-- ingest_file_lookups: each window file's name and arrival hour as lists indexed by file_index + 1, for
-- lookups after a sort (ingest_kept.sql), where a join to ingest_files would not keep the order.
-- Inputs: ingest_files (file_index dense from 0, in arrival order).
SET VARIABLE ingest_file_names = (SELECT coalesce(list(source_file ORDER BY file_index), []) FROM ingest_files);
SET VARIABLE ingest_file_hours = (SELECT coalesce(list(arrival_hour ORDER BY file_index), []) FROM ingest_files);
