/**
 * The local catalog: table definitions in `<lake>/_catalog/tables/<name>.json`; partitions are the
 * `_current.json` pointers themselves, so registering a partition has nothing more to write.
 * Readers build DuckDB views from both (see src/catalog/local/views.ts).
 */
import { Catalog } from '../catalog.js';
import { TableDef } from '../../rules/tables.js';
import { ObjectStore } from '../../lake/objectStore.js';
import { Pointer } from '../../lake/publish.js';

export class LocalCatalog implements Catalog {
  constructor(private readonly store: ObjectStore) {}

  async ensureTable(def: TableDef): Promise<void> {
    const key = `_catalog/tables/${def.name}.json`;
    const body = JSON.stringify(def, null, 2);
    if ((await this.store.readText(key)) !== body) await this.store.writeText(key, body);
  }

  async registerPartition(_def: TableDef, _pointer: Pointer): Promise<void> {
    // The pointer written by publishPartition is the registration: the catalog reads through it.
  }
}
