/**
 * The Catalog port: where tables are registered so that query engines (DuckDB locally, Athena in
 * production) can read them. A partition counts as published once the catalog points at it.
 */
import { TableDef } from '../rules/tables.js';
import { Pointer } from '../lake/publish.js';

export interface Catalog {
  /** Creates the table definition, or updates it when its columns changed. */
  ensureTable(def: TableDef): Promise<void>;
  /** Points the table's partition at the version just published. */
  registerPartition(def: TableDef, pointer: Pointer): Promise<void>;
  /** Creates or replaces the catalog's views (v_dim_customer, v_outcome_experience_lookup), where the catalog keeps views. */
  ensureViews?(): Promise<void>;
}
