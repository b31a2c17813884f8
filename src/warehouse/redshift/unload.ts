/**
 * Redshift UNLOAD: the statement text (pure) and the one quoting helper for what goes inside its
 * string literals. UNLOAD takes its query as a literal, so a quote in the query is doubled and a
 * backslash escaped (Redshift reads `\\` in a literal as one backslash).
 */
import { WarehouseError } from '../../errors.js';
import { DIM_CUSTOMER_COLUMNS } from '../warehouse.js';

/** A Redshift string literal: `'` doubled, `\` escaped, wrapped in single quotes. */
export function redshiftLiteral(text: string): string {
  if (text.includes('\0')) throw new WarehouseError('a Redshift literal cannot contain a NUL byte');
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/** The inner SELECT of the unload: the dim_customer columns, native types (DuckDB casts them to text). */
export function dimCustomerUnloadSelect(tableName: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/.test(tableName)) throw new WarehouseError(`invalid warehouse table name ${tableName}`);
  return `SELECT ${DIM_CUSTOMER_COLUMNS.join(', ')} FROM ${tableName}`;
}

export interface UnloadStatement {
  /** The query whose rows are unloaded. */
  select: string;
  /** s3://bucket/prefix/ the Parquet files are written under (ends with '/'). */
  target: string;
  /** Role Redshift assumes to write to the target. */
  iamRole: string;
}

/** `UNLOAD ('<select>') TO 's3://…/' IAM_ROLE '…' FORMAT PARQUET`. */
export function unloadSql({ select, target, iamRole }: UnloadStatement): string {
  if (!/^s3:\/\/[^/]+\/.*\/$/.test(target)) throw new WarehouseError(`UNLOAD target ${target} must be s3://bucket/prefix/`);
  return `UNLOAD (${redshiftLiteral(select)}) TO ${redshiftLiteral(target)} IAM_ROLE ${redshiftLiteral(iamRole)} FORMAT PARQUET`;
}
