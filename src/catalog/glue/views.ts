/**
 * The two catalog views in Athena (Trino SQL), the same logic as src/sql/views.sql: the latest row
 * per key across all snapshots. Trino has no `SELECT * EXCLUDE`, so the columns are listed.
 */
import { TABLES, TableDef } from '../../rules/tables.js';

const q = (name: string): string => {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a valid Athena identifier: ${name}`);
  return `"${name}"`;
};

function latestRowView(view: string, def: TableDef, key: string, order: string[]): string {
  return [
    `CREATE OR REPLACE VIEW ${q(view)} AS`,
    `SELECT ${def.columns.map((c) => q(c.name)).join(', ')}`,
    'FROM (',
    `  SELECT *, row_number() OVER (PARTITION BY ${q(key)} ORDER BY ${order.map((c) => `${q(c)} DESC`).join(', ')}) AS rn`,
    `  FROM ${q(def.name)}`,
    ') ranked',
    'WHERE rn = 1',
  ].join('\n');
}

/** CREATE OR REPLACE VIEW statements, one per view, in creation order. */
export function athenaViewStatements(): { view: string; sql: string }[] {
  return [
    {
      view: 'v_outcome_experience_lookup',
      sql: latestRowView('v_outcome_experience_lookup', TABLES.outcome_experience_lookup, 'experience_id', [
        'updated_at',
        'snapshot_date',
        'arrival_hour',
        'source_file',
        'line_number',
      ]),
    },
    { view: 'v_dim_customer', sql: latestRowView('v_dim_customer', TABLES.dim_customer, 'client_id', ['updated_at', 'snapshot_date']) },
  ];
}
