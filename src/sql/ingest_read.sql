-- ingest_read: every line of the files this task reads, classified, with typed required fields.
-- Grain: one row per line that DuckDB's line reader returned (blank lines included, as NULL), in file
--   order: the table is written in scan order (preserve_insertion_order), so its rowid is the position.
--   No window function here, so the JSON work runs on every core.
-- Inputs: variable ingest_paths (local paths in arrival order: all the files, or one batch of them, whose
--   first file is number ingest_read_offset: the first batch creates the table, the next ones add to it,
--   so a remote lake's downloads overlap the reading); the stream's fields, rendered into the
--   structure, extracts, types, checks, reason, field and values slots by src/sql/ingest.ts. Each line is
--   validated once (json_valid) and parsed once (one json_transform to a struct of VARCHAR: a string's
--   unescaped content, or a non-string's JSON text); each field is checked once, and only a line with
--   an id whose text could be a non-string's is parsed again, once, for the types (typed). No try():
--   DuckDB re-evaluates a whole vector row by row when try() catches an error, and with a bad line in
--   most vectors that tripled the cost of the read.
-- Lines the reader itself refuses (invalid UTF-8, an embedded separator) land in the temp table
--   ingest_reader_rejects and are added back as malformed_json by ingest_lines.sql. It also refuses a line
--   over 1 MiB (max_line_size counts the `\n`), which fails the job (src/run/raw.ts, ingest_bytes.sql);
--   a line longer than the buffer it would drop silently, which the byte accounting catches. A `\r` stops
--   the strict reader: such files are rewritten with `\n` line ends first (src/run/rawBytes.ts).
{{into}}
WITH raw AS (
  SELECT (file_index + getvariable('ingest_read_offset')::INTEGER)::INTEGER AS read_index, line,
    -- blank: nothing but spaces, tabs and CRs (a regex that stops at the first other character: trim() costs 2x the read)
    line IS NULL OR NOT regexp_matches(line, '[^ \t\r]') AS blank
  FROM read_csv(getvariable('ingest_paths'), columns = {'line': 'VARCHAR'}, header = false, auto_detect = false,
                delim = E'\x01\x02', quote = '', escape = '', new_line = '\n',
                max_line_size = 1048577, buffer_size = 33554432, store_rejects = true,
                rejects_table = 'ingest_reader_rejects', rejects_scan = 'ingest_reader_scans')
), parsed AS (
  SELECT read_index, line, blank,
    CASE WHEN NOT blank AND json_valid(line) THEN json_transform(line, {{structure}}) END AS v
  FROM raw
), classified AS (
  SELECT read_index, line, v,
    CASE WHEN blank THEN 'blank'
         WHEN v IS NULL THEN 'malformed'
         WHEN NOT starts_with(line, '{') AND NOT regexp_matches(line, '^[ \t\r]*\{') THEN 'malformed'
         -- DuckDB's parser accepts trailing commas and NaN/Infinity, which JSON forbids: outside string
         -- literals (blanked first, only on lines that look suspicious) they make the line malformed.
         -- Three regexes, each with a literal RE2 can skip to, cost a third of one alternation.
         WHEN (regexp_matches(line, ',\s*[\]}]') OR regexp_matches(line, '(?i)nan') OR regexp_matches(line, '(?i)inf'))
          AND regexp_matches(regexp_replace(line, '"(\\.|[^"\\])*"', '""', 'g'), ',\s*[\]}]|[Nn][Aa][Nn]|[Ii][Nn][Ff]') THEN 'malformed'
         ELSE 'json' END AS kind
  FROM parsed
), extracted AS (
  SELECT read_index, line, kind,
    {{extracts}}
  FROM classified
), typed AS (
  SELECT *, {{types}} AS jt FROM extracted
), checked AS (
  SELECT *,
    {{checks}}
  FROM typed
), judged AS (
  SELECT *, {{reason}} AS reason, {{field}} AS field FROM checked
)
SELECT read_index, strlen(coalesce(line, '')) AS line_bytes,
  CASE WHEN kind = 'json' AND reason IS NOT NULL THEN 'invalid' ELSE kind END AS kind,
  CASE WHEN kind = 'malformed' THEN 'malformed_json' ELSE reason END AS reason,
  field,
  {{values}},
  CASE WHEN kind = 'malformed' OR reason IS NOT NULL THEN line END AS raw_line
FROM judged;
