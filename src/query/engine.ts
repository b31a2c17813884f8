/**
 * The QueryEngine port behind `npm run query`: runs one SQL statement over the catalog's tables and
 * views and returns its rows. `local` is DuckDB over the lake's current partitions; `athena` runs
 * the statement in the configured Athena workgroup against the Glue database.
 */

export interface QueryResult {
  /** Column names in result order. */
  columns: string[];
  rows: Record<string, unknown>[];
}

/**
 * How values come back: `text` as the table and CSV formats print them (DuckDB's text for timestamps
 * and decimals); `json` typed for JSON (src/engine/jsonValues.ts: numbers, ISO-8601 `Z` timestamps).
 */
export type ValueStyle = 'text' | 'json';

export interface QueryEngine {
  /** Where the query runs, for messages. */
  describe(): string;
  /** Runs a reading statement and returns all its rows; any other statement is refused (UsageError) before it runs. */
  run(sql: string, style?: ValueStyle): Promise<QueryResult>;
  /**
   * Writes the result of one reading statement, checked as `run` checks it, to a Parquet file in the
   * engine's scratch folder and returns it (gone after close); UsageError where the engine cannot.
   */
  writeParquet(sql: string): Promise<{ file: string; rows: number }>;
  /** Releases connections and scratch files. */
  close(): Promise<void>;
}

export const QUERY_ENGINES = ['local', 'athena'] as const;
export type QueryEngineName = (typeof QUERY_ENGINES)[number];
