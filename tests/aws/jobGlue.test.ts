/**
 * A whole job against the Glue catalog: dim_customer_daily on a local lake with GlueCatalog (mocked
 * Glue client) as its catalog. The requests are exactly: the table checked and created, then the
 * partition pointed at this run's folder, the one the pointer names.
 */
import fs from 'node:fs';
import path from 'node:path';
import { mockClient } from 'aws-sdk-client-mock';
import { BatchCreatePartitionCommand, CreateTableCommand, GetTableCommand, GlueClient, UpdatePartitionCommand } from '@aws-sdk/client-glue';
import { GlueCatalog } from '../../src/catalog/glue/glueCatalog';
import { tableInput } from '../../src/catalog/glue/schema';
import { TABLES } from '../../src/rules/tables';
import { Lake, closeLake, makeLake, run } from '../helpers/lake';
import { awsError, sent } from './sdk';

const lakeLocation = { bucket: 'ace-lake', prefix: 'lake' };
let lake: Lake | undefined;

afterEach(async () => closeLake(lake));

test('dim_customer_daily publishes, then a rerun repoints the Glue partition to its own run folder', async () => {
  lake = await makeLake();
  fs.mkdirSync(path.join(lake.root, 'warehouse'), { recursive: true });
  fs.writeFileSync(
    path.join(lake.root, 'warehouse', 'dim_customer.csv'),
    'client_id,client_name,billing_account_id,is_test,status,updated_at\nc1,Bank One,BA-1,false,active,2026-03-01 12:00:00\n',
  );
  const glue = new GlueClient({ region: 'us-east-1' });
  const glueMock = mockClient(glue);
  lake.services.catalog = new GlueCatalog(glue, { database: 'ace_unit_test', lake: lakeLocation, mode: 'tables' });
  glueMock.on(GetTableCommand).rejects(awsError('EntityNotFoundException'));
  glueMock.on(CreateTableCommand).resolves({});
  glueMock.on(BatchCreatePartitionCommand).resolvesOnce({}).resolves({ Errors: [{ ErrorDetail: { ErrorCode: 'AlreadyExistsException' } }] });
  glueMock.on(UpdatePartitionCommand).resolves({});

  const first = await run(lake, 'dim_customer_daily', { date: '2026-03-11', flags: { force: true } });
  const second = await run(lake, 'dim_customer_daily', { date: '2026-03-11', flags: { force: true } });
  const location = (runId: string) => `s3://ace-lake/lake/tables/dim_customer/snapshot_date=2026-03-11/run=${runId}/`;

  const all = sent(glueMock);
  // Every run also appends to the run ledger: its partition job=<job> is registered once per process.
  const ledger = all.filter(([, input]) => (input as { TableName?: string }).TableName === 'runs');
  expect(ledger.map(([c]) => c)).toEqual(['BatchCreatePartitionCommand']);
  expect((ledger[0][1] as { PartitionInputList: { Values: string[]; StorageDescriptor: { Location: string } }[] }).PartitionInputList[0]).toMatchObject({
    Values: ['dim_customer_daily'],
    StorageDescriptor: { Location: 's3://ace-lake/lake/tables/runs/job=dim_customer_daily/' },
  });
  const calls = all.filter(([, input]) => (input as { TableName?: string }).TableName !== 'runs');
  // The table is checked once per process (same catalog instance for both runs).
  expect(calls.map(([c]) => c)).toEqual(['GetTableCommand', 'CreateTableCommand', 'BatchCreatePartitionCommand', 'BatchCreatePartitionCommand', 'UpdatePartitionCommand']);
  expect(calls[1][1]).toEqual({ DatabaseName: 'ace_unit_test', TableInput: tableInput(TABLES.dim_customer, lakeLocation) });
  const created = calls[2][1] as { PartitionInputList: { Values: string[]; StorageDescriptor: { Location: string }; Parameters: Record<string, string> }[] };
  expect(created.PartitionInputList[0].Values).toEqual(['2026-03-11']);
  expect(created.PartitionInputList[0].StorageDescriptor.Location).toBe(location(first.runId));
  expect(created.PartitionInputList[0].Parameters).toMatchObject({ 'ace.run_id': first.runId, 'ace.rows': '1' });
  const updated = calls[4][1] as { PartitionValueList: string[]; PartitionInput: { StorageDescriptor: { Location: string } } };
  expect(updated.PartitionValueList).toEqual(['2026-03-11']);
  expect(updated.PartitionInput.StorageDescriptor.Location).toBe(location(second.runId));
  // The Glue location is the folder the pointer names.
  const current = JSON.parse(fs.readFileSync(path.join(lake.root, 'tables/dim_customer/snapshot_date=2026-03-11/_current.json'), 'utf8'));
  expect(current.runId).toBe(second.runId);
  expect(current.files.every((f: string) => f.startsWith(`tables/dim_customer/snapshot_date=2026-03-11/run=${second.runId}/`))).toBe(true);
});
