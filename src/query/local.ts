/** The local query engine: DuckDB with one view per table over the current partitions, plus the two views. */
import fs from 'node:fs';
import path from 'node:path';
import { Db } from '../engine/duckdb.js';
import { registerViews } from '../catalog/local/views.js';
import { Services } from '../run/context.js';
import { UsageError } from '../errors.js';
import { QueryEngine, QueryResult } from './engine.js';
import { checkDuckDbParse, READING_STATEMENTS, refusal } from './readonly.js';

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

  /**
   * Reading statements only (src/query/readonly.ts): the parser's tree is checked before anything is
   * bound, then each prepared statement's type; the prepared statements are what runs. With several
   * statements the last one's rows are returned.
   */
  async run(sql: string): Promise<QueryResult> {
    const [{ tree }] = await this.db.all<{ tree: unknown }>('SELECT json_serialize_sql($sql::VARCHAR) AS tree', { sql });
    const check = checkDuckDbParse(typeof tree === 'string' ? tree : JSON.stringify(tree));
    if ('refused' in check) throw new UsageError(check.refused);
    const statements = await this.db.prepareEach(sql);
    try {
      const other = statements.find((s) => s.type !== 'SELECT');
      if (other || statements.length !== check.statements) {
        throw new UsageError(refusal(READING_STATEMENTS, other ? `DuckDB prepared a ${other.type} statement` : 'the statements DuckDB prepared are not the ones checked'));
      }
      let result: QueryResult = { columns: [], rows: [] };
      for (const s of statements) result = { columns: s.columns, rows: await s.all() };
      return result;
    } finally {
      for (const s of statements) s.close();
    }
  }

  async close(): Promise<void> {
    this.db.close();
    fs.rmSync(this.scratch, { recursive: true, force: true });
  }
}
