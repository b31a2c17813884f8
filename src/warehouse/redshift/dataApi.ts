/**
 * The Redshift Data API: ExecuteStatement against a provisioned cluster (with a database user) or a
 * Serverless workgroup, then DescribeStatement polled with backoff until it finishes; a failed
 * statement fails with Redshift's own error message.
 */
import {
  CancelStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  ExecuteStatementCommandInput,
  RedshiftDataClient,
} from '@aws-sdk/client-redshift-data';
import { ConfigError, WarehouseError } from '../../errors.js';
import { Config } from '../../config/config.js';
import { awsHint, awsMessage } from '../../aws/errors.js';
import { Clock, pollUntil } from '../../aws/poll.js';

export interface RedshiftTarget {
  clusterId: string | null;
  workgroup: string | null;
  database: string;
  /** Provisioned clusters: the user the Data API gets temporary credentials for. */
  dbUser: string | null;
  /** Alternative to dbUser: a secret with the credentials (Data API format). */
  secretArn: string | null;
}

/** The Data API target from ACE_REDSHIFT_*; exactly one of cluster id and workgroup. */
export function redshiftTargetFromConfig(config: Config): RedshiftTarget {
  const r = config.aws.redshift;
  if (!r.clusterId === !r.workgroup) {
    throw new ConfigError('ACE_WAREHOUSE_MODE=unload needs exactly one of ACE_REDSHIFT_CLUSTER_ID (provisioned) and ACE_REDSHIFT_WORKGROUP (Serverless)');
  }
  if (!r.database) throw new ConfigError('ACE_WAREHOUSE_MODE=unload needs ACE_REDSHIFT_DATABASE');
  if (r.clusterId && !r.dbUser && !config.aws.warehouseSecretArn) {
    throw new ConfigError('ACE_REDSHIFT_CLUSTER_ID needs ACE_REDSHIFT_DB_USER (temporary credentials) or ACE_WAREHOUSE_SECRET_ARN');
  }
  return { clusterId: r.clusterId, workgroup: r.workgroup, database: r.database, dbUser: r.dbUser, secretArn: r.dbUser ? null : config.aws.warehouseSecretArn };
}

export class RedshiftDataApi {
  constructor(
    private readonly client: RedshiftDataClient,
    readonly target: RedshiftTarget,
    private readonly options: { timeoutMs?: number; clock?: Clock } = {},
  ) {}

  describe(): string {
    const where = this.target.clusterId ? `cluster ${this.target.clusterId}` : `workgroup ${this.target.workgroup}`;
    return `Redshift ${where}, database ${this.target.database}`;
  }

  /** Runs one statement and waits for it; returns the statement id. */
  async execute(sql: string, name: string): Promise<string> {
    const t = this.target;
    const input: ExecuteStatementCommandInput = {
      Sql: sql,
      Database: t.database,
      StatementName: name,
      ...(t.clusterId ? { ClusterIdentifier: t.clusterId } : { WorkgroupName: t.workgroup! }),
      ...(t.dbUser ? { DbUser: t.dbUser } : {}),
      ...(t.secretArn ? { SecretArn: t.secretArn } : {}),
    };
    let id: string | undefined;
    try {
      id = (await this.client.send(new ExecuteStatementCommand(input))).Id;
    } catch (err) {
      throw new WarehouseError(`cannot run a statement on ${this.describe()}: ${awsMessage(err)}${awsHint(err)}`, {}, { cause: err });
    }
    if (!id) throw new WarehouseError(`the Redshift Data API returned no statement id (${this.describe()})`);
    const statementId = id;
    let timedOut = false;
    try {
      await pollUntil(
        async () => {
          let res;
          try {
            res = await this.client.send(new DescribeStatementCommand({ Id: statementId }));
          } catch (err) {
            throw new WarehouseError(`cannot read the state of Redshift statement ${statementId}: ${awsMessage(err)}${awsHint(err)}`, {}, { cause: err });
          }
          const status = res.Status ?? 'UNKNOWN';
          if (status === 'FINISHED') return { done: true, value: undefined };
          if (status === 'FAILED' || status === 'ABORTED') {
            throw new WarehouseError(`Redshift statement ${statementId} ${status} on ${this.describe()}: ${res.Error || 'no error message'}`, { statementId });
          }
          return { done: false, state: status };
        },
        { initialDelayMs: 500, maxDelayMs: 10_000, timeoutMs: this.options.timeoutMs ?? 60 * 60 * 1000, clock: this.options.clock },
        (state, waited) => {
          timedOut = true;
          return new WarehouseError(`Redshift statement ${statementId} still ${state} after ${Math.round(waited / 1000)} s on ${this.describe()}; it was cancelled`, { statementId });
        },
      );
    } catch (err) {
      if (timedOut) await this.client.send(new CancelStatementCommand({ Id: statementId })).catch(() => undefined);
      throw err;
    }
    return statementId;
  }
}
