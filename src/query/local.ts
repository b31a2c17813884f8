/** The local query engine: DuckDB with one view per table over the current partitions, plus the two views. */
import fs from 'node:fs';
import path from 'node:path';
import { Db, PreparedStatement, sqlString } from '../engine/duckdb.js';
import { registerViews } from '../catalog/local/views.js';
import { Services } from '../run/context.js';
import { UsageError } from '../errors.js';
import { QueryEngine, QueryResult, ValueStyle } from './engine.js';
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
  async run(sql: string, style: ValueStyle = 'text'): Promise<QueryResult> {
    const checked = await this.checkParse(sql);
    const statements = await this.prepareReading(sql, checked);
    try {
      let result: QueryResult = { columns: [], rows: [] };
      for (const s of statements) result = { columns: s.columns, rows: style === 'json' ? await s.allTyped() : await s.all() };
      return result;
    } finally {
      for (const s of statements) s.close();
    }
  }

  /**
   * The user's statement is checked as `run` checks it; what is wrapped in COPY is DuckDB's own text of
   * the checked parse tree (json_deserialize_sql: no trailing comment or `;` can reach the COPY), checked
   * again, and the COPY must prepare as exactly one COPY statement. The target is a scratch file named
   * here; the CLI moves it to --out, so no SQL ever names a path that is written.
   */
  async writeParquet(sql: string): Promise<{ file: string; rows: number }> {
    const checked = await this.checkParse(sql);
    if (checked !== 1) throw new UsageError(`query: --format parquet writes the result of one statement; this SQL has ${checked}: send only the SELECT whose rows you want`);
    for (const s of await this.prepareReading(sql, checked)) s.close();
    const [{ text }] = await this.db.all<{ text: string }>('SELECT json_deserialize_sql(json_serialize_sql($sql::VARCHAR)) AS text', { sql });
    if ((await this.checkParse(text)) !== 1) throw new UsageError(refusal(READING_STATEMENTS, 'the statement DuckDB printed back is not the one checked'));
    const file = path.join(this.scratch, 'result.parquet');
    const copy = await this.db.prepareEach(`COPY (\n${text}\n) TO ${sqlString(file)} (FORMAT parquet, COMPRESSION zstd)`);
    try {
      if (copy.length !== 1 || copy[0].type !== 'COPY') throw new UsageError(refusal(READING_STATEMENTS, 'the statement DuckDB prepared is not the one checked'));
      const [row] = await copy[0].all();
      return { file, rows: Number(Object.values(row ?? {})[0] ?? 0) };
    } finally {
      for (const s of copy) s.close();
    }
  }

  /** The parse-tree check; returns the number of statements or throws the refusal (UsageError). */
  private async checkParse(sql: string): Promise<number> {
    const [{ tree }] = await this.db.all<{ tree: unknown }>('SELECT json_serialize_sql($sql::VARCHAR) AS tree', { sql });
    const check = checkDuckDbParse(typeof tree === 'string' ? tree : JSON.stringify(tree));
    if ('refused' in check) throw new UsageError(check.refused);
    return check.statements;
  }

  /** Prepares the checked SQL; every prepared statement must be a SELECT, as many as were checked. */
  private async prepareReading(sql: string, checked: number): Promise<PreparedStatement[]> {
    const statements = await this.db.prepareEach(sql);
    const other = statements.find((s) => s.type !== 'SELECT');
    if (other || statements.length !== checked) {
      for (const s of statements) s.close();
      throw new UsageError(refusal(READING_STATEMENTS, other ? `DuckDB prepared a ${other.type} statement` : 'the statements DuckDB prepared are not the ones checked'));
    }
    return statements;
  }

  async close(): Promise<void> {
    this.db.close();
    fs.rmSync(this.scratch, { recursive: true, force: true });
  }
}
