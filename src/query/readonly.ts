/**
 * Pure: `npm run query` runs only reading statements. For DuckDB the check reads the parser's own
 * tree (json_serialize_sql serializes only SELECT statements, without binding anything); for Athena,
 * which has no parser here, a conservative check of the statement's leading keywords.
 */

export const READING_STATEMENTS = 'SELECT, WITH … SELECT, FROM …, VALUES, DESCRIBE, SHOW, SUMMARIZE';
export const ATHENA_READING_STATEMENTS = 'SELECT, WITH … SELECT, VALUES, TABLE, SHOW, DESCRIBE, EXPLAIN of those';

/** The one line the CLI prints (exit 2) for a refused statement. */
export function refusal(allowed: string, why: string): string {
  return `query: only reading statements are allowed (${allowed}); ${why}; nothing was run`;
}

/**
 * Table functions a query may call: they read files inside the sandbox or the engine's own metadata.
 * Everything else is refused, so a function added by a DuckDB upgrade is refused until listed. Left out
 * on purpose: enable_logging/disable_logging/truncate_duckdb_logs and enable_profiling (they write log
 * or profile files, e.g. `enable_logging(storage = 'file', storage_path = '<lake>/…')`),
 * checkpoint/force_checkpoint and the PEG-parser switches (they change the engine), query and
 * json_execute_serialized_sql (they run SQL from a string this check cannot see), arrow_scan (takes raw
 * memory pointers).
 */
const READING_TABLE_FUNCTIONS = new Set([
  'duckdb_approx_database_count', 'duckdb_columns', 'duckdb_connection_count', 'duckdb_constraints', 'duckdb_coordinate_systems',
  'duckdb_databases', 'duckdb_dependencies', 'duckdb_extensions', 'duckdb_external_file_cache', 'duckdb_functions', 'duckdb_indexes',
  'duckdb_keywords', 'duckdb_log_contexts', 'duckdb_logs', 'duckdb_logs_parsed', 'duckdb_memory', 'duckdb_optimizers',
  'duckdb_prepared_statements', 'duckdb_profiling_settings', 'duckdb_schemas', 'duckdb_secret_types', 'duckdb_secrets', 'duckdb_sequences',
  'duckdb_settings', 'duckdb_table_sample', 'duckdb_tables', 'duckdb_temporary_files', 'duckdb_types', 'duckdb_variables', 'duckdb_views',
  'generate_series', 'range', 'repeat', 'repeat_row', 'unnest', 'summary', 'test_all_types', 'test_vector_types', 'histogram', 'histogram_values',
  'glob', 'read_blob', 'read_text', 'read_csv', 'read_csv_auto', 'sniff_csv', 'read_json', 'read_json_auto', 'read_json_objects',
  'read_json_objects_auto', 'read_ndjson', 'read_ndjson_auto', 'read_ndjson_objects', 'json_each', 'json_tree',
  'read_parquet', 'parquet_scan', 'parquet_metadata', 'parquet_file_metadata', 'parquet_full_metadata', 'parquet_kv_metadata',
  'parquet_schema', 'parquet_bloom_probe', 'read_duckdb', 'seq_scan', 'query_table', 'sql_auto_complete', 'which_secret', 'icu_calendar_names',
  'pg_timezone_names', 'pragma_collations', 'pragma_database_size', 'pragma_metadata_info', 'pragma_platform', 'pragma_show',
  'pragma_storage_info', 'pragma_table_info', 'pragma_user_agent', 'pragma_version',
]);

/** Scalar functions that write: write_log appends to DuckDB's log (a file when logging goes to one). */
const WRITING_SCALAR_FUNCTIONS = new Set(['write_log']);

/** The parts of json_serialize_sql's answer this check reads. */
interface Serialized {
  error?: boolean;
  error_type?: string;
  error_message?: string;
  statements?: unknown[];
}

/** Every function a parse tree calls, split into table functions (in FROM) and the rest. */
function functionsOf(tree: unknown): { table: Set<string>; other: Set<string> } {
  const table = new Set<string>();
  const other = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (node === null || typeof node !== 'object') return;
    const o = node as Record<string, unknown>;
    if (o.type === 'TABLE_FUNCTION') {
      const name = (o.function as { function_name?: unknown } | null)?.function_name;
      table.add(typeof name === 'string' ? name.toLowerCase() : String(name));
    } else if (o.class === 'FUNCTION' && typeof o.function_name === 'string') {
      other.add(o.function_name.toLowerCase());
    }
    for (const v of Object.values(o)) visit(v);
  };
  visit(tree);
  for (const t of table) other.delete(t);
  return { table, other };
}

/**
 * Judges `json_serialize_sql(sql)`, the parser's tree of the SQL (nothing bound or run): every statement
 * must be a SELECT (DESCRIBE, SHOW, SUMMARIZE, VALUES and FROM-first are SELECTs to the parser) calling
 * no table function outside the reading list and no writing scalar function. Returns the number of
 * statements, or the one line to refuse with (a syntax error included: it is the user's SQL).
 */
export function checkDuckDbParse(serializedJson: string): { statements: number } | { refused: string } {
  const parsed = JSON.parse(serializedJson) as Serialized;
  if (parsed.error) {
    if (parsed.error_type === 'parser') return { refused: `query: ${parsed.error_message ?? 'syntax error'}` };
    // "Only SELECT statements can be serialized": COPY, ATTACH, INSTALL/LOAD, CREATE, INSERT/UPDATE/DELETE,
    // DROP, SET, PRAGMA, CALL, EXPORT, EXPLAIN, a PIVOT without IN (…) (it creates a type first), …
    return { refused: refusal(READING_STATEMENTS, 'this SQL has another kind of statement (COPY, ATTACH, INSTALL, LOAD, CREATE, INSERT, SET, PRAGMA, CALL, EXPLAIN, …)') };
  }
  const statements = parsed.statements ?? [];
  if (statements.length === 0) return { refused: 'query: no SQL statement given' };
  const { table, other } = functionsOf(statements);
  const bad = [...[...table].filter((f) => !READING_TABLE_FUNCTIONS.has(f)).sort(), ...[...other].filter((f) => WRITING_SCALAR_FUNCTIONS.has(f)).sort()];
  if (bad.length > 0) return { refused: refusal(READING_STATEMENTS, `${bad.map((f) => `${f}()`).join(', ')} ${bad.length > 1 ? 'are' : 'is'} not on the list of reading functions (docs/security.md)`) };
  return { statements: statements.length };
}

/** Words that start a writing statement, refused anywhere outside quotes and comments (quote a column named so). */
const ATHENA_WRITING_WORDS = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE', 'CREATE', 'DROP', 'ALTER', 'UNLOAD', 'TRUNCATE', 'MSCK', 'VACUUM', 'OPTIMIZE', 'GRANT', 'REVOKE']);
const ATHENA_QUERY_START = new Set(['SELECT', 'WITH', 'VALUES', 'TABLE', '(']);

const WORD = /[A-Za-z_][A-Za-z0-9_]*/y;

/** Tokens of Athena SQL outside comments; strings and quoted identifiers become one opaque token each. */
function athenaTokens(sql: string): string[] | null {
  const tokens: string[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    if (/\s/.test(c)) i++;
    else if (sql.startsWith('--', i)) {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end + 1;
    } else if (sql.startsWith('/*', i)) {
      const end = sql.indexOf('*/', i + 2);
      if (end < 0) return null;
      i = end + 2;
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      for (;;) {
        if (j >= sql.length) return null;
        if (sql[j] === c && sql[j + 1] === c) j += 2;
        else if (sql[j] === c) break;
        else j++;
      }
      tokens.push(c === "'" ? "'…'" : '"…"');
      i = j + 1;
    } else if (/[A-Za-z_]/.test(c)) {
      WORD.lastIndex = i;
      const word = WORD.exec(sql)![0];
      tokens.push(word.toUpperCase());
      i += word.length;
    } else {
      tokens.push(c);
      i++;
    }
  }
  return tokens;
}

/** Where the statement after EXPLAIN [ANALYZE] [VERBOSE] [(option, …)] starts, or -1. */
function afterExplain(tokens: string[], at: number): number {
  let i = at + 1;
  while (tokens[i] === 'ANALYZE' || tokens[i] === 'VERBOSE') i++;
  if (tokens[i] === '(' && (tokens[i + 1] === 'FORMAT' || tokens[i + 1] === 'TYPE')) {
    const close = tokens.indexOf(')', i);
    if (close < 0) return -1;
    i = close + 1;
  }
  return i;
}

/**
 * Athena: null when the SQL is one reading statement, else the refusal line. Conservative: it may
 * refuse an unusual reading query (a bare column named `delete`); it never lets a writing one through.
 */
export function athenaRefusal(sql: string): string | null {
  const tokens = athenaTokens(sql);
  if (!tokens) return refusal(ATHENA_READING_STATEMENTS, 'the SQL has an unterminated quote or comment');
  while (tokens[tokens.length - 1] === ';') tokens.pop();
  if (tokens.length === 0) return 'query: no SQL statement given';
  if (tokens.includes(';')) return refusal(ATHENA_READING_STATEMENTS, 'send one statement at a time');
  // SHOW and DESCRIBE have no writing form (SHOW CREATE TABLE only prints the DDL).
  if (tokens[0] === 'SHOW' || tokens[0] === 'DESCRIBE') return null;
  const writing = tokens.find((t) => ATHENA_WRITING_WORDS.has(t));
  if (writing) return refusal(ATHENA_READING_STATEMENTS, `${writing} writes (quote the identifier if it is a column name)`);
  let i = 0;
  while (tokens[i] === 'EXPLAIN') i = afterExplain(tokens, i);
  if (i < 0 || i >= tokens.length) return refusal(ATHENA_READING_STATEMENTS, 'EXPLAIN needs a statement to explain');
  const first = tokens[i];
  if (ATHENA_QUERY_START.has(first)) return null;
  return refusal(ATHENA_READING_STATEMENTS, `a ${first} statement is not one`);
}
