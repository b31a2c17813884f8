/** GlueCatalog at the SDK boundary: the exact Glue requests for a publish, a repoint, a lost response, a crawler timeout. */
import { mockClient } from 'aws-sdk-client-mock';
import {
  BatchCreatePartitionCommand,
  CreateTableCommand,
  GetCrawlerCommand,
  GetPartitionCommand,
  GetTableCommand,
  GlueClient,
  StartCrawlerCommand,
  UpdatePartitionCommand,
  UpdateTableCommand,
} from '@aws-sdk/client-glue';
import { AthenaClient, GetQueryExecutionCommand, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import { GlueCatalog } from '../../src/catalog/glue/glueCatalog';
import { glueType, tableInput } from '../../src/catalog/glue/schema';
import { athenaViewStatements } from '../../src/catalog/glue/views';
import { AthenaRunner } from '../../src/aws/athena';
import { TABLES } from '../../src/rules/tables';
import { Pointer } from '../../src/lake/publish';
import { CatalogError, ConfigError } from '../../src/errors';
import { awsError, fakeClock, sent } from './sdk';

const lake = { bucket: 'ace-lake', prefix: 'lake' };
const DB = 'ace_unit_prod';

const pointer = (runId: string): Pointer => ({
  table: 'dim_customer',
  partitionKey: 'snapshot_date',
  partitionValue: '2026-03-11',
  runId,
  files: [`tables/dim_customer/snapshot_date=2026-03-11/run=${runId}/part-00000.parquet`],
  rows: 3,
  fingerprint: null,
  publishedAt: '2026-03-12T09:00:00.000Z',
  meta: {},
});

const RUN_A = '20260312T090000Z-aaaaaaaa';
const RUN_B = '20260313T090000Z-bbbbbbbb';
const locationOf = (runId: string) => `s3://ace-lake/lake/tables/dim_customer/snapshot_date=2026-03-11/run=${runId}/`;

const dimColumns = [
  { Name: 'client_id', Type: 'string', Comment: 'client' },
  { Name: 'client_name', Type: 'string', Comment: 'legal or display name' },
  { Name: 'billing_account_id', Type: 'string', Comment: 'billing account' },
  { Name: 'is_test', Type: 'boolean', Comment: 'test client: never billable' },
  { Name: 'status', Type: 'string', Comment: 'warehouse status' },
  { Name: 'updated_at', Type: 'timestamp', Comment: 'warehouse update time (zone-less values read as UTC)' },
  { Name: 'run_id', Type: 'string', Comment: 'run that wrote the row' },
];
const parquet = {
  InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
  OutputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
  SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe', Parameters: { 'serialization.format': '1' } },
};
const partitionInput = (runId: string) => ({
  Values: ['2026-03-11'],
  StorageDescriptor: { Columns: dimColumns, Location: locationOf(runId), ...parquet },
  Parameters: { 'ace.run_id': runId, 'ace.rows': '3', 'ace.published_at': '2026-03-12T09:00:00.000Z' },
});

function setup(extra: Partial<ConstructorParameters<typeof GlueCatalog>[1]> = {}) {
  const glue = new GlueClient({ region: 'us-east-1' });
  const glueMock = mockClient(glue);
  const catalog = new GlueCatalog(glue, { database: DB, lake, mode: 'tables', ...extra });
  return { glueMock, catalog };
}

describe('Glue schema mapping', () => {
  test.each([
    ['VARCHAR', 'string'],
    ['BIGINT', 'bigint'],
    ['INTEGER', 'int'],
    ['BOOLEAN', 'boolean'],
    ['DATE', 'date'],
    ['TIMESTAMPTZ', 'timestamp'],
    ['DOUBLE', 'double'],
  ] as const)('%s -> %s', (duck, glue) => expect(glueType(duck)).toBe(glue));

  test('dim_customer: Parquet, partition key only in PartitionKeys, comments, table location', () => {
    expect(tableInput(TABLES.dim_customer, lake)).toEqual({
      Name: 'dim_customer',
      Description: 'Copy of the warehouse dim_customer table taken on snapshot_date.',
      TableType: 'EXTERNAL_TABLE',
      Parameters: { EXTERNAL: 'TRUE', classification: 'parquet' },
      PartitionKeys: [{ Name: 'snapshot_date', Type: 'date', Comment: 'snapshot date (partition)' }],
      StorageDescriptor: { Columns: dimColumns, Location: 's3://ace-lake/lake/tables/dim_customer/', ...parquet },
    });
  });

  test('billing_month partitions are strings; an empty lake prefix makes no double slash', () => {
    const input = tableInput(TABLES.ace_unit_audit, { bucket: 'b', prefix: '' });
    expect(input.PartitionKeys).toEqual([{ Name: 'billing_month', Type: 'string', Comment: 'YYYY-MM (partition)' }]);
    expect(input.StorageDescriptor?.Columns?.map((c) => c.Name)).not.toContain('billing_month');
    expect(input.StorageDescriptor?.Location).toBe('s3://b/tables/ace_unit_audit/');
  });
});

describe('GlueCatalog.ensureTable', () => {
  test('a missing table is created with the explicit schema, then not checked again in this process', async () => {
    const { glueMock, catalog } = setup();
    glueMock.on(GetTableCommand).rejects(awsError('EntityNotFoundException', 'Table dim_customer not found.'));
    glueMock.on(CreateTableCommand).resolves({});
    await catalog.ensureTable(TABLES.dim_customer);
    await catalog.ensureTable(TABLES.dim_customer);
    expect(sent(glueMock)).toEqual([
      ['GetTableCommand', { DatabaseName: DB, Name: 'dim_customer' }],
      ['CreateTableCommand', { DatabaseName: DB, TableInput: tableInput(TABLES.dim_customer, lake) }],
    ]);
  });

  test('an identical table is left alone; a changed one is updated', async () => {
    const same = setup();
    same.glueMock.on(GetTableCommand).resolves({ Table: { ...tableInput(TABLES.dim_customer, lake), Name: 'dim_customer', DatabaseName: DB } });
    await same.catalog.ensureTable(TABLES.dim_customer);
    expect(sent(same.glueMock).map(([c]) => c)).toEqual(['GetTableCommand']);

    const changed = setup();
    const old = tableInput(TABLES.dim_customer, lake);
    old.StorageDescriptor = { ...old.StorageDescriptor, Columns: dimColumns.map((c) => ({ Name: c.Name, Type: c.Type })) }; // declared without comments
    changed.glueMock.on(GetTableCommand).resolves({ Table: { ...old, Name: 'dim_customer' } });
    changed.glueMock.on(UpdateTableCommand).resolves({});
    await changed.catalog.ensureTable(TABLES.dim_customer);
    expect(sent(changed.glueMock)).toEqual([
      ['GetTableCommand', { DatabaseName: DB, Name: 'dim_customer' }],
      ['UpdateTableCommand', { DatabaseName: DB, TableInput: tableInput(TABLES.dim_customer, lake) }],
    ]);
  });

  test('a denied update of comments only (the Terraform tables) warns and continues; of columns it fails', async () => {
    const { glueMock, catalog } = setup();
    const declared = tableInput(TABLES.dim_customer, lake);
    declared.Description = 'One row per warehouse dim_customer row, copied daily.';
    declared.StorageDescriptor = { ...declared.StorageDescriptor, Columns: dimColumns.map((c) => ({ Name: c.Name, Type: c.Type })) };
    glueMock.on(GetTableCommand).resolves({ Table: { ...declared, Name: 'dim_customer' } });
    glueMock.on(UpdateTableCommand).rejects(awsError('AccessDeniedException', 'not authorized to perform glue:UpdateTable'));
    await expect(catalog.ensureTable(TABLES.dim_customer)).resolves.toBeUndefined();
    expect(sent(glueMock).map(([c]) => c)).toEqual(['GetTableCommand', 'UpdateTableCommand']);
  });

  test('a denied update fails with a CatalogError that points at the IAM section', async () => {
    const { glueMock, catalog } = setup();
    glueMock.on(GetTableCommand).resolves({ Table: { Name: 'dim_customer', StorageDescriptor: {} } });
    glueMock.on(UpdateTableCommand).rejects(awsError('AccessDeniedException', 'not authorized to perform glue:UpdateTable'));
    const err = await catalog.ensureTable(TABLES.dim_customer).catch((e) => e);
    expect(err).toBeInstanceOf(CatalogError);
    expect(err.message).toBe(
      'cannot update Glue table ace_unit_prod.dim_customer: AccessDeniedException: not authorized to perform glue:UpdateTable (the task role lacks this permission: see docs/aws.md, "IAM")',
    );
  });
});

describe('GlueCatalog.registerPartition', () => {
  test('publish: a new partition is created pointing at the run folder', async () => {
    const { glueMock, catalog } = setup();
    glueMock.on(BatchCreatePartitionCommand).resolves({ Errors: [] });
    await catalog.registerPartition(TABLES.dim_customer, pointer(RUN_A));
    expect(sent(glueMock)).toEqual([
      ['BatchCreatePartitionCommand', { DatabaseName: DB, TableName: 'dim_customer', PartitionInputList: [partitionInput(RUN_A)] }],
    ]);
  });

  test('repoint: an existing partition is updated to the new run folder', async () => {
    const { glueMock, catalog } = setup();
    glueMock.on(BatchCreatePartitionCommand).resolves({
      Errors: [{ PartitionValues: ['2026-03-11'], ErrorDetail: { ErrorCode: 'AlreadyExistsException', ErrorMessage: 'Partition already exists.' } }],
    });
    glueMock.on(UpdatePartitionCommand).resolves({});
    await catalog.registerPartition(TABLES.dim_customer, pointer(RUN_B));
    expect(sent(glueMock)).toEqual([
      ['BatchCreatePartitionCommand', { DatabaseName: DB, TableName: 'dim_customer', PartitionInputList: [partitionInput(RUN_B)] }],
      ['UpdatePartitionCommand', { DatabaseName: DB, TableName: 'dim_customer', PartitionValueList: ['2026-03-11'], PartitionInput: partitionInput(RUN_B) }],
    ]);
  });

  test('lost response: UpdatePartition times out but went through; the read-back recognises it', async () => {
    const { glueMock, catalog } = setup();
    glueMock.on(BatchCreatePartitionCommand).resolves({ Errors: [{ ErrorDetail: { ErrorCode: 'AlreadyExistsException' } }] });
    glueMock.on(UpdatePartitionCommand).rejects(awsError('TimeoutError', 'socket hang up'));
    glueMock.on(GetPartitionCommand).resolves({ Partition: { Values: ['2026-03-11'], StorageDescriptor: { Location: locationOf(RUN_B) } } });
    await expect(catalog.registerPartition(TABLES.dim_customer, pointer(RUN_B))).resolves.toBeUndefined();
    expect(sent(glueMock).map(([c]) => c)).toEqual(['BatchCreatePartitionCommand', 'UpdatePartitionCommand', 'GetPartitionCommand']);
    expect(sent(glueMock)[2]).toEqual(['GetPartitionCommand', { DatabaseName: DB, TableName: 'dim_customer', PartitionValues: ['2026-03-11'] }]);
  });

  test('lost response on the first publish: BatchCreatePartition throws, the partition is ours', async () => {
    const { glueMock, catalog } = setup();
    glueMock.on(BatchCreatePartitionCommand).rejects(awsError('TimeoutError', 'connection reset'));
    glueMock.on(GetPartitionCommand).resolves({ Partition: { StorageDescriptor: { Location: locationOf(RUN_A) } } });
    await expect(catalog.registerPartition(TABLES.dim_customer, pointer(RUN_A))).resolves.toBeUndefined();
  });

  test('a failed repoint that did not go through fails, naming the version readers still see', async () => {
    const { glueMock, catalog } = setup();
    glueMock.on(BatchCreatePartitionCommand).resolves({ Errors: [{ ErrorDetail: { ErrorCode: 'AlreadyExistsException' } }] });
    glueMock.on(UpdatePartitionCommand).rejects(awsError('InternalServiceException', 'internal error'));
    glueMock.on(GetPartitionCommand).resolves({ Partition: { StorageDescriptor: { Location: locationOf(RUN_A) } } });
    const err = await catalog.registerPartition(TABLES.dim_customer, pointer(RUN_B)).catch((e) => e);
    expect(err).toBeInstanceOf(CatalogError);
    expect(err.message).toBe(
      `cannot point Glue table ace_unit_prod.dim_customer snapshot_date=2026-03-11 at ${locationOf(RUN_B)}: InternalServiceException: internal error; it still points at ${locationOf(RUN_A)}, so Athena readers see the previous version. Rerun the job`,
    );
  });

  test('an append-only table (the run ledger) points its partition at the partition folder', async () => {
    const { glueMock, catalog } = setup();
    glueMock.on(BatchCreatePartitionCommand).resolves({});
    const runs = { ...pointer(RUN_A), table: 'runs', partitionKey: 'job', partitionValue: 'dim_customer_daily' };
    await catalog.registerPartition(TABLES.runs, runs);
    const input = glueMock.commandCalls(BatchCreatePartitionCommand)[0].args[0].input;
    expect(input.PartitionInputList?.[0].StorageDescriptor?.Location).toBe('s3://ace-lake/lake/tables/runs/job=dim_customer_daily/');
    expect(input.PartitionInputList?.[0].Values).toEqual(['dim_customer_daily']);
  });

  test('a per-partition error in BatchCreatePartition (not AlreadyExists) is read back and reported', async () => {
    const { glueMock, catalog } = setup();
    glueMock.on(BatchCreatePartitionCommand).resolves({ Errors: [{ ErrorDetail: { ErrorCode: 'InvalidInputException', ErrorMessage: 'bad location' } }] });
    glueMock.on(GetPartitionCommand).rejects(awsError('EntityNotFoundException'));
    await expect(catalog.registerPartition(TABLES.dim_customer, pointer(RUN_A))).rejects.toThrow(/InvalidInputException: bad location; it still points at nothing/);
  });
});

describe('GlueCatalog glue-crawler mode', () => {
  test('starts the table crawler and waits until READY with a successful last crawl', async () => {
    const clock = fakeClock();
    const { glueMock, catalog } = setup({ mode: 'crawler', crawlerPrefix: 'ace_', crawlerTimeoutMs: 60_000, crawlerPollMs: 1000, clock });
    glueMock.on(StartCrawlerCommand).resolves({});
    glueMock
      .on(GetCrawlerCommand)
      .resolvesOnce({ Crawler: { State: 'RUNNING' } })
      .resolvesOnce({ Crawler: { State: 'STOPPING' } })
      .resolves({ Crawler: { State: 'READY', LastCrawl: { Status: 'SUCCEEDED' } } });
    await catalog.ensureTable(TABLES.dim_customer);
    await catalog.registerPartition(TABLES.dim_customer, pointer(RUN_A));
    expect(sent(glueMock)).toEqual([
      ['StartCrawlerCommand', { Name: 'ace_dim_customer' }],
      ['GetCrawlerCommand', { Name: 'ace_dim_customer' }],
      ['GetCrawlerCommand', { Name: 'ace_dim_customer' }],
      ['GetCrawlerCommand', { Name: 'ace_dim_customer' }],
    ]);
    expect(clock.slept).toEqual([1000, 2000]);
  });

  test('a crawler that never becomes READY fails with a clear CatalogError at the timeout', async () => {
    const clock = fakeClock();
    const { glueMock, catalog } = setup({ mode: 'crawler', crawlerPrefix: 'ace_', crawlerTimeoutMs: 10_000, crawlerPollMs: 1000, clock });
    glueMock.on(StartCrawlerCommand).resolves({});
    glueMock.on(GetCrawlerCommand).resolves({ Crawler: { State: 'RUNNING' } });
    const err = await catalog.registerPartition(TABLES.dim_customer, pointer(RUN_A)).catch((e) => e);
    expect(err).toBeInstanceOf(CatalogError);
    expect(err.message).toBe(
      'Glue crawler ace_dim_customer for Glue table ace_unit_prod.dim_customer did not finish within 10 s (state RUNNING); the new partition may not be visible in Athena yet: check the crawler in the Glue console, then rerun the job (or raise ACE_GLUE_CRAWLER_TIMEOUT_SECONDS)',
    );
    expect(clock.slept).toEqual([1000, 2000, 4000, 3000]); // bounded: never past the deadline
  });

  test('a crawl already running is awaited, then ours is started; a FAILED crawl fails', async () => {
    const clock = fakeClock();
    const { glueMock, catalog } = setup({ mode: 'crawler', crawlerPrefix: 'ace_', crawlerTimeoutMs: 60_000, crawlerPollMs: 1000, clock });
    glueMock.on(StartCrawlerCommand).rejectsOnce(awsError('CrawlerRunningException')).resolves({});
    glueMock
      .on(GetCrawlerCommand)
      .resolvesOnce({ Crawler: { State: 'READY' } })
      .resolves({ Crawler: { State: 'READY', LastCrawl: { Status: 'FAILED', ErrorMessage: 'Access denied to s3://ace-lake', StartTime: new Date(clock.now() + 10_000) } } });
    await expect(catalog.registerPartition(TABLES.dim_customer, pointer(RUN_A))).rejects.toThrow('Glue crawler ace_dim_customer FAILED: Access denied to s3://ace-lake');
    expect(sent(glueMock).map(([c]) => c)).toEqual(['StartCrawlerCommand', 'GetCrawlerCommand', 'StartCrawlerCommand', 'GetCrawlerCommand']);
  });
});

describe('GlueCatalog.ensureViews', () => {
  test('runs CREATE OR REPLACE VIEW for both views in the workgroup and database', async () => {
    const athena = new AthenaClient({ region: 'us-east-1' });
    const athenaMock = mockClient(athena);
    athenaMock.on(StartQueryExecutionCommand).resolvesOnce({ QueryExecutionId: 'q1' }).resolvesOnce({ QueryExecutionId: 'q2' });
    athenaMock.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' }, StatementType: 'DDL' } });
    const runner = new AthenaRunner(athena, { workgroup: 'ace-unit-prod', database: DB, outputLocation: null, clock: fakeClock() });
    const { catalog } = setup({ athena: runner });
    await catalog.ensureViews();
    const starts = athenaMock.commandCalls(StartQueryExecutionCommand).map((c) => c.args[0].input);
    expect(starts).toEqual(
      athenaViewStatements().map(({ sql }) => ({ QueryString: sql, WorkGroup: 'ace-unit-prod', QueryExecutionContext: { Database: DB } })),
    );
  });

  test('the view SQL is the latest row per key, as in src/sql/latest.ts', () => {
    const [lookup, dim] = athenaViewStatements();
    expect(dim.sql).toBe(
      [
        'CREATE OR REPLACE VIEW "v_dim_customer" AS',
        'SELECT "client_id", "client_name", "billing_account_id", "is_test", "status", "updated_at", "run_id", "snapshot_date"',
        'FROM (',
        '  SELECT *, row_number() OVER (PARTITION BY "client_id" ORDER BY "updated_at" DESC, "snapshot_date" DESC) AS rn',
        '  FROM "dim_customer"',
        ') ranked',
        'WHERE rn = 1',
      ].join('\n'),
    );
    expect(lookup.sql).toContain(
      'PARTITION BY "experience_id" ORDER BY "updated_at" DESC, "snapshot_date" DESC, "arrival_hour" DESC, "source_file" DESC, "line_number" DESC',
    );
  });
});

describe('GlueCatalog.fromEnv', () => {
  test('needs ACE_GLUE_DATABASE and an s3:// lake', () => {
    expect(() => GlueCatalog.fromEnv({ ACE_CATALOG: 'glue', ACE_LAKE_ROOT: 's3://ace-lake/lake' })).toThrow(ConfigError);
    expect(() => GlueCatalog.fromEnv({ ACE_CATALOG: 'glue', ACE_GLUE_DATABASE: DB, ACE_LAKE_ROOT: '/tmp/lake' })).toThrow(/needs the lake on S3/);
    const catalog = GlueCatalog.fromEnv({ ACE_CATALOG: 'glue-crawler', ACE_GLUE_DATABASE: DB, ACE_LAKE_ROOT: 's3://ace-lake/lake', AWS_REGION: 'us-east-1' });
    expect(catalog.options).toMatchObject({ database: DB, lake, mode: 'crawler', crawlerPrefix: `${DB}_`, crawlerTimeoutMs: 900_000 });
  });
});
