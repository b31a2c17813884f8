/** The Athena query engine at the SDK boundary: start in the workgroup, poll with backoff, paginated results, failure reason. */
import { mockClient } from 'aws-sdk-client-mock';
import { AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, StartQueryExecutionCommand, StopQueryExecutionCommand } from '@aws-sdk/client-athena';
import { AthenaRunner, athenaValue } from '../../src/aws/athena';
import { AthenaQueryEngine } from '../../src/query/athena';
import { loadConfig } from '../../src/config/config';
import { formatRows } from '../../src/cli/format';
import { CatalogError, ConfigError } from '../../src/errors';
import { fakeClock, sent } from './sdk';

const cols = [
  { Name: 'client_id', Type: 'varchar' },
  { Name: 'ace_units', Type: 'bigint' },
  { Name: 'is_billable', Type: 'boolean' },
];
const row = (...v: (string | undefined)[]) => ({ Data: v.map((x) => (x === undefined ? {} : { VarCharValue: x })) });

function setup(outputLocation: string | null = 's3://results/athena/') {
  const client = new AthenaClient({ region: 'us-east-1' });
  const mock = mockClient(client);
  const clock = fakeClock();
  const runner = new AthenaRunner(client, { workgroup: 'ace-unit-prod', database: 'ace_unit_prod', outputLocation, clock, timeoutMs: 60_000 });
  return { mock, clock, runner };
}

test('start in the workgroup and database, poll with backoff, follow NextToken, drop the header row', async () => {
  const { mock, clock, runner } = setup();
  mock.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
  mock
    .on(GetQueryExecutionCommand)
    .resolvesOnce({ QueryExecution: { Status: { State: 'QUEUED' } } })
    .resolvesOnce({ QueryExecution: { Status: { State: 'RUNNING' } } })
    .resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' }, StatementType: 'DML' } });
  mock
    .on(GetQueryResultsCommand, { QueryExecutionId: 'q-1', MaxResults: 1000, NextToken: undefined })
    .resolves({ ResultSet: { ResultSetMetadata: { ColumnInfo: cols }, Rows: [row('client_id', 'ace_units', 'is_billable'), row('c1', '12', 'true')] }, NextToken: 't2' })
    .on(GetQueryResultsCommand, { QueryExecutionId: 'q-1', MaxResults: 1000, NextToken: 't2' })
    .resolves({ ResultSet: { ResultSetMetadata: { ColumnInfo: cols }, Rows: [row('c2', '9007199254740993', undefined)] } });

  const result = await runner.query('SELECT client_id, ace_units, is_billable FROM x');
  expect(sent(mock)).toEqual([
    [
      'StartQueryExecutionCommand',
      {
        QueryString: 'SELECT client_id, ace_units, is_billable FROM x',
        WorkGroup: 'ace-unit-prod',
        QueryExecutionContext: { Database: 'ace_unit_prod' },
        ResultConfiguration: { OutputLocation: 's3://results/athena/' },
      },
    ],
    ['GetQueryExecutionCommand', { QueryExecutionId: 'q-1' }],
    ['GetQueryExecutionCommand', { QueryExecutionId: 'q-1' }],
    ['GetQueryExecutionCommand', { QueryExecutionId: 'q-1' }],
    ['GetQueryResultsCommand', { QueryExecutionId: 'q-1', MaxResults: 1000, NextToken: undefined }],
    ['GetQueryResultsCommand', { QueryExecutionId: 'q-1', MaxResults: 1000, NextToken: 't2' }],
  ]);
  expect(clock.slept).toEqual([250, 500]);
  expect(result.rows).toEqual([
    { client_id: 'c1', ace_units: 12, is_billable: true },
    { client_id: 'c2', ace_units: '9007199254740993', is_billable: null },
  ]);
  expect(formatRows(result.rows, 'csv', result.columns.map((c) => c.name))).toBe('client_id,ace_units,is_billable\nc1,12,true\nc2,9007199254740993,\n');
});

test('a failed query fails with Athena StateChangeReason', async () => {
  const { mock, runner } = setup(null);
  mock.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-2' });
  mock.on(GetQueryExecutionCommand).resolves({
    QueryExecution: { Status: { State: 'FAILED', StateChangeReason: "COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved" } },
  });
  const err = await runner.query('SELECT nope FROM x').catch((e) => e);
  expect(err).toBeInstanceOf(CatalogError);
  expect(err.message).toBe("Athena query q-2 FAILED: COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved");
  // Without ACE_ATHENA_OUTPUT the workgroup's results location applies.
  expect(mock.commandCalls(StartQueryExecutionCommand)[0].args[0].input).toEqual({
    QueryString: 'SELECT nope FROM x',
    WorkGroup: 'ace-unit-prod',
    QueryExecutionContext: { Database: 'ace_unit_prod' },
  });
  expect(mock.commandCalls(GetQueryResultsCommand)).toHaveLength(0);
});

test('a query still running at the timeout is stopped', async () => {
  const { mock, runner } = setup();
  mock.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-3' });
  mock.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'RUNNING' } } });
  mock.on(StopQueryExecutionCommand).resolves({});
  await expect(runner.query('SELECT 1')).rejects.toThrow('Athena query q-3 still RUNNING after 60 s; it was stopped');
  expect(mock.commandCalls(StopQueryExecutionCommand).map((c) => c.args[0].input)).toEqual([{ QueryExecutionId: 'q-3' }]);
});

test('a utility statement (SHOW TABLES) has no header row: its first row is kept', async () => {
  const { mock, runner } = setup();
  mock.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-4' });
  mock.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' }, StatementType: 'UTILITY' } });
  mock.on(GetQueryResultsCommand).resolves({ ResultSet: { ResultSetMetadata: { ColumnInfo: [{ Name: 'tab_name', Type: 'string' }] }, Rows: [row('ace_unit_agg'), row('dim_customer')] } });
  expect((await runner.query('SHOW TABLES')).rows).toEqual([{ tab_name: 'ace_unit_agg' }, { tab_name: 'dim_customer' }]);
});

test.each([
  ['integer', '7', 7],
  ['double', '1.5', 1.5],
  ['boolean', 'false', false],
  ['date', '2026-03-11', '2026-03-11'],
  ['timestamp', '2026-03-11 04:00:00.000', '2026-03-11 04:00:00.000'],
  ['decimal(10,2)', '1.10', '1.10'],
  ['varchar', undefined, null],
])('athenaValue(%s, %j)', (type, text, value) => expect(athenaValue(type, text)).toEqual(value));

test('AthenaQueryEngine.fromConfig uses ACE_GLUE_DATABASE, ACE_ATHENA_WORKGROUP and ACE_ATHENA_OUTPUT', async () => {
  expect(() => AthenaQueryEngine.fromConfig(loadConfig({}))).toThrow(ConfigError);
  const client = new AthenaClient({ region: 'us-east-1' });
  const mock = mockClient(client);
  mock.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-5' });
  mock.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' }, StatementType: 'DML' } });
  mock.on(GetQueryResultsCommand).resolves({ ResultSet: { ResultSetMetadata: { ColumnInfo: [{ Name: 'n', Type: 'bigint' }] }, Rows: [row('n'), row('3')] } });
  const engine = AthenaQueryEngine.fromConfig(
    loadConfig({ ACE_GLUE_DATABASE: 'ace_unit_dev', ACE_ATHENA_WORKGROUP: 'ace-unit-dev', ACE_ATHENA_OUTPUT: 's3://r/q/' }),
    client,
  );
  expect(await engine.run('SELECT count(*) AS n FROM dim_customer')).toEqual({ columns: ['n'], rows: [{ n: 3 }] });
  expect(mock.commandCalls(StartQueryExecutionCommand)[0].args[0].input).toEqual({
    QueryString: 'SELECT count(*) AS n FROM dim_customer',
    WorkGroup: 'ace-unit-dev',
    QueryExecutionContext: { Database: 'ace_unit_dev' },
    ResultConfiguration: { OutputLocation: 's3://r/q/' },
  });
});
