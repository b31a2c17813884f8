-- ingest_outcome: dedup and the business-date filter, on narrow tables.
-- ingest_hash_first: one row per hash of the key: the earliest-arrived valid copy (smallest pos:
--   arrival hour, object key, line), its timestamp, and how many valid lines share the hash. Equal
--   keys hash equally, so a hash held by one line is a key read once and that line is its first copy.
--   Grouping on an 8-byte hash instead of the key string keeps the aggregate small: at 10M a day it
--   has ~32M groups, and the string version spilled (8.0 s against 6.3 s on that window).
-- ingest_dup_rows: the valid lines whose hash is held by several lines (real duplicates, and any keys
--   whose hashes collide), with their fields: ~3 % of the lines. Duplicates are settled exactly, by
--   the key itself, from here. (Exact because keys compare byte for byte, DuckDB's default collation,
--   as hash() does; a case-insensitive default_collation would make GROUP BY merge keys hash() keeps
--   apart. The project sets none.)
-- ingest_first: one row per key: its first copy, that copy's timestamp, and whether it is kept (the
--   timestamp falls in [ingest_start, ingest_end)). Snapshot streams key each line by its own position
--   (no dedup).
-- ingest_kept_pos: the positions of the kept first copies.
-- ingest_conflicts: later copies of a key whose required fields differ from the first copy's
--   (timestamps compared as instants), with the first differing field.
CREATE OR REPLACE TEMP TABLE ingest_hash_first AS
SELECT {{key_hash}} AS h, min(pos) AS pos, arg_min({{ts}}, pos) AS ts, count(*) AS copies
FROM ingest_lines WHERE kind = 'json'
GROUP BY ALL;

CREATE OR REPLACE TEMP TABLE ingest_dup_rows AS
SELECT l.{{key_col}} AS dedup_key, l.pos, l.file_index, l.line_number, {{fields}}
FROM ingest_lines l
WHERE l.kind = 'json' AND {{line_key_hash}} IN (SELECT h FROM ingest_hash_first WHERE copies > 1);

CREATE OR REPLACE TEMP TABLE ingest_first AS
SELECT pos, ts, ts >= getvariable('ingest_start')::TIMESTAMPTZ AND ts < getvariable('ingest_end')::TIMESTAMPTZ AS kept
FROM (
  SELECT pos, ts FROM ingest_hash_first WHERE copies = 1
  UNION ALL
  SELECT min(pos) AS pos, arg_min({{ts}}, pos) AS ts FROM ingest_dup_rows GROUP BY dedup_key
);

DROP TABLE ingest_hash_first;

CREATE OR REPLACE TEMP TABLE ingest_kept_pos AS
SELECT pos FROM ingest_first WHERE kept;

CREATE OR REPLACE TEMP TABLE ingest_conflicts AS
WITH firsts AS (
  SELECT dedup_key, min(pos) AS first_pos FROM ingest_dup_rows GROUP BY dedup_key HAVING count(*) > 1
)
SELECT f.source_file, d.line_number, f.owned, {{first_difference}} AS field,
  to_json({{copy_struct}})::VARCHAR AS raw_line
FROM ingest_dup_rows d
JOIN firsts x ON x.dedup_key = d.dedup_key AND d.pos <> x.first_pos
JOIN ingest_dup_rows k ON k.pos = x.first_pos
JOIN ingest_files f ON f.file_index = d.file_index
WHERE ({{differs}});
