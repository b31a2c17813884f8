/**
 * Pure: Athena returns every value as text (src/aws/athena.ts turns numbers and booleans back); for
 * `--format json|ndjson` the rest is typed by the column's type from the result metadata, as the local
 * engine types DuckDB values (src/engine/jsonValues.ts).
 */
import { TypedJson, jsonDecimal } from '../engine/jsonValues.js';

/** `2026-03-03 17:00:00[.fff…]` with an optional zone (`UTC`, `Z`, `±HH:MM`) → ISO-8601 UTC with ms and `Z`; null when not one. */
export function isoFromAthenaTimestamp(text: string, withZone: boolean): string | null {
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d+))?(?: ?(UTC|Z|[+-]\d{2}:\d{2}))?$/.exec(text.trim());
  if (!m) return null;
  const [, day, time, frac = '', zone] = m;
  // A timestamp without a zone is UTC in this lake (SPEC "Time"); a named zone other than UTC is left as text.
  if (!withZone && zone !== undefined && zone !== 'UTC' && zone !== 'Z') return null;
  const offset = zone === undefined || zone === 'UTC' || zone === 'Z' ? 'Z' : zone;
  const ms = Date.parse(`${day}T${time}.${(frac + '000').slice(0, 3)}${offset}`);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/** One Athena value (as AthenaRunner returns it) typed for JSON by its column type. */
export function athenaJsonValue(type: string, value: unknown): TypedJson {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') return value as TypedJson;
  const t = type.toLowerCase();
  if (t === 'decimal' || t.startsWith('decimal(')) return jsonDecimal(value);
  if (t.startsWith('timestamp') && t.includes('with time zone')) return isoFromAthenaTimestamp(value, true) ?? value;
  if (t === 'timestamp' || t.startsWith('timestamp(')) return isoFromAthenaTimestamp(value, false) ?? value;
  return value;
}
