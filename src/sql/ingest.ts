/**
 * Renders the ingest transforms (ingest_*.sql) for one raw stream from its field list.
 * Pure: the same spec always gives the same SQL, testable without a database.
 */
import { sqlFile } from './sql.js';
import { CHANNELS, ID_MAX_BYTES, NAME_MAX_BYTES } from '../rules/ace.js';
import type { FieldSpec, StreamSpec } from '../rules/streams.js';
export type { FieldKind, FieldSpec, StreamSpec } from '../rules/streams.js';

export interface RenderOptions {
  /** Pseudonymise the marked fields with the key pads in variables ace_hmac_ipad / ace_hmac_opad. */
  pseudonymise?: boolean;
}

/**
 * HMAC-SHA256(key, value) in DuckDB SQL: sha256((K ⊕ opad) || sha256((K ⊕ ipad) || value)), with the
 * two 64-byte pads precomputed from the key and passed as hex session variables (never in SQL text).
 */
export function hmacSql(value: string): string {
  return `sha256(unhex(getvariable('ace_hmac_opad')) || unhex(sha256(unhex(getvariable('ace_hmac_ipad')) || encode(${value}))))`;
}

const TS_RE = String.raw`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})`;

/** Fields that must be JSON strings and need a type test (ids, names). */
const typed = (f: FieldSpec) => f.kind === 'id' || f.kind === 'name';

/**
 * One field's extract columns: `x_<f>`, json_transform's VARCHAR rendering of the value (a string's
 * unescaped content; NULL when the key is missing or null), `t_<f>` for timestamps, and for ids and
 * names `a_<f>`: whether the rendering could be a non-string's JSON text. A number renders as its digits
 * (only `-+.0-9eE`), a boolean as `true`/`false`, an object or array from its `{` or `[`; anything else
 * (a UUID with a hex letter, "a123", "team-x") can only have been a string. NaN and Infinity, the other
 * non-string renderings, never get here: the line is malformed_json by then. Plain comparisons first;
 * the regex runs only on renderings that start like a number.
 */
function extractOf(f: FieldSpec): string {
  const x = `x_${f.name}`;
  const parts = [`v.${f.name} AS ${x}`];
  if (f.kind === 'timestamp') parts.push(`TRY_CAST(${x} AS TIMESTAMPTZ) AS t_${f.name}`);
  if (typed(f)) {
    parts.push(`CASE WHEN ${x} >= '-' AND ${x} < ':' THEN regexp_full_match(${x}, '[-+.0-9eE]+') ELSE (${x} >= '[' AND ${x} < '\\') OR (${x} >= '{' AND ${x} < '|') OR ${x} = 'true' OR ${x} = 'false' END AS a_${f.name}`);
  }
  return parts.join(', ');
}

/**
 * The JSON values of the typed fields (`jt`), parsed a second time only for lines where some typed
 * field's rendering is ambiguous (`a_<f>`), and then once for all of them: a string's JSON text starts
 * with `"`. Channel and timestamp checks need no type test: no non-string value renders as a channel
 * name or an ISO-8601 timestamp.
 */
function typesOf(spec: StreamSpec): string {
  const fields = spec.fields.filter(typed);
  if (fields.length === 0) return 'NULL';
  const structure = `'{${fields.map((f) => `"${f.name}": "JSON"`).join(', ')}}'`;
  return `CASE WHEN kind = 'json' AND (${fields.map((f) => `a_${f.name}`).join(' OR ')}) THEN json_transform(line, ${structure}) END`;
}

/** One field's check `s_<f>`: missing_field, invalid_value or NULL (fine), evaluated once per line. Lengths are UTF-8 bytes of the unescaped value. */
function checkOf(f: FieldSpec): string {
  const x = `x_${f.name}`;
  const notString = `a_${f.name} AND NOT starts_with(jt.${f.name}, '"')`;
  const invalid = {
    id: `${x} = '' OR strlen(${x}) > ${ID_MAX_BYTES} OR (${notString})`,
    name: `${x} = '' OR strlen(${x}) > ${NAME_MAX_BYTES} OR (${notString})`,
    channel: `${x} NOT IN (${CHANNELS.map((c) => `'${c}'`).join(', ')})`,
    timestamp: `t_${f.name} IS NULL OR NOT regexp_full_match(${x}, '${TS_RE}')`,
  }[f.kind];
  return `CASE WHEN kind <> 'json' THEN NULL WHEN ${x} IS NULL THEN 'missing_field' WHEN ${invalid} THEN 'invalid_value' END AS s_${f.name}`;
}

function valueOf(f: FieldSpec, options: RenderOptions): string {
  if (f.kind === 'timestamp') return `t_${f.name} AS ${f.name}`;
  return f.pseudonymise && options.pseudonymise ? `${hmacSql(`x_${f.name}`)} AS ${f.name}` : `x_${f.name} AS ${f.name}`;
}

/** The statement that reads, parses and checks the lines (ingest_read.sql). */
export function renderIngestRead(spec: StreamSpec, options: RenderOptions = {}, batch: 'first' | 'next' = 'first'): string {
  return sqlFile('ingest_read', {
    into: batch === 'first' ? 'CREATE OR REPLACE TEMP TABLE ingest_read AS' : 'INSERT INTO ingest_read',
    structure: `'{${spec.fields.map((f) => `"${f.name}": "VARCHAR"`).join(', ')}}'`,
    extracts: spec.fields.map(extractOf).join(',\n    '),
    types: typesOf(spec),
    checks: spec.fields.map(checkOf).join(',\n    '),
    reason: `coalesce(${spec.fields.map((f) => `s_${f.name}`).join(', ')})`,
    field: `CASE ${spec.fields.map((f) => `WHEN s_${f.name} IS NOT NULL THEN '${f.name}'`).join(' ')} END`,
    values: spec.fields.map((f) => valueOf(f, options)).join(',\n  '),
  });
}

/** The numbering tables (ingest_lines.sql) and the ingest_lines view, with or without refused lines. */
export function renderIngestLines(spec: StreamSpec, hasRefused: boolean): string[] {
  const nullValues = spec.fields.map((f) => `NULL::${f.kind === 'timestamp' ? 'TIMESTAMPTZ' : 'VARCHAR'} AS ${f.name}`).join(', ');
  const rank = '(r.rowid - s.first_rowid + 1)';
  const numbered = hasRefused
    ? `SELECT r.* EXCLUDE (line_bytes, k), r.k + coalesce(x.refused_so_far, 0) AS line_number
  FROM (SELECT r.*, ${rank} AS k FROM ingest_read r JOIN ingest_file_starts s USING (read_index)) r
  ASOF LEFT JOIN ingest_refused_steps x ON r.read_index = x.read_index AND r.k > x.good_before`
    : `SELECT r.* EXCLUDE (line_bytes), ${rank} AS line_number
  FROM ingest_read r JOIN ingest_file_starts s USING (read_index)`;
  return [sqlFile('ingest_lines'), sqlFile('ingest_lines_view', { numbered, null_values: nullValues })];
}

/** The timestamp that dates a row: the stream's date field, or a snapshot stream's only timestamp. */
function timestampOf(spec: StreamSpec): string {
  return spec.dateField ?? spec.fields.find((f) => f.kind === 'timestamp')!.name;
}

export interface OutcomeOptions {
  /**
   * The SQL of the key's hash that groups lines before the exact dedup (DuckDB's 64-bit `hash` by
   * default). Tests pass a deliberately colliding one to prove collisions are settled by the key.
   */
  keyHash?: (key: string) => string;
}

/** Dedup and the date filter (ingest_outcome.sql). */
export function renderIngestOutcome(spec: StreamSpec, options: OutcomeOptions = {}): string {
  const keyHash = options.keyHash ?? ((k: string) => `hash(${k})`);
  const keyCol = spec.key ?? 'pos';
  const ts = timestampOf(spec);
  return sqlFile('ingest_outcome', {
    key_hash: keyHash(keyCol),
    line_key_hash: keyHash(`l.${keyCol}`),
    key_col: keyCol,
    ts,
    fields: spec.fields.map((f) => `l.${f.name}`).join(', '),
    differs: spec.fields.map((f) => `d.${f.name} IS DISTINCT FROM k.${f.name}`).join(' OR '),
    first_difference: `CASE ${spec.fields.map((f) => `WHEN d.${f.name} IS DISTINCT FROM k.${f.name} THEN '${f.name}'`).join(' ')} END`,
    copy_struct: `{${spec.fields.map((f) => `'${f.name}': d.${f.name}`).join(', ')}}`,
  });
}

export function renderIngestCounts(): string {
  return sqlFile('ingest_counts');
}

export function renderIngestRejects(): string {
  return sqlFile('ingest_rejects');
}

/** Materialises the kept rows, unsorted (ingest_kept_rows.sql); run before the query of renderIngestKept. */
export function renderIngestKeptRows(spec: StreamSpec): string {
  return sqlFile('ingest_kept_rows', { columns: spec.fields.map((f) => `l.${f.name}`).join(', '), ts: timestampOf(spec) });
}

/** The sorted rows of the partition, over the table ingest_kept_rows (renderIngestKeptRows). */
export function renderIngestKept(spec: StreamSpec, partitionKey: string): string {
  // A file's arrival hour and name, looked up by its index: inside the sort only if the stream sorts by them.
  const lookups = {
    arrival_hour: `getvariable('ingest_file_hours')[file_index + 1]`,
    source_file: `getvariable('ingest_file_names')[file_index + 1]`,
  };
  const inSort = (c: keyof typeof lookups) => spec.orderBy.includes(c);
  const after = (c: keyof typeof lookups) => (inSort(c) ? c : `${lookups[c]} AS ${c}`);
  return sqlFile('ingest_kept', {
    arrival_hour: after('arrival_hour'),
    source_file: after('source_file'),
    sort_lookups: (['arrival_hour', 'source_file'] as const).filter(inSort).map((c) => `, ${lookups[c]} AS ${c}`).join(''),
    columns: spec.fields.map((f) => f.name).join(', '),
    partition_key: partitionKey,
    order_by: spec.orderBy.join(', '),
  });
}

export interface IngestCounts {
  lines_read: number;
  blank: number;
  rejected: number;
  duplicates: number;
  other_date: number;
  kept: number;
  owned_nonblank: number;
  owned_rejected: number;
  too_late: number;
  conflicting_duplicates: number;
}
