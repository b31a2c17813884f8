/** The Athena query engine: the statement runs in ACE_ATHENA_WORKGROUP against ACE_GLUE_DATABASE. */
import { AthenaClient } from '@aws-sdk/client-athena';
import { AthenaRunner } from '../aws/athena.js';
import { Config } from '../config/config.js';
import { ConfigError, UsageError } from '../errors.js';
import { QueryEngine, QueryResult, ValueStyle } from './engine.js';
import { athenaJsonValue } from './athenaJson.js';
import { athenaRefusal } from './readonly.js';

export class AthenaQueryEngine implements QueryEngine {
  constructor(private readonly runner: AthenaRunner) {}

  static fromConfig(config: Config, client: AthenaClient = new AthenaClient({})): AthenaQueryEngine {
    const database = config.aws.glueDatabase;
    if (!database) throw new ConfigError('--engine athena needs ACE_GLUE_DATABASE (the Glue database of the lake) and ACE_ATHENA_WORKGROUP');
    return new AthenaQueryEngine(new AthenaRunner(client, { workgroup: config.aws.athenaWorkgroup, database, outputLocation: config.aws.athenaOutput }));
  }

  describe(): string {
    return this.runner.describe();
  }

  /** Reading statements only, checked before anything is sent (src/query/readonly.ts). */
  async run(sql: string, style: ValueStyle = 'text'): Promise<QueryResult> {
    const refused = athenaRefusal(sql);
    if (refused) throw new UsageError(refused);
    const result = await this.runner.query(sql);
    const columns = result.columns.map((c) => c.name);
    if (style === 'text') return { columns, rows: result.rows };
    const rows = result.rows.map((r) => Object.fromEntries(result.columns.map((c) => [c.name, athenaJsonValue(c.type, r[c.name])])));
    return { columns, rows };
  }

  /** Athena writes files only with UNLOAD, which would write into S3 from SQL: refused like any writing statement. */
  async writeParquet(): Promise<{ file: string; rows: number }> {
    throw new UsageError('query: --format parquet works with --engine local only (Athena writes Parquet only through UNLOAD, which query refuses); use --format ndjson with --engine athena');
  }

  async close(): Promise<void> {}
}
