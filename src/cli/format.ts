/** Pure output formatting for `npm run query` and export CSVs (RFC 4180). */
import { TypedJson, typedJsonText } from '../engine/jsonValues.js';

export type RowFormat = 'csv' | 'json' | 'ndjson' | 'table';

/** One row as a JSON object, keys in column order; rows of `json` formats hold TypedJson values. */
function jsonObject(row: Record<string, unknown>, cols: string[]): string {
  return `{${cols.map((c) => `${JSON.stringify(c)}:${typedJsonText((row[c] ?? null) as TypedJson)}`).join(',')}}`;
}

/** One RFC 4180 field: quoted when it holds a comma, quote, CR or LF; null/undefined is empty. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const s = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** RFC 4180 CSV with a header row and CRLF-free `\n` line ends. */
export function toCsv(rows: Record<string, unknown>[], columns: string[]): string {
  const lines = [columns.map(csvField).join(',')];
  for (const r of rows) lines.push(columns.map((c) => csvField(r[c])).join(','));
  return `${lines.join('\n')}\n`;
}

/** `json`: one array, a row per line; `ndjson`: one object per line (nothing for no rows). */
export function formatRows(rows: Record<string, unknown>[], format: RowFormat, columns?: string[]): string {
  const cols = columns ?? (rows[0] ? Object.keys(rows[0]) : []);
  switch (format) {
    case 'csv':
      return toCsv(rows, cols);
    case 'json':
      return rows.length === 0 ? '[]\n' : `[\n${rows.map((r) => jsonObject(r, cols)).join(',\n')}\n]\n`;
    case 'ndjson':
      return rows.map((r) => `${jsonObject(r, cols)}\n`).join('');
    case 'table': {
      const cells = rows.map((r) => cols.map((c) => (r[c] === null || r[c] === undefined ? '' : typeof r[c] === 'object' ? JSON.stringify(r[c]) : String(r[c]))));
      const widths = cols.map((c, i) => Math.min(60, Math.max(c.length, ...cells.map((row) => row[i].length))));
      const fmt = (vals: string[]) => vals.map((v, i) => v.replace(/\n/g, '\\n').slice(0, 60).padEnd(widths[i])).join(' | ');
      return [fmt(cols), widths.map((w) => '-'.repeat(w)).join('-+-'), ...cells.map(fmt), `(${rows.length} rows)`].join('\n') + '\n';
    }
    default: {
      const never: never = format;
      throw new Error(`unknown format ${String(never)}`);
    }
  }
}
