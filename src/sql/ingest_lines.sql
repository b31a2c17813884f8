-- ingest_lines: ingest_read with each line's 1-based physical line number in its file and the file's
-- global index; the lines the reader refused are added back as malformed_json.
-- Grain: one row per physical line. Inputs: ingest_read, ingest_reader_rejects and ingest_reader_scans,
-- ingest_read_paths, ingest_files.
-- The view itself is ingest_lines_view.sql: a view, not a copy, so ingest_read stays the only
-- materialised copy of the lines.
-- A refused line is missing from ingest_read, so a returned row's physical line is its rank k in the
-- file plus the number of refused lines before it (found with an ASOF join on "good lines before").
-- `pos` = file_index * 2^32 + line_number follows arrival order (arrival hour, object key, line)
-- across the whole window, whichever task read the file: shards and a single task agree on it.
-- The reader's rejects name a file by its scan and its place in that scan (a batch): ingest_read_paths
-- gives each path read its read_index.
CREATE OR REPLACE TEMP TABLE ingest_reader_refused AS
SELECT p.read_index, r.line::BIGINT AS line, r.csv_line, r.error_type
FROM ingest_reader_rejects r
JOIN ingest_reader_scans s USING (scan_id, file_id)
JOIN ingest_read_paths p ON p.path = s.file_path;

CREATE OR REPLACE TEMP TABLE ingest_refused AS
SELECT read_index, line AS line_number, csv_line,
       line - row_number() OVER (PARTITION BY read_index ORDER BY line) AS good_before,
       row_number() OVER (PARTITION BY read_index ORDER BY line) AS refused_so_far
FROM ingest_reader_refused;

CREATE OR REPLACE TEMP TABLE ingest_file_starts AS
SELECT read_index, min(rowid) AS first_rowid FROM ingest_read GROUP BY read_index;

CREATE OR REPLACE TEMP TABLE ingest_refused_steps AS
SELECT read_index, good_before, max(refused_so_far) AS refused_so_far FROM ingest_refused GROUP BY ALL;
