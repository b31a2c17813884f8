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

export interface QueryEngine {
  /** Where the query runs, for messages. */
  describe(): string;
  /** Runs a reading statement and returns all its rows; any other statement is refused (UsageError) before it runs. */
  run(sql: string): Promise<QueryResult>;
  /** Releases connections and scratch files. */
  close(): Promise<void>;
}

export const QUERY_ENGINES = ['local', 'athena'] as const;
export type QueryEngineName = (typeof QUERY_ENGINES)[number];
