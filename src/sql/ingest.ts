/**
 * Renders the ingest transforms (ingest_*.sql) for one raw stream from its field list.
 * Pure: the same spec always gives the same SQL, testable without a database.
 */
import { sqlFile } from './sql.js';
import { CHANNELS } from '../rules/ace.js';

export type FieldKind = 'id' | 'name' | 'channel' | 'timestamp';

export interface FieldSpec {
  name: string;
  kind: FieldKind;
  /** Replaced by HMAC-SHA256 under ACE_CUSTOMER_ID_KEY when pseudonymisation is on. */
  pseudonymise?: boolean;
}

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

export interface StreamSpec {
  stream: 'notification_attempted' | 'notification_delivered' | 'experience_config';
  /** Required fields in SPEC.md's order: when several are wrong, the first is named. */
  fields: FieldSpec[];
  /** The field whose business date places the row; null for snapshot streams (no date filter). */
  dateField: string | null;
  /** Dedup key; null for snapshot streams (every valid line is a row). */
  key: string | null;
  /** Columns readers filter on, to sort the Parquet output. */
  orderBy: string[];
}

const TS_RE = String.raw`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})`;

function checkFragments(spec: StreamSpec): { missing: string; invalid: string; name: string }[] {
  return spec.fields.map((f, i) => {
    const v = `v[${i + 1}]`;
    const s = `(${v}->>'$')`;
    const valid = {
      id: `${s} <> ''`,
      name: `${s} <> ''`,
      channel: `${s} IN (${CHANNELS.map((c) => `'${c}'`).join(', ')})`,
      timestamp: `regexp_full_match(${s}, '${TS_RE}') AND TRY_CAST(${s} AS TIMESTAMPTZ) IS NOT NULL`,
    }[f.kind];
    return {
      name: f.name,
      missing: `${v} IS NULL OR json_type(${v}) = 'NULL'`,
      invalid: `json_type(${v}) <> 'VARCHAR' OR NOT (${valid})`,
    };
  });
}

function valueOf(f: FieldSpec, i: number, options: RenderOptions): string {
  const s = `(v[${i + 1}]->>'$')`;
  if (f.kind === 'timestamp') return `TRY_CAST(${s} AS TIMESTAMPTZ) AS ${f.name}`;
  return f.pseudonymise && options.pseudonymise ? `${hmacSql(s)} AS ${f.name}` : `${s} AS ${f.name}`;
}

/** The statements that read, number and classify the lines (ingest_read.sql, ingest_lines.sql, ingest_outcome.sql). */
export function renderIngestPrepare(spec: StreamSpec, options: RenderOptions = {}): string[] {
  const checks = checkFragments(spec);
  const reason = `CASE WHEN kind <> 'json' THEN NULL ${checks
    .map((c) => `WHEN ${c.missing} THEN 'missing_field' WHEN ${c.invalid} THEN 'invalid_value'`)
    .join(' ')} END`;
  const field = `CASE WHEN kind <> 'json' THEN NULL ${checks.map((c) => `WHEN (${c.missing}) OR (${c.invalid}) THEN '${c.name}'`).join(' ')} END`;
  const paths = `[${spec.fields.map((f) => `'$.${f.name}'`).join(', ')}]`;
  const values = spec.fields.map((f, i) => valueOf(f, i, options)).join(',\n  ');
  const nullValues = spec.fields
    .map((f) => `NULL::${f.kind === 'timestamp' ? 'TIMESTAMPTZ' : 'VARCHAR'} AS ${f.name}`)
    .join(', ');
  const keyCol = spec.key ?? 'pos';
  const ts = spec.dateField ?? spec.fields.find((f) => f.kind === 'timestamp')!.name;
  const differs = spec.fields.map((f) => `d.${f.name} IS DISTINCT FROM k.${f.name}`).join(' OR ');
  const firstDifference = `CASE ${spec.fields.map((f) => `WHEN d.${f.name} IS DISTINCT FROM k.${f.name} THEN '${f.name}'`).join(' ')} END`;
  const copyStruct = `{${spec.fields.map((f) => `'${f.name}': d.${f.name}`).join(', ')}}`;
  return [
    sqlFile('ingest_read', { paths, reason, field, values }),
    sqlFile('ingest_lines', { null_values: nullValues }),
    sqlFile('ingest_outcome', { key: keyCol, key_col: keyCol, ts, differs, first_difference: firstDifference, copy_struct: copyStruct }),
  ];
}

export function renderIngestCounts(spec: StreamSpec): string {
  const ts = spec.dateField ?? spec.fields.find((f) => f.kind === 'timestamp')!.name;
  return sqlFile('ingest_counts', { ts: spec.dateField ? ts : 'NULL' });
}

export function renderIngestRejects(): string {
  return sqlFile('ingest_rejects');
}

export function renderIngestKept(spec: StreamSpec, partitionKey: string): string {
  return sqlFile('ingest_kept', {
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
