/**
 * Runs one SQL statement in Athena: StartQueryExecution in a workgroup and database, GetQueryExecution
 * polled with backoff until it ends (failing with Athena's StateChangeReason), then GetQueryResults
 * page by page. Shared by `npm run query -- --engine athena` and the Glue catalog's views.
 */
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  GetQueryResultsCommandOutput,
  StartQueryExecutionCommand,
  StartQueryExecutionCommandInput,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { CatalogError } from '../errors.js';
import { awsHint, awsMessage } from './errors.js';
import { Clock, pollUntil } from './poll.js';

export interface AthenaSettings {
  workgroup: string;
  database: string;
  /** s3:// results location; null lets the workgroup's own setting apply. */
  outputLocation: string | null;
  /** Give up (and stop the query) after this long. */
  timeoutMs?: number;
  clock?: Clock;
}

export interface AthenaColumn {
  name: string;
  type: string;
}

export interface AthenaResult {
  queryExecutionId: string;
  columns: AthenaColumn[];
  rows: Record<string, unknown>[];
}

const PAGE_SIZE = 1000;

/** Athena returns every value as text; numbers and booleans are converted back, the rest stays text. */
export function athenaValue(type: string, text: string | undefined): unknown {
  if (text === undefined) return null;
  switch (type.toLowerCase()) {
    case 'boolean':
      return text === 'true';
    case 'tinyint':
    case 'smallint':
    case 'integer':
    case 'int':
    case 'float':
    case 'real':
    case 'double':
      return Number(text);
    case 'bigint': {
      const n = Number(text);
      return Number.isSafeInteger(n) ? n : text;
    }
    default:
      return text;
  }
}

export class AthenaRunner {
  constructor(
    private readonly client: AthenaClient,
    readonly settings: AthenaSettings,
  ) {}

  describe(): string {
    return `Athena workgroup ${this.settings.workgroup}, database ${this.settings.database}`;
  }

  /** Starts the statement and waits for it to succeed; returns its id and statement type. */
  async execute(sql: string): Promise<{ queryExecutionId: string; statementType: string }> {
    const input: StartQueryExecutionCommandInput = {
      QueryString: sql,
      WorkGroup: this.settings.workgroup,
      QueryExecutionContext: { Database: this.settings.database },
      ...(this.settings.outputLocation ? { ResultConfiguration: { OutputLocation: this.settings.outputLocation } } : {}),
    };
    let id: string | undefined;
    try {
      id = (await this.client.send(new StartQueryExecutionCommand(input))).QueryExecutionId;
    } catch (err) {
      throw new CatalogError(`cannot start an Athena query in ${this.describe()}: ${awsMessage(err)}${awsHint(err)}`, {}, { cause: err });
    }
    if (!id) throw new CatalogError(`Athena returned no query execution id (${this.describe()})`);
    const queryId = id;
    let timedOut = false;
    const statementType = await pollUntil(
      async () => {
        let res;
        try {
          res = await this.client.send(new GetQueryExecutionCommand({ QueryExecutionId: queryId }));
        } catch (err) {
          throw new CatalogError(`cannot read the state of Athena query ${queryId}: ${awsMessage(err)}${awsHint(err)}`, {}, { cause: err });
        }
        const qe = res.QueryExecution;
        const state = qe?.Status?.State ?? 'UNKNOWN';
        if (state === 'SUCCEEDED') return { done: true, value: qe?.StatementType ?? 'DML' };
        if (state === 'FAILED' || state === 'CANCELLED') {
          const reason = qe?.Status?.StateChangeReason || qe?.Status?.AthenaError?.ErrorMessage || 'no reason given';
          throw new CatalogError(`Athena query ${queryId} ${state}: ${reason}`, { queryExecutionId: queryId });
        }
        return { done: false, state };
      },
      { initialDelayMs: 250, maxDelayMs: 5000, timeoutMs: this.settings.timeoutMs ?? 30 * 60 * 1000, clock: this.settings.clock },
      (state, waited) => {
        timedOut = true;
        return new CatalogError(`Athena query ${queryId} still ${state} after ${Math.round(waited / 1000)} s; it was stopped`, { queryExecutionId: queryId });
      },
    ).catch(async (err: unknown) => {
      if (timedOut) {
        await this.client.send(new StopQueryExecutionCommand({ QueryExecutionId: queryId })).catch(() => undefined);
      }
      throw err;
    });
    return { queryExecutionId: queryId, statementType };
  }

  /** Every row of a finished query, following NextToken; a SELECT's header row is dropped. */
  async results(queryExecutionId: string, statementType: string): Promise<Omit<AthenaResult, 'queryExecutionId'>> {
    let columns: AthenaColumn[] = [];
    const rows: Record<string, unknown>[] = [];
    let token: string | undefined;
    let first = true;
    do {
      let page: GetQueryResultsCommandOutput;
      try {
        page = await this.client.send(new GetQueryResultsCommand({ QueryExecutionId: queryExecutionId, MaxResults: PAGE_SIZE, NextToken: token }));
      } catch (err) {
        throw new CatalogError(`cannot read the results of Athena query ${queryExecutionId}: ${awsMessage(err)}${awsHint(err)}`, {}, { cause: err });
      }
      if (first) columns = (page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((c) => ({ name: c.Name ?? '', type: c.Type ?? 'varchar' }));
      let data = page.ResultSet?.Rows ?? [];
      if (first && statementType === 'DML' && data.length > 0 && data[0].Data?.every((d, i) => d.VarCharValue === columns[i]?.name)) data = data.slice(1);
      for (const r of data) {
        const row: Record<string, unknown> = {};
        columns.forEach((c, i) => (row[c.name] = athenaValue(c.type, r.Data?.[i]?.VarCharValue)));
        rows.push(row);
      }
      first = false;
      token = page.NextToken;
    } while (token);
    return { columns, rows };
  }

  /** Runs a statement and reads all its rows. */
  async query(sql: string): Promise<AthenaResult> {
    const { queryExecutionId, statementType } = await this.execute(sql);
    return { queryExecutionId, ...(await this.results(queryExecutionId, statementType)) };
  }
}
