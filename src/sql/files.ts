/** A table's rows read from local Parquet files, as one SELECT (the catalog's views, the transforms' inputs). */
import { sqlIdent, sqlString } from '../engine/duckdb.js';
import { TableDef } from '../rules/tables.js';

/** The SELECT over these files, in the table's column order; no file gives an empty typed relation. */
export function tableSelect(def: TableDef, files: string[]): string {
  const cols = def.columns.map((c) => sqlIdent(c.name)).join(', ');
  if (files.length === 0) {
    return `SELECT ${def.columns.map((c) => `NULL::${c.type} AS ${sqlIdent(c.name)}`).join(', ')} WHERE false`;
  }
  return `SELECT ${cols} FROM read_parquet([${files.map(sqlString).join(', ')}], hive_partitioning = false)`;
}
