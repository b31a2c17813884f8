/**
 * "The latest row per key", defined once (SPEC "Catalog views") and rendered for DuckDB and Athena alike:
 * the local catalog's views, the Glue views and the monthly exports' client and experience lookups.
 * Identifiers come from src/rules/tables.ts and are checked before they are quoted.
 */
import { TABLES, TableDef } from '../rules/tables.js';

export interface LatestRow {
  view: string;
  table: TableDef;
  /** One row per value of this column. */
  key: string;
  /** The row kept: the greatest by these columns, in order. */
  order: string[];
}

export const LATEST_ROWS: readonly LatestRow[] = [
  {
    view: 'v_outcome_experience_lookup',
    table: TABLES.outcome_experience_lookup,
    key: 'experience_id',
    // Latest updated_at, then latest snapshot_date, then the later arrival (arrival hour, object key, line).
    order: ['updated_at', 'snapshot_date', 'arrival_hour', 'source_file', 'line_number'],
  },
  { view: 'v_dim_customer', table: TABLES.dim_customer, key: 'client_id', order: ['updated_at', 'snapshot_date'] },
];

/** The rule for a table. */
export function latestRowOf(table: TableDef): LatestRow {
  const rule = LATEST_ROWS.find((r) => r.table.name === table.name);
  if (!rule) throw new Error(`no latest-row rule for ${table.name}`);
  return rule;
}

export const quoteIdent = (name: string): string => {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a valid identifier: ${name}`);
  return `"${name}"`;
};

/** The latest row per key of `from` (the table itself by default, or a parenthesised subquery). */
export function latestRowSelect(rule: LatestRow, from = quoteIdent(rule.table.name)): string {
  return [
    `SELECT ${rule.table.columns.map((c) => quoteIdent(c.name)).join(', ')}`,
    'FROM (',
    `  SELECT *, row_number() OVER (PARTITION BY ${quoteIdent(rule.key)} ORDER BY ${rule.order.map((c) => `${quoteIdent(c)} DESC`).join(', ')}) AS rn`,
    `  FROM ${from}`,
    ') ranked',
    'WHERE rn = 1',
  ].join('\n');
}

/** CREATE OR REPLACE VIEW statements for the catalog views, in creation order (DuckDB and Athena). */
export function latestRowViews(): { view: string; sql: string }[] {
  return LATEST_ROWS.map((rule) => ({ view: rule.view, sql: `CREATE OR REPLACE VIEW ${quoteIdent(rule.view)} AS\n${latestRowSelect(rule)}` }));
}
