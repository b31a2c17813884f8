/** The local query engine: DuckDB with one view per table over the current partitions, plus the two views. */
import fs from 'node:fs';
import path from 'node:path';
import { Db } from '../engine/duckdb.js';
import { registerViews } from '../catalog/local/views.js';
import { Services } from '../runtime/context.js';
import { QueryEngine, QueryResult } from './engine.js';

export class LocalQueryEngine implements QueryEngine {
  private constructor(
    private readonly db: Db,
    private readonly scratch: string,
    private readonly where: string,
  ) {}

  static async open(services: Services): Promise<LocalQueryEngine> {
    const db = await services.engine.connect();
    fs.mkdirSync(services.config.scratchRoot, { recursive: true });
    const scratch = fs.mkdtempSync(path.join(services.config.scratchRoot, 'query-'));
    try {
      await registerViews(db, services.store, scratch);
    } catch (err) {
      db.close();
      fs.rmSync(scratch, { recursive: true, force: true });
      throw err;
    }
    return new LocalQueryEngine(db, scratch, `DuckDB over ${services.store.describe('tables/')}`);
  }

  describe(): string {
    return this.where;
  }

  async run(sql: string): Promise<QueryResult> {
    const columns = await this.db.columns(`SELECT * FROM (${sql}) LIMIT 0`).catch(() => null);
    const rows = await this.db.all(sql);
    return { columns: columns?.map((c) => c.name) ?? (rows[0] ? Object.keys(rows[0]) : []), rows };
  }

  async close(): Promise<void> {
    this.db.close();
    fs.rmSync(this.scratch, { recursive: true, force: true });
  }
}
