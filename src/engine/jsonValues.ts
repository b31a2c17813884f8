/**
 * Query results as the JSON tools expect (`npm run query -- --format json|ndjson`): integers and
 * decimals as JSON numbers (an integer beyond 2^53 as a string, so no reader rounds it), timestamps as
 * ISO-8601 UTC with milliseconds and `Z` (as the exports' manifests write them), dates as YYYY-MM-DD,
 * booleans as booleans, NULL as null. The mapping helpers are pure; the converter reads DuckDB values.
 */
import {
  DuckDBDecimalValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBTypeId,
  DuckDBValueConverter,
  Json,
  JsonDuckDBValueConverter,
} from '@duckdb/node-api';

/** A number written to JSON exactly as its text (a decimal keeps every digit and its scale). */
export class JsonNumberText {
  constructor(readonly text: string) {}
}

/** A JSON-ready value: what JSON.stringify takes, plus exact numbers. */
export type TypedJson = null | boolean | number | string | JsonNumberText | TypedJson[] | { [key: string]: TypedJson };

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** An integer of any width: a number when JavaScript holds it exactly (|n| ≤ 2^53 − 1), else its digits as a string. */
export function jsonInteger(n: bigint): number | string {
  return n <= MAX_SAFE && n >= -MAX_SAFE ? Number(n) : n.toString();
}

const DECIMAL_TEXT = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;

/** A decimal's text as an exact JSON number (`12.50` stays `12.50`); text that is not a plain decimal stays a string. */
export function jsonDecimal(text: string): JsonNumberText | string {
  const t = text.trim();
  const normal = t.replace(/^(-?)0+(?=[0-9])/, '$1');
  return DECIMAL_TEXT.test(normal) ? new JsonNumberText(normal) : text;
}

/** Microseconds since the epoch as `YYYY-MM-DDTHH:MM:SS.mmmZ` (sub-milliseconds dropped, towards the past); null when out of Date's range. */
export function isoFromMicros(micros: bigint): string | null {
  const ms = micros >= 0n ? micros / 1000n : -((-micros + 999n) / 1000n);
  if (ms > 8_640_000_000_000_000n || ms < -8_640_000_000_000_000n) return null;
  return new Date(Number(ms)).toISOString();
}

function timestampMicros(value: unknown): bigint | null {
  if (value instanceof DuckDBTimestampTZValue || value instanceof DuckDBTimestampValue) return value.isFinite ? value.micros : null;
  if (value instanceof DuckDBTimestampSecondsValue) return value.isFinite ? value.seconds * 1_000_000n : null;
  if (value instanceof DuckDBTimestampMillisecondsValue) return value.isFinite ? value.millis * 1000n : null;
  if (value instanceof DuckDBTimestampNanosecondsValue) return value.isFinite ? value.nanos / 1000n : null;
  return null;
}

/**
 * DuckDB values → TypedJson, recursing into lists, structs and maps. Timestamps without a zone are UTC
 * in this lake (SPEC "Time"); ±infinity stays DuckDB's text. Other types keep node-api's JSON form.
 */
export const typedJsonConverter: DuckDBValueConverter<TypedJson> = (value, type, self) => {
  if (value === null || value === undefined) return null;
  switch (type.typeId) {
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
      return typeof value === 'bigint' ? jsonInteger(value) : String(value);
    case DuckDBTypeId.DECIMAL:
      return value instanceof DuckDBDecimalValue ? jsonDecimal(value.toString()) : String(value);
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_TZ:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS: {
      const micros = timestampMicros(value);
      return (micros === null ? null : isoFromMicros(micros)) ?? String(value);
    }
    default:
      return JsonDuckDBValueConverter(value, type, self as unknown as DuckDBValueConverter<Json>) as TypedJson;
  }
};

/** JSON text of a TypedJson value (exact numbers written as their text); non-finite doubles arrive as strings already. */
export function typedJsonText(value: TypedJson): string {
  if (value === null) return 'null';
  if (value instanceof JsonNumberText) return value.text;
  if (Array.isArray(value)) return `[${value.map(typedJsonText).join(',')}]`;
  if (typeof value === 'object') return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${typedJsonText(v)}`).join(',')}}`;
  if (typeof value === 'number' && !Number.isFinite(value)) return JSON.stringify(String(value));
  return JSON.stringify(value);
}
