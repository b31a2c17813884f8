/**
 * ObjectStore over S3. Keys are relative to `prefix` inside `bucket`.
 * The endpoint comes from the SDK's standard settings (AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL),
 * path-style addressing is forced when ACE_S3_FORCE_PATH_STYLE=true, and credentials come only
 * from the SDK's default provider chain.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  ListObjectsV2CommandOutput,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { StorageError } from '../../errors.js';
import { scratchRoot } from '../../config/config.js';
import { ObjectInfo, ObjectStore, PreconditionFailedError, Versioned } from '../objectStore.js';

const DOWNLOAD_CONCURRENCY = 8;
const DELETE_BATCH = 1000;
/** Multipart part size: 8 MiB parts allow objects up to ~80 GB (10,000 parts) and stay below small emulators' body limits. */
const PART_SIZE = 8 * 1024 * 1024;

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } } | null;
  if (!e) return false;
  if (e.name === 'NoSuchKey' || e.Code === 'NoSuchKey') return true;
  // A missing bucket is a configuration problem, not an absent object.
  return e.$metadata?.httpStatusCode === 404 && e.name !== 'NoSuchBucket' && e.Code !== 'NoSuchBucket';
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message || err.name : String(err);
}

/** Runs `fn` over `items` with at most `limit` calls in flight, keeping results in order. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * A downloaded key's file name: a digest of the whole key, so keys that differ only by `//` or `./`
 * (distinct S3 objects that one path would merge) never share a file, then the key's last part, so
 * the name keeps its extension (DuckDB reads `.gz` by it) and stays readable.
 */
export function scratchName(key: string): string {
  const digest = crypto.createHash('sha256').update(key).digest('hex').slice(0, 32);
  const base = (key.split('/').pop() ?? '').replace(/[^A-Za-z0-9._=-]/g, '_').slice(-100);
  return `${digest}-${base}`;
}

export class S3ObjectStore implements ObjectStore {
  readonly downloads = true;
  private readonly client: S3Client;
  private readonly prefix: string;

  constructor(
    readonly bucket: string,
    prefix: string,
    client?: S3Client,
    /** Where downloads and run scratch go (the configured ACE_SCRATCH_DIR). */
    private readonly scratchBase: string = scratchRoot(),
    /** ACE_S3_FORCE_PATH_STYLE: path-style URLs, for S3-compatible servers. */
    forcePathStyle = false,
  ) {
    this.prefix = prefix.replace(/^\/+|\/+$/g, '');
    this.client = client ?? new S3Client({ forcePathStyle });
  }

  private fullKey(key: string): string {
    if (key.split('/').some((part) => part === '..')) throw new StorageError(`key ${key} escapes the lake root ${this.describe('')}`, { path: key });
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  private relKey(full: string): string {
    return this.prefix ? full.slice(this.prefix.length + 1) : full;
  }

  private fail(action: string, key: string, err: unknown): StorageError {
    const where = this.describe(key);
    return new StorageError(`cannot ${action} ${where}: ${messageOf(err)}`, { path: where }, { cause: err });
  }

  describe(key: string): string {
    return `s3://${[this.bucket, this.prefix, key].filter(Boolean).join('/')}`;
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    const fullPrefix = this.prefix ? `${this.prefix}/${prefix}` : prefix;
    let token: string | undefined;
    try {
      do {
        const page: ListObjectsV2CommandOutput = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: fullPrefix, ContinuationToken: token }),
        );
        for (const o of page.Contents ?? []) {
          // A key ending in '/' is a folder marker (what the S3 console's "Create folder" writes), not a file.
          if (!o.Key || !o.Key.startsWith(fullPrefix) || o.Key.endsWith('/')) continue;
          out.push({ key: this.relKey(o.Key), size: o.Size ?? 0, version: o.ETag ?? '' });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (err) {
      throw this.fail('list', prefix, err);
    }
    return out.sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
  }

  async readText(key: string): Promise<string | null> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key) }));
      if (!res.Body) return '';
      return await res.Body.transformToString('utf8');
    } catch (err) {
      if (isNotFound(err)) return null;
      if (err instanceof StorageError) throw err;
      throw this.fail('read', key, err);
    }
  }

  async writeText(key: string, body: string): Promise<void> {
    // A single PutObject is atomic on S3: readers see the old or the new object, never a part.
    try {
      await this.client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key), Body: body, ContentType: 'application/json; charset=utf-8' }),
      );
    } catch (err) {
      if (err instanceof StorageError) throw err;
      throw this.fail('write', key, err);
    }
  }

  async putFile(localPath: string, key: string): Promise<void> {
    try {
      const upload = new Upload({
        client: this.client,
        params: { Bucket: this.bucket, Key: this.fullKey(key), Body: fs.createReadStream(localPath) },
        queueSize: 4,
        partSize: PART_SIZE,
      });
      await upload.done();
    } catch (err) {
      if (err instanceof StorageError) throw err;
      throw this.fail(`store ${localPath} as`, key, err);
    }
    await fsp.rm(localPath, { force: true });
  }

  async localPaths(keys: string[], scratchDir: string): Promise<string[]> {
    await fsp.mkdir(scratchDir, { recursive: true });
    return mapLimit(keys, DOWNLOAD_CONCURRENCY, async (key) => {
      const target = path.join(scratchDir, scratchName(key));
      try {
        const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key) }));
        if (!res.Body) throw new Error('empty response body');
        const body = res.Body as NodeJS.ReadableStream;
        await new Promise<void>((resolve, reject) => {
          const out = fs.createWriteStream(target);
          body.on('error', reject);
          out.on('error', reject);
          out.on('finish', () => resolve());
          body.pipe(out);
        });
        return target;
      } catch (err) {
        if (err instanceof StorageError) throw err;
        throw this.fail(`download to ${target}`, key, err);
      }
    });
  }

  async scratchDir(runId: string): Promise<string> {
    const dir = path.join(this.scratchBase, 'runs', runId);
    await fsp.mkdir(dir, { recursive: true });
    return dir;
  }

  async readVersioned(key: string): Promise<Versioned | null> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key) }));
      const body = res.Body ? await res.Body.transformToString('utf8') : '';
      if (!res.ETag) throw new Error('the response has no ETag');
      return { body, etag: res.ETag };
    } catch (err) {
      if (isNotFound(err)) return null;
      if (err instanceof StorageError) throw err;
      throw this.fail('read', key, err);
    }
  }

  async createIfAbsent(key: string, body: string): Promise<string> {
    return this.conditionalPut('create', key, body, { IfNoneMatch: '*' });
  }

  async replaceIfMatch(key: string, body: string, etag: string): Promise<string> {
    return this.conditionalPut('replace', key, body, { IfMatch: etag });
  }

  async deleteIfMatch(key: string, etag: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key), IfMatch: etag }));
    } catch (err) {
      if (err instanceof StorageError) throw err;
      throw this.conditionFailed(err) ? new PreconditionFailedError(`${this.describe(key)} changed or is gone (expected etag ${etag})`, { path: this.describe(key) }, { cause: err }) : this.fail('delete', key, err);
    }
  }

  /** PutObject with a precondition; returns the new ETag. */
  private async conditionalPut(action: string, key: string, body: string, condition: { IfNoneMatch: string } | { IfMatch: string }): Promise<string> {
    try {
      const res = await this.client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key), Body: body, ContentType: 'application/json; charset=utf-8', ...condition }),
      );
      if (!res.ETag) throw new Error('the response has no ETag');
      return res.ETag;
    } catch (err) {
      if (err instanceof StorageError) throw err;
      if (!this.conditionFailed(err)) throw this.fail(action, key, err);
      const what = 'IfNoneMatch' in condition ? 'already exists' : `changed or is gone (expected etag ${condition.IfMatch})`;
      throw new PreconditionFailedError(`${this.describe(key)} ${what}`, { path: this.describe(key) }, { cause: err });
    }
  }

  /**
   * S3's answers to a failed condition: 412 PreconditionFailed (exists, or another etag), 409
   * ConditionalRequestConflict (a concurrent conditional write won), 404 NoSuchKey (If-Match on a missing key).
   */
  private conditionFailed(err: unknown): boolean {
    const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
    const status = e.$metadata?.httpStatusCode;
    return status === 412 || status === 409 || e.name === 'PreconditionFailed' || e.name === 'ConditionalRequestConflict' || isNotFound(err);
  }

  async copy(fromKey: string, toKey: string): Promise<void> {
    try {
      const source = `${this.bucket}/${this.fullKey(fromKey).split('/').map(encodeURIComponent).join('/')}`;
      await this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key: this.fullKey(toKey), CopySource: source }));
    } catch (err) {
      throw this.fail('copy', fromKey, err);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key) }));
    } catch (err) {
      if (isNotFound(err)) return;
      throw new StorageError(`cannot delete ${this.describe(key)}: ${messageOf(err)}`, { path: this.describe(key) }, { cause: err });
    }
  }

  async deletePrefix(prefix: string): Promise<void> {
    const objects = await this.list(prefix);
    for (let i = 0; i < objects.length; i += DELETE_BATCH) {
      const batch = objects.slice(i, i + DELETE_BATCH);
      try {
        const res = await this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: batch.map((o) => ({ Key: this.fullKey(o.key) })), Quiet: true },
          }),
        );
        if (res.Errors && res.Errors.length > 0) {
          const first = res.Errors[0];
          throw new Error(`${res.Errors.length} object(s) not deleted, first ${first.Key}: ${first.Code} ${first.Message ?? ''}`.trim());
        }
      } catch (err) {
        if (err instanceof StorageError) throw err;
        throw this.fail('delete', prefix, err);
      }
    }
  }
}
