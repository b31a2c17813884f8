/**
 * Issue 13, points 2–4: raw files as real producers write them, through the real CLI
 * (`tsx src/cli/job.ts`). Every byte of a file is accounted for; a line over 1 MiB (however long)
 * fails the job naming the file and line; CRLF reads like LF; zero-byte objects are empty files;
 * folder markers are skipped and keys that differ only by `//` or `./` are distinct files (raw on S3,
 * served by fauxqs on 127.0.0.1); ids and names over their byte limits are invalid_value.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Lake, makeLake, closeLake, writeRaw, writeRawBytes, attempt, experienceConfig, pointer, query, lineText, RawLine, expectConservation } from '../helpers/lake';
import { cli, listFiles } from './helpers';
import { Fauxqs, startFauxqs, fauxqsClient } from '../helpers/fauxqs';

const A = 'notification_attempted';
const JOB = 'notification_attempted_daily';
const D = '2026-03-10';
const MiB = 1024 * 1024;

let lake: Lake;
beforeEach(async () => {
  lake = await makeLake();
});
afterEach(async () => {
  await closeLake(lake);
});

/** Runs the job through the CLI; returns exit code, the result line's details and stderr. */
function job(args: string[] = [], env: Record<string, string> = {}, name = JOB): { status: number | null; details: Record<string, unknown>; stderr: string } {
  const r = cli(lake, 'job', [name, '--date', D, ...args], env);
  const line = r.stdout.trim().split('\n').filter(Boolean).pop();
  const details = line && r.status === 0 ? ((JSON.parse(line) as { details: Record<string, unknown> }).details ?? {}) : {};
  return { status: r.status, details, stderr: r.stderr };
}

/** The one-line error a failed CLI run printed last. */
function errorLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  const last = lines[lines.length - 1];
  try {
    return String((JSON.parse(last) as { msg?: string; err?: { message?: string } }).msg ?? last);
  } catch {
    return last;
  }
}

const ok = (id: string, over: Record<string, unknown> = {}) => attempt(id, '2026-03-10T14:00:00Z', over);
const bytesOf = (lines: RawLine[], end: string) => Buffer.from(lines.map((l) => lineText(l) + end).join(''));

const kept = () => query<{ event_id: string; line: number; file: string }>(lake, `SELECT event_id, line_number::INTEGER AS line, regexp_extract(source_file, '[^/]+$') AS file FROM ${A} ORDER BY ALL`);
const rejects = () => query<{ file: string; line: number; reason: string; field: string | null; raw_line: string }>(
  lake,
  `SELECT regexp_extract(source_file, '[^/]+$') AS file, line_number::INTEGER AS line, reason, field, raw_line FROM ${A}_rejects ORDER BY ALL`,
);

/** Nothing but the previous version (or nothing) under the table folders: a failed run published nothing. */
function expectNothingPublished(previousRun: string | null): void {
  for (const t of [A, `${A}_rejects`]) {
    expect(pointer(lake, t, 'dt', D)?.runId ?? null).toBe(previousRun);
    expect(listFiles(lake, `tables/${t}`).filter((k) => !(previousRun && k.includes(previousRun)) && !k.endsWith('_current.json'))).toEqual([]);
  }
}

describe('line ends and empty objects', () => {
  test('CRLF files (plain and gzip) read like LF ones: same rows, line numbers and rejects; a \\r is in neither the line nor its raw_line', async () => {
    const lines: RawLine[] = [ok('1'), '', '{"event_id": "a-bad"', ok('2'), '   '];
    writeRawBytes(lake, A, '2026-03-10T14', 'crlf.ndjson', bytesOf(lines, '\r\n'));
    writeRawBytes(lake, A, '2026-03-10T14', 'crlf.ndjson.gz', zlib.gzipSync(bytesOf(lines.map((l) => (typeof l === 'string' ? l : { ...l, event_id: `${l.event_id}-gz` })), '\r\n')));
    writeRawBytes(lake, A, '2026-03-10T14', 'lf.ndjson', bytesOf(lines.map((l) => (typeof l === 'string' ? l : { ...l, event_id: `${l.event_id}-lf` })), '\n'));
    const r = job([], { ACE_MAX_REJECT_RATE: '1' });
    expect(r.status).toBe(0);
    expectConservation(r.details);
    expect(r.details).toMatchObject({ lines_read: 15, blank: 6, rejected: 3, kept: 6, duplicates: 0 });
    expect(await kept()).toEqual([
      { event_id: 'a-1', line: 1, file: 'crlf.ndjson' },
      { event_id: 'a-1-gz', line: 1, file: 'crlf.ndjson.gz' },
      { event_id: 'a-1-lf', line: 1, file: 'lf.ndjson' },
      { event_id: 'a-2', line: 4, file: 'crlf.ndjson' },
      { event_id: 'a-2-gz', line: 4, file: 'crlf.ndjson.gz' },
      { event_id: 'a-2-lf', line: 4, file: 'lf.ndjson' },
    ]);
    expect((await rejects()).map((x) => [x.file, x.line, x.reason, x.raw_line])).toEqual([
      ['crlf.ndjson', 3, 'malformed_json', '{"event_id": "a-bad"'],
      ['crlf.ndjson.gz', 3, 'malformed_json', '{"event_id": "a-bad"'],
      ['lf.ndjson', 3, 'malformed_json', '{"event_id": "a-bad"'],
    ]);
  });

  test('a file mixing LF and CRLF (the first \\r past 64 KiB), and a \\r that ends no line (malformed_json, shown as ?), keep their line numbers', async () => {
    const head = Array.from({ length: 400 }, (_x, i) => ok(`h${i}`)); // ~80 KiB of LF lines
    const body = Buffer.concat([bytesOf(head, '\n'), bytesOf([ok('crlf')], '\r\n'), Buffer.from(`${JSON.stringify(ok('lone'))}\r${JSON.stringify(ok('x'))}\n`), bytesOf([ok('last')], '')]);
    writeRawBytes(lake, A, '2026-03-10T14', 'mixed.ndjson.gz', zlib.gzipSync(body));
    const r = job([], { ACE_MAX_REJECT_RATE: '1' });
    expect(r.status).toBe(0);
    expectConservation(r.details);
    expect(r.details).toMatchObject({ lines_read: 403, rejected: 1, kept: 402 });
    const rows = await kept();
    expect(rows.filter((x) => ['a-crlf', 'a-last'].includes(x.event_id)).map((x) => [x.event_id, x.line])).toEqual([['a-crlf', 401], ['a-last', 403]]);
    const [rj] = await rejects();
    expect([rj.line, rj.reason, rj.raw_line.slice(0, 200)]).toEqual([402, 'malformed_json', `${JSON.stringify(ok('lone'))}?${JSON.stringify(ok('x'))}`.slice(0, 200)]);
  });

  test('zero-byte objects (.gz and plain) are empty files, not errors; a last line without a newline is read', async () => {
    writeRawBytes(lake, A, '2026-03-10T14', 'zero.ndjson.gz', Buffer.alloc(0));
    writeRawBytes(lake, A, '2026-03-10T14', 'zero.ndjson', Buffer.alloc(0));
    writeRaw(lake, A, '2026-03-10T15', 'nonl.ndjson', [ok('1'), ok('2')], { trailingNewline: false });
    writeRaw(lake, A, '2026-03-10T15', 'nonl.ndjson.gz', [ok('3')], { trailingNewline: false });
    const r = job();
    expect(r.status).toBe(0);
    expectConservation(r.details);
    expect(r.details).toMatchObject({ files: 4, lines_read: 3, kept: 3, rejected: 0 });
  });

  test('a gzip of several members and a file starting with a byte order mark add up (checked end to end)', async () => {
    writeRawBytes(lake, A, '2026-03-10T14', 'members.ndjson.gz', Buffer.concat([zlib.gzipSync(bytesOf([ok('1')], '\n')), zlib.gzipSync(bytesOf([ok('2')], '\n'))]));
    writeRawBytes(lake, A, '2026-03-10T14', 'bom.ndjson', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytesOf([ok('3')], '\r\n')]));
    writeRawBytes(lake, A, '2026-03-10T14', 'bom-lf.ndjson.gz', zlib.gzipSync(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytesOf([ok('4'), ok('5')], '\n')])));
    const r = job();
    expect(r.status).toBe(0);
    expectConservation(r.details);
    expect(r.details).toMatchObject({ lines_read: 5, kept: 5 });
  });
});

describe('every byte accounted for; no line over 1 MiB', () => {
  const long = (id: string, bytes: number) => {
    const line = JSON.stringify(ok(id, { blob: '' }));
    return line.replace('"blob":""', `"blob":"${'x'.repeat(bytes - Buffer.byteLength(line))}"`);
  };

  test('a 2 MiB line fails the job naming the file and line; nothing is published and the previous version stays', async () => {
    writeRaw(lake, A, '2026-03-10T14', 'ok.ndjson', [ok('1')]);
    const v1 = job();
    expect(v1.status).toBe(0);
    const prev = pointer(lake, A, 'dt', D)!.runId;
    writeRaw(lake, A, '2026-03-10T15', 'big.ndjson', [ok('2'), ok('3'), long('big', 2 * MiB), ok('4')]);
    const r = job();
    expect(r.status).toBe(4);
    expect(errorLine(r.stderr)).toMatch(/^error: notification_attempted_daily 2026-03-10: line 3 of raw file \S+\/raw\/notification_attempted\/2026\/03\/10\/15\/big\.ndjson is 2097152 bytes, over the 1 MiB a line may hold/);
    expectNothingPublished(prev);
  });

  test('a 33 MiB line (longer than the reader buffer, once silently dropped) fails naming the file and line', async () => {
    writeRaw(lake, A, '2026-03-10T14', 'huge.ndjson.gz', [ok('1'), long('huge', 33 * MiB), ok('2'), ok('3')]);
    const r = job();
    expect(r.status).toBe(4);
    expect(errorLine(r.stderr)).toContain('line 2 of raw file ');
    expect(errorLine(r.stderr)).toContain('/raw/notification_attempted/2026/03/10/14/huge.ndjson.gz is 34603008 bytes');
    expectNothingPublished(null);
  });

  test('a Firehose file written without newline delimiters (records back to back) fails naming the file and line 1', async () => {
    const records = Array.from({ length: 8000 }, (_x, i) => JSON.stringify(ok(`r${i}`))).join('');
    writeRawBytes(lake, A, '2026-03-10T14', 'firehose-1.gz', zlib.gzipSync(Buffer.from(records)));
    writeRaw(lake, A, '2026-03-10T14', 'firehose-0.gz', Array.from({ length: 1000 }, (_x, i) => ok(`g${i}`)));
    const r = job();
    expect(r.status).toBe(4);
    expect(errorLine(r.stderr)).toContain('line 1 of raw file ');
    expect(errorLine(r.stderr)).toContain('/2026/03/10/14/firehose-1.gz is ');
    expect(errorLine(r.stderr)).toContain('records written without newline delimiters');
    expectNothingPublished(null);
  });

  test('a gzip whose stream ends early fails naming the file, even when its lines before the cut are whole', async () => {
    const full = zlib.gzipSync(bytesOf(Array.from({ length: 2000 }, (_x, i) => ok(`t${i}`)), '\n'));
    writeRawBytes(lake, A, '2026-03-10T14', 'cut.ndjson.gz', full.subarray(0, Math.floor(full.length / 2)));
    const r = job();
    expect(r.status).toBe(4);
    expect(errorLine(r.stderr)).toContain('/raw/notification_attempted/2026/03/10/14/cut.ndjson.gz');
    expectNothingPublished(null);
  });
});

describe('field lengths', () => {
  test('an id over 256 bytes and a name over 1024 bytes (UTF-8) are invalid_value naming the field; at the limit they are kept', async () => {
    const e256 = 'é'.repeat(128); // 256 bytes
    writeRaw(lake, A, '2026-03-10T14', 'ids.ndjson', [
      ok('1', { customer_id: e256 }),
      ok('2', { customer_id: `${e256}x` }),
      ok('3', { notification_id: 'n'.repeat(257), customer_id: 'c'.repeat(5000) }),
    ]);
    const r = job([], { ACE_MAX_REJECT_RATE: '1' });
    expect(r.status).toBe(0);
    expectConservation(r.details);
    expect(r.details).toMatchObject({ kept: 1, rejected: 2 });
    expect((await rejects()).map((x) => [x.line, x.reason, x.field])).toEqual([
      [2, 'invalid_value', 'customer_id'],
      [3, 'invalid_value', 'notification_id'],
    ]);

    const name1024 = 'n'.repeat(1024);
    writeRaw(lake, 'experience_config', '2026-03-10T14', 'cfg.ndjson', [
      experienceConfig('e1', '2026-03-10T14:00:00Z', { experience_name: name1024 }),
      experienceConfig('e2', '2026-03-10T14:00:00Z', { outcome_name: `${name1024}x` }),
      experienceConfig('e3', '2026-03-10T14:00:00Z', { outcome_id: 'o'.repeat(257) }),
    ]);
    const c = job([], { ACE_MAX_REJECT_RATE: '1' }, 'outcome_experience_lookup_daily');
    expect(c.status).toBe(0);
    expectConservation(c.details);
    expect(await query(lake, `SELECT line_number::INTEGER AS line, reason, field FROM experience_config_rejects ORDER BY line`)).toEqual([
      { line: 2, reason: 'invalid_value', field: 'outcome_name' },
      { line: 3, reason: 'invalid_value', field: 'outcome_id' },
    ]);
  });
});

describe('raw input on S3 (fauxqs)', () => {
  const BUCKET = 'ace-raw-files';
  let server: Fauxqs;
  let client: S3Client;
  const env = () => ({
    ACE_RAW_ROOT: `s3://${BUCKET}/landing`,
    AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${server.port}`,
    ACE_S3_FORCE_PATH_STYLE: 'true',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    ACE_SCRATCH_DIR: path.join(lake.root, '_scratch_s3'),
  });
  beforeAll(async () => {
    server = await startFauxqs();
    client = fauxqsClient(server.port);
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  });
  afterAll(async () => {
    client?.destroy();
    await server?.stop();
  });
  const put = (key: string, body: Buffer | string) => client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `landing/${key}`, Body: body }));

  test('a folder marker is skipped; keys differing only by // or ./ are three files; zero-byte objects are empty', async () => {
    const hour = 'notification_attempted/2026/03/10/14';
    await put(`${hour}/`, ''); // what the S3 console's "Create folder" writes
    await put(`${hour}/a.ndjson`, bytesOf([ok('1')], '\n'));
    await put(`${hour}//a.ndjson`, bytesOf([ok('2')], '\n'));
    await put(`${hour}/./a.ndjson`, bytesOf([ok('3')], '\r\n'));
    await put(`${hour}/./b.ndjson.gz`, zlib.gzipSync(bytesOf([ok('4')], '\r\n')));
    await put(`${hour}/zero.gz`, Buffer.alloc(0));
    const r = job([], env());
    expect(r.status).toBe(0);
    expectConservation(r.details);
    expect(r.details).toMatchObject({ files: 5, lines_read: 4, kept: 4 });
    expect((await query<{ event_id: string; source_file: string }>(lake, `SELECT event_id, source_file FROM ${A} ORDER BY event_id`))).toEqual([
      { event_id: 'a-1', source_file: `raw/${hour}/a.ndjson` },
      { event_id: 'a-2', source_file: `raw/${hour}//a.ndjson` },
      { event_id: 'a-3', source_file: `raw/${hour}/./a.ndjson` },
      { event_id: 'a-4', source_file: `raw/${hour}/./b.ndjson.gz` },
    ]);
  });

  test('a remote lake is read in batches while the next downloads: rows, line numbers, rejects and counts equal the local read', async () => {
    // Eight files of about equal size (four batches): a CRLF file and one with invalid UTF-8 (refused by
    // the reader) in later batches, and a gzip last.
    const files: [string, string, Buffer][] = [];
    for (let i = 0; i < 8; i++) {
      const hour = `2026-03-10T${String(10 + (i >> 1)).padStart(2, '0')}`;
      const lines: RawLine[] = [ok(`${i}-1`), '{"event_id": "bad"', ok(`${i}-2`), '', ok(`${i}-3`)];
      let bytes = bytesOf(lines, i === 5 ? '\r\n' : '\n');
      if (i === 6) bytes = Buffer.concat([bytesOf(lines.slice(0, 2), '\n'), Buffer.from([0x7b, 0xff, 0xfe, 0x7d, 0x0a]), bytesOf(lines.slice(2), '\n')]);
      const name = i === 7 ? `f${i}.ndjson.gz` : `f${i}.ndjson`;
      files.push([hour, name, i === 7 ? zlib.gzipSync(bytes) : bytes]);
    }
    for (const [hour, name, bytes] of files) writeRawBytes(lake, A, hour, name, bytes);
    const local = job([], { ACE_MAX_REJECT_RATE: '1' });
    expect(local.status).toBe(0);
    const expected = { kept: await kept(), rejects: await rejects() };
    expect(expected.rejects.filter((r) => r.file === 'f6.ndjson').map((r) => [r.line, r.reason])).toEqual([[2, 'malformed_json'], [3, 'malformed_json']]);
    // Under a raw root of its own: the other S3 tests' objects are not in this window.
    for (const [hour, name, bytes] of files) {
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `batches/${A}/${hour.slice(0, 10).replace(/-/g, '/')}/${hour.slice(11)}/${name}`, Body: bytes }));
    }
    fs.rmSync(path.join(lake.root, 'raw'), { recursive: true, force: true });
    const remote = job(['--force'], { ...env(), ACE_RAW_ROOT: `s3://${BUCKET}/batches`, ACE_MAX_REJECT_RATE: '1' });
    expect(remote.status).toBe(0);
    expect(remote.stderr).toMatch(/read 8 raw files in 4 batches/);
    expect(local.stderr).not.toMatch(/batches/);
    expectConservation(remote.details);
    const { reject_rate: _a, anomalies: _b, ...counts } = local.details;
    expect(remote.details).toMatchObject(counts);
    expect(await kept()).toEqual(expected.kept);
    expect(await rejects()).toEqual(expected.rejects);
  });
});

void fs;
