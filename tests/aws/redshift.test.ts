/**
 * Redshift unload mode and warehouse secrets at the SDK boundary: the UNLOAD text and its quoting
 * helper, the Data API requests (execute, poll, Redshift's error), the Parquet files read back into
 * the landing table, and GetSecretValue without the password ever reaching a message.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mockClient } from 'aws-sdk-client-mock';
import { CancelStatementCommand, DescribeStatementCommand, ExecuteStatementCommand, RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { dimCustomerUnloadSelect, redshiftLiteral, unloadSql } from '../../src/warehouse/redshift/unload';
import { RedshiftDataApi, redshiftTargetFromConfig } from '../../src/warehouse/redshift/dataApi';
import { UnloadWarehouse } from '../../src/warehouse/redshift/unloadWarehouse';
import { resolveWarehouseLocation, warehouseUrlFromSecret } from '../../src/warehouse/redshift/secret';
import { openConfiguredWarehouse, unloadStagingPrefix } from '../../src/warehouse/open';
import { getSecretString } from '../../src/aws/secrets';
import { LocalObjectStore } from '../../src/lake/local/localObjectStore';
import { Engine, Db } from '../../src/engine/duckdb';
import { loadConfig } from '../../src/config/config';
import { ConfigError, WarehouseError } from '../../src/errors';
import { awsError, fakeClock, sent } from './sdk';

const ROLE = 'arn:aws:iam::123456789012:role/ace-unit-redshift-unload';

describe('redshiftLiteral: the one quoting helper for UNLOAD', () => {
  test.each([
    ['SELECT 1', "'SELECT 1'"],
    ["WHERE status = 'active'", "'WHERE status = ''active'''"],
    ['a\\b', "'a\\\\b'"],
    ["it\\'s", "'it\\\\''s'"],
    ["''", "''''''"],
    ['s3://ace-lake/lake/tables/dim_customer/_unload/run=1/', "'s3://ace-lake/lake/tables/dim_customer/_unload/run=1/'"],
  ])('%s', (input, quoted) => expect(redshiftLiteral(input)).toBe(quoted));

  test('a NUL byte is refused', () => expect(() => redshiftLiteral('a\0b')).toThrow(WarehouseError));
});

test('the UNLOAD statement', () => {
  expect(unloadSql({ select: "SELECT * FROM t WHERE s = 'x\\y'", target: 's3://b/p/run=1/', iamRole: ROLE })).toBe(
    `UNLOAD ('SELECT * FROM t WHERE s = ''x\\\\y''') TO 's3://b/p/run=1/' IAM_ROLE '${ROLE}' FORMAT PARQUET`,
  );
  expect(dimCustomerUnloadSelect('analytics.dim_customer')).toBe('SELECT client_id, client_name, billing_account_id, is_test, status, updated_at FROM analytics.dim_customer');
  expect(() => dimCustomerUnloadSelect('t; DROP TABLE x')).toThrow(WarehouseError);
  expect(() => unloadSql({ select: 'SELECT 1', target: 's3://b/no-slash', iamRole: ROLE })).toThrow(/must be s3:\/\/bucket\/prefix\//);
});

describe('Redshift Data API', () => {
  const cluster = { clusterId: 'ace-warehouse', workgroup: null, database: 'analytics', dbUser: 'ace_unit', secretArn: null };

  test('execute: ExecuteStatement on the cluster as the db user, DescribeStatement polled with backoff', async () => {
    const client = new RedshiftDataClient({ region: 'us-east-1' });
    const mock = mockClient(client);
    const clock = fakeClock();
    mock.on(ExecuteStatementCommand).resolves({ Id: 'st-1' });
    mock.on(DescribeStatementCommand).resolvesOnce({ Status: 'SUBMITTED' }).resolvesOnce({ Status: 'STARTED' }).resolves({ Status: 'FINISHED' });
    await new RedshiftDataApi(client, cluster, { clock }).execute('SELECT 1', 'ace-unit test');
    expect(sent(mock)).toEqual([
      ['ExecuteStatementCommand', { Sql: 'SELECT 1', Database: 'analytics', StatementName: 'ace-unit test', ClusterIdentifier: 'ace-warehouse', DbUser: 'ace_unit' }],
      ['DescribeStatementCommand', { Id: 'st-1' }],
      ['DescribeStatementCommand', { Id: 'st-1' }],
      ['DescribeStatementCommand', { Id: 'st-1' }],
    ]);
    expect(clock.slept).toEqual([500, 1000]);
  });

  test('Serverless: WorkgroupName, no DbUser', async () => {
    const client = new RedshiftDataClient({ region: 'us-east-1' });
    const mock = mockClient(client);
    mock.on(ExecuteStatementCommand).resolves({ Id: 'st-2' });
    mock.on(DescribeStatementCommand).resolves({ Status: 'FINISHED' });
    const target = redshiftTargetFromConfig(loadConfig({ ACE_REDSHIFT_WORKGROUP: 'ace-wh', ACE_REDSHIFT_DATABASE: 'dev' }));
    await new RedshiftDataApi(client, target, { clock: fakeClock() }).execute('SELECT 1', 'n');
    expect(mock.commandCalls(ExecuteStatementCommand)[0].args[0].input).toEqual({ Sql: 'SELECT 1', Database: 'dev', StatementName: 'n', WorkgroupName: 'ace-wh' });
  });

  test('configuration: exactly one of cluster and workgroup, a database, a user for a cluster', () => {
    expect(() => redshiftTargetFromConfig(loadConfig({ ACE_REDSHIFT_DATABASE: 'dev' }))).toThrow(ConfigError);
    expect(() => redshiftTargetFromConfig(loadConfig({ ACE_REDSHIFT_CLUSTER_ID: 'c', ACE_REDSHIFT_WORKGROUP: 'w', ACE_REDSHIFT_DATABASE: 'dev' }))).toThrow(/exactly one/);
    expect(() => redshiftTargetFromConfig(loadConfig({ ACE_REDSHIFT_CLUSTER_ID: 'c', ACE_REDSHIFT_DATABASE: 'dev' }))).toThrow(/ACE_REDSHIFT_DB_USER/);
  });

  test('a statement still running at the timeout is cancelled', async () => {
    const client = new RedshiftDataClient({ region: 'us-east-1' });
    const mock = mockClient(client);
    mock.on(ExecuteStatementCommand).resolves({ Id: 'st-3' });
    mock.on(DescribeStatementCommand).resolves({ Status: 'STARTED' });
    mock.on(CancelStatementCommand).resolves({ Status: true });
    await expect(new RedshiftDataApi(client, cluster, { clock: fakeClock(), timeoutMs: 5000 }).execute('SELECT 1', 'n')).rejects.toThrow(
      'Redshift statement st-3 still STARTED after 5 s on Redshift cluster ace-warehouse, database analytics; it was cancelled',
    );
    expect(mock.commandCalls(CancelStatementCommand).map((c) => c.args[0].input)).toEqual([{ Id: 'st-3' }]);
  });
});

describe('UnloadWarehouse', () => {
  let root: string;
  let engine: Engine;
  let db: Db;
  const runId = '20260312T090000Z-cafebabe';

  /** The local store, described as the S3 lake it stands in for. */
  class S3LikeStore extends LocalObjectStore {
    override describe(key: string): string {
      return `s3://ace-lake/lake/${key}`;
    }
  }

  beforeEach(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'ace-unload-'));
    engine = await Engine.open({ memoryLimit: '256MB', tempDir: path.join(root, '_tmp'), threads: 1 });
    db = await engine.connect();
  });
  afterEach(() => {
    db.close();
    engine.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  function setup() {
    const client = new RedshiftDataClient({ region: 'us-east-1' });
    const mock = mockClient(client);
    const api = new RedshiftDataApi(client, { clusterId: 'ace-warehouse', workgroup: null, database: 'analytics', dbUser: 'ace_unit', secretArn: null }, { clock: fakeClock() });
    const store = new S3LikeStore(root);
    const wh = new UnloadWarehouse(api, { store, stagingPrefix: unloadStagingPrefix(runId), iamRole: ROLE, tableName: 'dim_customer', scratch: path.join(root, '_scratch') });
    return { mock, wh, staging: path.join(root, unloadStagingPrefix(runId)) };
  }

  test('UNLOAD to the staging folder, the Parquet files read as text, the staging folder removed', async () => {
    const { mock, wh, staging } = setup();
    mock.on(ExecuteStatementCommand).callsFake(async () => {
      // What Redshift would write: native types, one file per slice.
      fs.mkdirSync(staging, { recursive: true });
      await db.run(
        `COPY (SELECT * FROM (VALUES ('c1', 'Bank ''One''', 'BA-1', true, 'active', TIMESTAMP '2026-03-01 12:00:00'),
                                     ('c2', NULL, 'BA-2', false, 'closed', TIMESTAMP '2026-03-02 08:30:00'))
               t(client_id, client_name, billing_account_id, is_test, status, updated_at))
         TO '${path.join(staging, '0000_part_00.parquet')}' (FORMAT parquet)`,
      );
      return { Id: 'st-9' };
    });
    mock.on(DescribeStatementCommand).resolves({ Status: 'FINISHED' });

    expect(await wh.loadDimCustomer(db, 'wh_dim_customer')).toBe(2);
    expect(sent(mock)[0]).toEqual([
      'ExecuteStatementCommand',
      {
        Sql: `UNLOAD ('SELECT client_id, client_name, billing_account_id, is_test, status, updated_at FROM dim_customer') TO 's3://ace-lake/lake/tables/dim_customer/_unload/run=${runId}/' IAM_ROLE '${ROLE}' FORMAT PARQUET`,
        Database: 'analytics',
        StatementName: 'ace-unit dim_customer_daily unload',
        ClusterIdentifier: 'ace-warehouse',
        DbUser: 'ace_unit',
      },
    ]);
    expect(await db.all('SELECT * FROM wh_dim_customer ORDER BY client_id')).toEqual([
      { client_id: 'c1', client_name: "Bank 'One'", billing_account_id: 'BA-1', is_test: 'true', status: 'active', updated_at: '2026-03-01 12:00:00' },
      { client_id: 'c2', client_name: null, billing_account_id: 'BA-2', is_test: 'false', status: 'closed', updated_at: '2026-03-02 08:30:00' },
    ]);
    expect(fs.existsSync(staging)).toBe(false);
  });

  test('an UNLOAD failure fails with Redshift error message and reads nothing', async () => {
    const { mock, wh } = setup();
    mock.on(ExecuteStatementCommand).resolves({ Id: 'st-10' });
    mock.on(DescribeStatementCommand).resolves({ Status: 'FAILED', Error: 'ERROR: S3ServiceException:Access Denied,Status 403' });
    const err = await wh.loadDimCustomer(db, 'wh_dim_customer').catch((e) => e);
    expect(err).toBeInstanceOf(WarehouseError);
    expect(err.message).toBe('Redshift statement st-10 FAILED on Redshift cluster ace-warehouse, database analytics: ERROR: S3ServiceException:Access Denied,Status 403');
    expect(sent(mock).map(([c]) => c)).toEqual(['ExecuteStatementCommand', 'DescribeStatementCommand']);
    await expect(db.all('SELECT * FROM wh_dim_customer')).rejects.toThrow();
  });

  test('an empty table unloads no file: an empty landing table', async () => {
    const { mock, wh } = setup();
    mock.on(ExecuteStatementCommand).resolves({ Id: 'st-11' });
    mock.on(DescribeStatementCommand).resolves({ Status: 'FINISHED' });
    expect(await wh.loadDimCustomer(db, 'wh_dim_customer')).toBe(0);
  });

  test('unload mode needs the role, the Redshift target and an S3 lake', async () => {
    const run = { store: new LocalObjectStore(root), runId, scratch: root };
    const base = { ACE_WAREHOUSE_MODE: 'unload', ACE_REDSHIFT_WORKGROUP: 'w', ACE_REDSHIFT_DATABASE: 'dev' };
    await expect(openConfiguredWarehouse(loadConfig({ ...base, ACE_LAKE_ROOT: 's3://ace-lake/lake' }), run)).rejects.toThrow(/ACE_UNLOAD_IAM_ROLE/);
    await expect(openConfiguredWarehouse(loadConfig({ ...base, ACE_UNLOAD_IAM_ROLE: ROLE, ACE_LAKE_ROOT: root }), run)).rejects.toThrow(/lake on S3/);
    expect(() => loadConfig({ ACE_UNLOAD_IAM_ROLE: 'ace-role' })).toThrow(/not an IAM role ARN/);
  });
});

describe('warehouse credentials from Secrets Manager', () => {
  const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ace-warehouse-AbCdEf';
  const PASSWORD = 'p@ss:w/rd%';

  test('GetSecretValue with the ARN; the secret fills user and password into ACE_WAREHOUSE_URL', async () => {
    const client = new SecretsManagerClient({ region: 'us-east-1' });
    const mock = mockClient(client);
    mock.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ username: 'ace_unit', password: PASSWORD, host: 'other', port: 5439, dbname: 'x' }) });
    const location = await resolveWarehouseLocation({ kind: 'postgres', url: 'postgres://wh.example.com:5439/analytics' }, ARN, (arn) => getSecretString(arn, client));
    expect(sent(mock)).toEqual([['GetSecretValueCommand', { SecretId: ARN }]]);
    expect(location).toEqual({ kind: 'postgres', url: 'postgres://ace_unit:p%40ss%3Aw%2Frd%25@wh.example.com:5439/analytics' });
    expect(decodeURIComponent(new URL((location as { url: string }).url).password)).toBe(PASSWORD);
  });

  test.each([
    ['JSON with host/port/dbname, no URL', JSON.stringify({ username: 'u', password: 'pw', host: 'h.example.com', port: '5439', dbname: 'dev' }), null, 'postgres://u:pw@h.example.com:5439/dev'],
    ['a full URL', 'postgres://u:pw@h.example.com:5432/dev', 'postgres://ignored:5432/x', 'postgres://u:pw@h.example.com:5432/dev'],
  ])('%s', (_name, secret, base, url) => expect(warehouseUrlFromSecret(secret, ARN, base)).toBe(url));

  test('errors name the secret, never its content', () => {
    const bad = [
      () => warehouseUrlFromSecret(`not json ${PASSWORD}`, ARN, null),
      () => warehouseUrlFromSecret(JSON.stringify({ password: PASSWORD }), ARN, null),
      () => warehouseUrlFromSecret(JSON.stringify({ username: 'u', password: PASSWORD }), ARN, null),
    ];
    for (const f of bad) {
      let err: Error | null = null;
      try {
        f();
      } catch (e) {
        err = e as Error;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect(err!.message).toContain(ARN);
      expect(err!.message).not.toContain(PASSWORD);
    }
  });

  test('a password in ACE_WAREHOUSE_URL next to a secret is refused (redacted)', async () => {
    const err = await resolveWarehouseLocation({ kind: 'postgres', url: `postgres://u:hunter2@h:5439/d` }, ARN, async () => '{}').catch((e) => e);
    expect(err.message).toContain('postgres://u:***@h:5439/d');
    expect(err.message).not.toContain('hunter2');
  });

  test('openConfiguredWarehouse: the secret reaches the connection, describe() redacts it; a denied read is a ConfigError', async () => {
    const mock = mockClient(SecretsManagerClient);
    try {
      mock.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ username: 'ace_unit', password: PASSWORD }) });
      const config = loadConfig({ ACE_LAKE_ROOT: 's3://ace-lake/lake', ACE_WAREHOUSE_URL: 'postgres://wh.example.com:5439/analytics', ACE_WAREHOUSE_SECRET_ARN: ARN });
      const wh = await openConfiguredWarehouse(config, { store: new LocalObjectStore(os.tmpdir()), runId: 'r', scratch: os.tmpdir() });
      expect(wh.describe()).toBe('postgres://ace_unit:***@wh.example.com:5439/analytics');
      mock.on(GetSecretValueCommand).rejects(awsError('AccessDeniedException', 'not authorized to perform secretsmanager:GetSecretValue'));
      await expect(openConfiguredWarehouse(config, { store: new LocalObjectStore(os.tmpdir()), runId: 'r', scratch: os.tmpdir() })).rejects.toThrow(ConfigError);
    } finally {
      mock.restore();
    }
  });
});
