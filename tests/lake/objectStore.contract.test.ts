/**
 * One contract for the ObjectStore port, run against every adapter: the local folder and S3.
 * S3 runs against fauxqs (an in-memory S3-API server) started by this test on 127.0.0.1;
 * nothing here reaches the network beyond the loopback interface.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { ObjectStore, PreconditionFailedError } from '../../src/lake/objectStore.js';
import { LocalObjectStore } from '../../src/lake/local/localObjectStore.js';
import { S3ObjectStore } from '../../src/lake/s3/s3ObjectStore.js';
import { publishPartition, readPointer, Pointer } from '../../src/lake/publish.js';
import { TABLES } from '../../src/rules/tables.js';
import { StorageError } from '../../src/errors.js';
import { openStore } from '../../src/run/services.js';
import { Fauxqs, startFauxqs } from '../helpers/fauxqs';
import { sent } from '../aws/sdk';

interface Harness {
  store: ObjectStore;
  /** Removes what the store wrote. */
  cleanup(): Promise<void>;
  /** Makes a folder marker for a key ending in '/': an empty folder locally, a zero-byte object with that key on S3. */
  folderMarker(key: string): Promise<void>;
  /** Writes an object under a key kept byte for byte (S3 only: a local folder cannot hold `a//b` or `a/./b` apart from `a/b`). */
  putVerbatim?(key: string, body: string): Promise<void>;
}

/** Runs `fn` over `items` with at most `limit` in flight. */
async function each<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

const pointersSeen: Record<string, Pointer> = {};

function objectStoreContract(name: string, make: () => Promise<Harness>, extra?: { firstListPage?: (prefix: string) => Promise<{ truncated: boolean }> }): void {
  describe(`ObjectStore contract: ${name}`, () => {
    let h: Harness;
    let store: ObjectStore;
    let tmp: string;

    beforeAll(async () => {
      h = await make();
      store = h.store;
      tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'ace-contract-src-'));
    });

    afterAll(async () => {
      await h?.cleanup();
      if (tmp) await fsp.rm(tmp, { recursive: true, force: true });
    });

    test('writeText then readText returns the same text (UTF-8), and a rewrite replaces it', async () => {
      const body = JSON.stringify({ hello: 'wörld ✓', n: 1 });
      await store.writeText('rw/a.json', body);
      expect(await store.readText('rw/a.json')).toBe(body);
      await store.writeText('rw/a.json', 'second');
      expect(await store.readText('rw/a.json')).toBe('second');
    });

    test('readText of a missing key is null', async () => {
      expect(await store.readText('missing/nothing-here.json')).toBeNull();
      expect(await store.readText('rw/not-there.json')).toBeNull();
    });

    test('list(prefix) returns only that prefix, sorted by key bytewise, with size and version', async () => {
      const keys = ['ls/p/b.txt', 'ls/p/B.txt', 'ls/p/a/z.txt', 'ls/p/a.txt', 'ls/p/_current.json', 'ls/q/x.txt', 'ls/p-other/y.txt'];
      for (const k of keys) await store.writeText(k, `body of ${k}`);
      const listed = await store.list('ls/p/');
      expect(listed.map((o) => o.key)).toEqual(['ls/p/B.txt', 'ls/p/_current.json', 'ls/p/a.txt', 'ls/p/a/z.txt', 'ls/p/b.txt']);
      for (const o of listed) {
        expect(o.size).toBe(Buffer.byteLength(`body of ${o.key}`));
        expect(typeof o.version).toBe('string');
        expect(o.version.length).toBeGreaterThan(0);
      }
      expect((await store.list('ls/')).map((o) => o.key)).toEqual([...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
      expect(await store.list('ls/none/')).toEqual([]);
      expect(await store.list('no-such-top/')).toEqual([]);
    });

    test('list returns more than 1000 objects (pagination)', async () => {
      const n = 1005;
      const keys = Array.from({ length: n }, (_, i) => `many/k-${String(i).padStart(5, '0')}.txt`);
      await each(keys, 32, (k) => store.writeText(k, 'x'));
      if (extra?.firstListPage) expect((await extra.firstListPage('many/')).truncated).toBe(true);
      const listed = await store.list('many/');
      expect(listed).toHaveLength(n);
      expect(listed.map((o) => o.key)).toEqual(keys);
    });

    test('putFile then localPaths round-trips the bytes, and the local source is consumed', async () => {
      const bytes = crypto.randomBytes(256 * 1024 + 17);
      const small = Buffer.from('PAR1 tiny');
      const src1 = path.join(tmp, 'one.parquet');
      const src2 = path.join(tmp, 'two.parquet');
      await fsp.writeFile(src1, bytes);
      await fsp.writeFile(src2, small);
      await store.putFile(src1, 'files/run=r1/part-00000.parquet');
      await store.putFile(src2, 'files/run=r1/part-00001.parquet');
      expect(fs.existsSync(src1)).toBe(false);
      expect(fs.existsSync(src2)).toBe(false);
      const scratch = await store.scratchDir(`contract-${crypto.randomBytes(4).toString('hex')}`);
      expect(fs.statSync(scratch).isDirectory()).toBe(true);
      const keys = ['files/run=r1/part-00001.parquet', 'files/run=r1/part-00000.parquet'];
      const locals = await store.localPaths(keys, scratch);
      expect(locals).toHaveLength(2);
      expect(locals.every((p, i) => path.isAbsolute(p) && path.basename(p).endsWith(path.posix.basename(keys[i])))).toBe(true);
      expect(Buffer.compare(await fsp.readFile(locals[0]), small)).toBe(0);
      expect(Buffer.compare(await fsp.readFile(locals[1]), bytes)).toBe(0);
      expect((await store.list('files/')).map((o) => [o.key, o.size])).toEqual([
        ['files/run=r1/part-00000.parquet', bytes.length],
        ['files/run=r1/part-00001.parquet', small.length],
      ]);
      await fsp.rm(scratch, { recursive: true, force: true });
    });

    test('list skips folder markers (keys ending in /); localPaths gives each key its own file, keeping its extension', async () => {
      await store.writeText('mk/2026/03/03/17/a.ndjson', 'first');
      await store.writeText('mk/2026/03/03/17/b.ndjson.gz', 'second');
      await h.folderMarker('mk/2026/03/03/17/');
      await h.folderMarker('mk/2026/03/03/18/');
      const listed = (await store.list('mk/')).map((o) => o.key);
      const verbatim = ['mk/2026/03/03/17//a.ndjson', 'mk/2026/03/03/17/./a.ndjson'];
      if (h.putVerbatim) for (const [i, k] of verbatim.entries()) await h.putVerbatim(k, `verbatim ${i}`);
      const keys = h.putVerbatim ? [...verbatim, 'mk/2026/03/03/17/a.ndjson', 'mk/2026/03/03/17/b.ndjson.gz'] : ['mk/2026/03/03/17/a.ndjson', 'mk/2026/03/03/17/b.ndjson.gz'];
      expect(listed).toEqual(['mk/2026/03/03/17/a.ndjson', 'mk/2026/03/03/17/b.ndjson.gz']);
      expect((await store.list('mk/')).map((o) => o.key)).toEqual([...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
      const scratch = await store.scratchDir(`contract-mk-${crypto.randomBytes(4).toString('hex')}`);
      const locals = await store.localPaths(keys, scratch);
      expect(new Set(locals).size).toBe(keys.length);
      expect(locals[keys.indexOf('mk/2026/03/03/17/b.ndjson.gz')].endsWith('.gz')).toBe(true);
      const bodies = await Promise.all(locals.map((p) => fsp.readFile(p, 'utf8')));
      expect(bodies).toEqual(h.putVerbatim ? ['verbatim 0', 'verbatim 1', 'first', 'second'] : ['first', 'second']);
      await fsp.rm(scratch, { recursive: true, force: true });
    });

    test('putFile of a file larger than one upload part (multipart on S3) round-trips the bytes', async () => {
      const big = crypto.randomBytes(17 * 1024 * 1024 + 3);
      const src = path.join(tmp, 'big.parquet');
      await fsp.writeFile(src, big);
      await store.putFile(src, 'files/run=big/part-00000.parquet');
      expect(fs.existsSync(src)).toBe(false);
      const scratch = await store.scratchDir(`contract-big-${crypto.randomBytes(4).toString('hex')}`);
      const [local] = await store.localPaths(['files/run=big/part-00000.parquet'], scratch);
      expect(crypto.createHash('sha256').update(await fsp.readFile(local)).digest('hex')).toBe(crypto.createHash('sha256').update(big).digest('hex'));
      await fsp.rm(scratch, { recursive: true, force: true });
      await store.deletePrefix('files/run=big/');
    });

    test('deletePrefix removes every object under the prefix and nothing else', async () => {
      for (const k of ['del/a.txt', 'del/sub/b.txt', 'del/sub/deep/c.txt', 'del-keep/d.txt', 'keep/e.txt']) await store.writeText(k, k);
      await store.deletePrefix('del/');
      expect(await store.list('del/')).toEqual([]);
      expect(await store.readText('del/a.txt')).toBeNull();
      expect(await store.readText('del-keep/d.txt')).toBe('del-keep/d.txt');
      expect(await store.readText('keep/e.txt')).toBe('keep/e.txt');
      await store.deletePrefix('never-existed/');
    });

    test('deletePrefix handles more than 1000 objects', async () => {
      await store.deletePrefix('many/');
      expect(await store.list('many/')).toEqual([]);
    });

    describe('conditional writes (the publish lock and the pointers rely on them)', () => {
      const failed = (p: Promise<unknown>) => expect(p).rejects.toBeInstanceOf(PreconditionFailedError);

      test('createIfAbsent creates the object whole and returns its etag; a second create fails as a precondition and changes nothing', async () => {
        expect(await store.readVersioned('cond/c.json')).toBeNull();
        const etag = await store.createIfAbsent('cond/c.json', '{"n":1}');
        expect(await store.readVersioned('cond/c.json')).toEqual({ body: '{"n":1}', etag });
        await failed(store.createIfAbsent('cond/c.json', '{"n":2}'));
        expect(await store.readVersioned('cond/c.json')).toEqual({ body: '{"n":1}', etag });
        expect((await store.list('cond/')).map((o) => o.key)).toEqual(['cond/c.json']); // no temp file shows
      });

      test('replaceIfMatch replaces only the version it names; a stale etag or a missing key fails as a precondition', async () => {
        const e1 = await store.createIfAbsent('cond/r.json', 'one');
        const e2 = await store.replaceIfMatch('cond/r.json', 'two', e1);
        expect(e2).not.toBe(e1);
        expect(await store.readVersioned('cond/r.json')).toEqual({ body: 'two', etag: e2 });
        await failed(store.replaceIfMatch('cond/r.json', 'three', e1));
        expect((await store.readVersioned('cond/r.json'))?.body).toBe('two');
        await failed(store.replaceIfMatch('cond/missing.json', 'x', e2));
        expect(await store.readVersioned('cond/missing.json')).toBeNull();
        // An unconditional rewrite also moves the etag, so a holder of the old one cannot overwrite it.
        await store.writeText('cond/r.json', 'rewritten');
        await failed(store.replaceIfMatch('cond/r.json', 'late', e2));
        expect(await store.readText('cond/r.json')).toBe('rewritten');
      });

      test('deleteIfMatch deletes only the version it names; a stale etag or a missing key fails as a precondition', async () => {
        const e1 = await store.createIfAbsent('cond/d.json', 'mine');
        const e2 = await store.replaceIfMatch('cond/d.json', 'theirs', e1);
        await failed(store.deleteIfMatch('cond/d.json', e1));
        expect((await store.readVersioned('cond/d.json'))?.body).toBe('theirs');
        await store.deleteIfMatch('cond/d.json', e2);
        expect(await store.readVersioned('cond/d.json')).toBeNull();
        await failed(store.deleteIfMatch('cond/d.json', e2));
      });

      test('of 8 concurrent creates, or 8 concurrent replaces of the same version, exactly one wins', async () => {
        const creates = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => store.createIfAbsent('cond/race.json', `creator ${i}`)));
        expect(creates.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        for (const r of creates) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(PreconditionFailedError);
        const base = (await store.readVersioned('cond/race.json'))!;
        expect(base.body).toBe(`creator ${creates.findIndex((r) => r.status === 'fulfilled')}`);
        const replaces = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => store.replaceIfMatch('cond/race.json', `replacer ${i}`, base.etag)));
        const won = replaces.findIndex((r) => r.status === 'fulfilled');
        expect(replaces.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        for (const r of replaces) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(PreconditionFailedError);
        expect(await store.readVersioned('cond/race.json')).toEqual({ body: `replacer ${won}`, etag: (replaces[won] as PromiseFulfilledResult<string>).value });
      });

      test('a pointer swap is conditional: publishing against a pointer that moved since the run started publishing does not overwrite a newer run', async () => {
        const table = TABLES.notification_attempted_rejects;
        const f1 = path.join(tmp, 'p1.parquet');
        const f2 = path.join(tmp, 'p2.parquet');
        await fsp.writeFile(f1, 'PAR1 one');
        await fsp.writeFile(f2, 'PAR1 two');
        const key = 'tables/notification_attempted_rejects/dt=2024-05-01/_current.json';
        await publishPartition(store, { table, value: '2024-05-01', files: [f1], rows: 1 }, '20240501T000000000Z-older', { expectedEtag: null });
        const seenByOlder = (await store.readVersioned(key))!.etag;
        await publishPartition(store, { table, value: '2024-05-01', files: [f2], rows: 1 }, '20240501T000001000Z-newer', { expectedEtag: seenByOlder });
        const f3 = path.join(tmp, 'p3.parquet');
        await fsp.writeFile(f3, 'PAR1 three');
        // The older run publishes again against the etag it saw before the newer run: it is superseded.
        await expect(publishPartition(store, { table, value: '2024-05-01', files: [f3], rows: 1 }, '20240501T000000000Z-older', { expectedEtag: seenByOlder })).rejects.toThrow(/superseded: run 20240501T000001000Z-newer/);
        expect((await readPointer(store, table, '2024-05-01'))?.runId).toBe('20240501T000001000Z-newer');
      });
    });

    test('publishPartition then readPointer returns the published pointer', async () => {
      const table = TABLES.notification_attempted_rejects;
      const f = path.join(tmp, 'staged.parquet');
      await fsp.writeFile(f, Buffer.from('PAR1 staged bytes PAR1'));
      const published = await publishPartition(store, { table, value: '2024-03-01', files: [f], rows: 3, fingerprint: 'fp-1', meta: { as_of_date: '2024-03-01' } }, 'run-contract-1');
      const read = await readPointer(store, table, '2024-03-01');
      expect(read).toEqual(published);
      expect(read?.files).toEqual(['tables/notification_attempted_rejects/dt=2024-03-01/run=run-contract-1/part-00000.parquet']);
      expect(await store.readText('tables/notification_attempted_rejects/dt=2024-03-01/run=run-contract-1/_manifest.json')).not.toBeNull();
      expect(await readPointer(store, table, '2024-03-02')).toBeNull();
      pointersSeen[name] = read!;
    });

    test('publishPartition copies parts already in the lake (shard parts) into the version, and they stay when the originals go', async () => {
      const table = TABLES.notification_attempted_rejects;
      const parts = ['_shards/j/2024-03-09/n=2/k=0/run=r0/rejects.parquet', '_shards/j/2024-03-09/n=2/k=1/run=r1/rejects.parquet'];
      for (const [i, key] of parts.entries()) {
        const f = path.join(tmp, `part-${i}.parquet`);
        await fsp.writeFile(f, `PAR1 part ${i} PAR1`);
        await store.putFile(f, key);
      }
      const p = await publishPartition(store, { table, value: '2024-03-09', files: [], lakeFiles: parts, rows: 2 }, 'run-contract-parts');
      expect(p.files).toEqual([0, 1].map((i) => `tables/notification_attempted_rejects/dt=2024-03-09/run=run-contract-parts/part-0000${i}.parquet`));
      await store.deletePrefix('_shards/j/');
      const scratch = await store.scratchDir(`contract-parts-${crypto.randomBytes(4).toString('hex')}`);
      const local = await store.localPaths(p.files, scratch);
      expect(await Promise.all(local.map((f) => fsp.readFile(f, 'utf8')))).toEqual(['PAR1 part 0 PAR1', 'PAR1 part 1 PAR1']);
      await expect(publishPartition(store, { table, value: '2024-03-10', files: [], lakeFiles: ['_shards/j/none.parquet'], rows: 0 }, 'run-contract-missing')).rejects.toThrow(/its part .*none\.parquet is missing; the previous version stays current/);
    });
  });
}

// ---------- local adapter ----------
objectStoreContract('local', async () => {
  const root = await fsp.mkdtemp(path.join(os.tmpdir(), 'ace-contract-local-'));
  const store = new LocalObjectStore(root);
  return {
    store,
    cleanup: () => fsp.rm(root, { recursive: true, force: true }),
    folderMarker: async (key) => void (await fsp.mkdir(path.join(root, key), { recursive: true })),
  };
});

// ---------- S3 adapter on fauxqs ----------
const BUCKET = 'ace-contract';
let server: Fauxqs | undefined;
let client: S3Client | undefined;
const savedEnv: Record<string, string | undefined> = {};

const FAKE_ENV: Record<string, string> = {
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_REGION: 'us-east-1',
  AWS_EC2_METADATA_DISABLED: 'true',
};

objectStoreContract(
  's3 (fauxqs)',
  async () => {
    for (const [k, v] of Object.entries(FAKE_ENV)) {
      savedEnv[k] = process.env[k];
      process.env[k] = v;
    }
    for (const k of ['AWS_SESSION_TOKEN', 'AWS_PROFILE']) {
      savedEnv[k] = process.env[k];
      delete process.env[k];
    }
    server = await startFauxqs();
    const port = server.port;
    // Credentials come from the default chain (the fake env above); only endpoint and path style are explicit.
    client = new S3Client({ endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true, region: 'us-east-1' });
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const store = new S3ObjectStore(BUCKET, 'lake/root', client);
    const put = async (key: string, body: string) => void (await client!.send(new PutObjectCommand({ Bucket: BUCKET, Key: `lake/root/${key}`, Body: body })));
    return {
      store,
      folderMarker: (key) => put(key, ''),
      putVerbatim: put,
      // The server outlives this block (the specifics below use it); it is stopped in the top-level afterAll.
      cleanup: async () => {},
    };
  },
  {
    firstListPage: async (prefix) => {
      const page = await client!.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `lake/root/${prefix}` }));
      return { truncated: page.IsTruncated === true && (page.Contents?.length ?? 0) <= 1000 };
    },
  },
);

afterAll(async () => {
  client?.destroy();
  await server?.stop();
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

describe('S3ObjectStore specifics', () => {
  test('SDK errors become StorageError with the s3:// location and the cause; a missing bucket is not a missing key', async () => {
    const s = new S3ObjectStore('no-such-bucket-here', 'lake', client!);
    const err = await s.writeText('a/b.json', '{}').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect((err as StorageError).message).toContain('s3://no-such-bucket-here/lake/a/b.json');
    expect((err as StorageError).cause).toBeDefined();
    expect(((err as StorageError).cause as Error).name).toBe('NoSuchBucket');
    await expect(s.readText('a/b.json')).rejects.toBeInstanceOf(StorageError);
    await expect(s.list('a/')).rejects.toBeInstanceOf(StorageError);
  });

  test('at the SDK boundary: create sends IfNoneMatch "*", replace and delete send IfMatch <etag>; 412, 409 and 404 answers are precondition failures, other errors are not', async () => {
    const s3 = new S3Client({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9' });
    const mock = mockClient(s3);
    const store = new S3ObjectStore('b', 'lake', s3);
    const answer = (status: number, name: string) => Object.assign(new Error(name), { name, $fault: 'client', $metadata: { httpStatusCode: status } });
    mock.on(PutObjectCommand).resolvesOnce({ ETag: '"e1"' }).resolvesOnce({ ETag: '"e2"' });
    mock.on(DeleteObjectCommand).resolves({});
    expect(await store.createIfAbsent('_state/locks/j/d.lock', 'a')).toBe('"e1"');
    expect(await store.replaceIfMatch('_state/locks/j/d.lock', 'b', '"e1"')).toBe('"e2"');
    await store.deleteIfMatch('_state/locks/j/d.lock', '"e2"');
    expect(sent(mock)).toEqual([
      ['PutObjectCommand', expect.objectContaining({ Bucket: 'b', Key: 'lake/_state/locks/j/d.lock', Body: 'a', IfNoneMatch: '*' })],
      ['PutObjectCommand', expect.objectContaining({ Key: 'lake/_state/locks/j/d.lock', Body: 'b', IfMatch: '"e1"' })],
      ['DeleteObjectCommand', { Bucket: 'b', Key: 'lake/_state/locks/j/d.lock', IfMatch: '"e2"' }],
    ]);
    for (const [status, name] of [[412, 'PreconditionFailed'], [409, 'ConditionalRequestConflict'], [404, 'NoSuchKey']] as const) {
      mock.reset();
      mock.on(PutObjectCommand).rejects(answer(status, name));
      mock.on(DeleteObjectCommand).rejects(answer(status, name));
      await expect(store.createIfAbsent('k', 'x')).rejects.toBeInstanceOf(PreconditionFailedError);
      await expect(store.replaceIfMatch('k', 'x', '"e"')).rejects.toBeInstanceOf(PreconditionFailedError);
      await expect(store.deleteIfMatch('k', '"e"')).rejects.toBeInstanceOf(PreconditionFailedError);
    }
    mock.reset();
    mock.on(PutObjectCommand).rejects(answer(503, 'SlowDown'));
    const err = await store.replaceIfMatch('k', 'x', '"e"').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect(err).not.toBeInstanceOf(PreconditionFailedError);
    expect((err as Error).message).toContain('s3://b/lake/k');
    mock.restore();
    s3.destroy();
  });

  test('openStore builds the S3 adapter for an s3:// location', async () => {
    const store = await openStore({ kind: 's3', bucket: 'my-bucket', prefix: 'lake' }, 'ACE_LAKE_ROOT');
    expect(store).toBeInstanceOf(S3ObjectStore);
    expect(store.describe('k')).toBe('s3://my-bucket/lake/k');
  });

  test('describe() is s3://bucket/prefix/key', () => {
    const s = new S3ObjectStore('my-bucket', 'lake/root', new S3Client({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9' }));
    expect(s.describe('tables/x/_current.json')).toBe('s3://my-bucket/lake/root/tables/x/_current.json');
    const bare = new S3ObjectStore('my-bucket', '', new S3Client({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9' }));
    expect(bare.describe('k.txt')).toBe('s3://my-bucket/k.txt');
  });

  test('local describe() is the absolute path', () => {
    const root = path.join(os.tmpdir(), 'ace-describe');
    expect(new LocalObjectStore(root).describe('a/b.txt')).toBe(path.join(root, 'a', 'b.txt'));
  });

  test('both adapters published the same pointer (apart from the publish time)', () => {
    const names = Object.keys(pointersSeen);
    expect(names).toEqual(['local', 's3 (fauxqs)']);
    const strip = (p: Pointer) => ({ ...p, publishedAt: undefined });
    expect(strip(pointersSeen['s3 (fauxqs)'])).toEqual(strip(pointersSeen.local));
  });
});
