/**
 * Reading side of the local catalog: one DuckDB view per table over the Parquet files of its current
 * partition versions (through the `_current.json` pointers), plus the two SPEC.md views.
 */
import path from 'node:path';
import { Db, sqlIdent } from '../../engine/duckdb.js';
import { tableSelect } from '../../sql/files.js';
import { ObjectStore } from '../../lake/objectStore.js';
import { listPointers } from '../../lake/publish.js';
import { TABLES, TableDef } from '../../rules/tables.js';
import { latestRowViews } from '../../sql/latest.js';

/** Creates a view per table (current versions only) and the two catalog views. */
export async function registerViews(db: Db, store: ObjectStore, scratchDir: string): Promise<void> {
  for (const def of Object.values(TABLES) as TableDef[]) {
    const keys = def.appendOnly
      ? (await store.list(`tables/${def.name}/`)).map((o) => o.key).filter((k) => k.endsWith('.parquet'))
      : (await listPointers(store, def)).flatMap((p) => p.files);
    const files = await store.localPaths(keys, path.join(scratchDir, def.name));
    await db.run(`CREATE OR REPLACE VIEW ${sqlIdent(def.name)} AS ${tableSelect(def, files)}`);
  }
  for (const { sql } of latestRowViews()) await db.run(sql);
}
