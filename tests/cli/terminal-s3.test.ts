/**
 * Issue 15 §5: the run log goes through the ObjectStore, so a pipeline on an S3 lake writes it to the
 * bucket (`<prefix>/_logs/<yyyy-mm-dd>/<run-id>.jsonl`), also when the command fails. The real CLI runs
 * against fauxqs (an S3-API server on 127.0.0.1, tests/helpers/fauxqs.ts).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { REPO, TSX, cliEnv } from '../reliability/helpers';
import { Fauxqs, startFauxqs, fauxqsClient } from '../helpers/fauxqs';

jest.setTimeout(300_000);

const BUCKET = 'ace-term-logs';
let server: Fauxqs | undefined;
let client: S3Client;
let tmp: string;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ace-term-s3-'));
  fs.writeFileSync(path.join(tmp, 'aws-empty'), '');
  server = await startFauxqs();
  client = fauxqsClient(server.port);
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

afterAll(async () => {
  client?.destroy();
  await server?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('a pipeline run on an S3 lake writes its JSON log to the bucket under _logs/, even when it fails', async () => {
  const r = spawnSync(TSX, [path.join(REPO, 'src/cli/pipeline.ts'), 'monthly', '--month', '2026-03'], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 240_000,
    env: cliEnv(tmp, {
      ACE_LAKE_ROOT: `s3://${BUCKET}/lake`,
      AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${server!.port}`,
      ACE_S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: 'us-east-1',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: path.join(tmp, 'aws-empty'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(tmp, 'aws-empty'),
      ACE_SCRATCH_DIR: path.join(tmp, 'scratch'),
      ACE_WAREHOUSE_URL: `file://${path.join(tmp, 'dim_customer.csv')}`,
    }),
  });
  // Nothing was computed for the month: the monthly jobs fail, naming it.
  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(/error: ace_unit_monthly_output 2026-03 failed: /);
  const listed = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'lake/_logs/' }));
  const keys = (listed.Contents ?? []).map((o) => o.Key!);
  expect(keys).toEqual([expect.stringMatching(/^lake\/_logs\/\d{4}-\d{2}-\d{2}\/\d{8}T\d{9}Z-[0-9a-f]{8}\.jsonl$/)]);
  const body = await (await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: keys[0] }))).Body!.transformToString();
  const log = body.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  expect(log[0]).toMatchObject({ event: 'cli.run', command: 'pipeline', argv: ['monthly', '--month', '2026-03'] });
  // The same JSON lines stderr got (it is a pipe here).
  expect(log.slice(1)).toEqual(r.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)));
  expect(log.filter((o) => o.event === 'job.failed').length).toBeGreaterThan(0);
});
