/**
 * The ObjectStore port: what the jobs need from a lake, whether a local folder or S3.
 * Keys are '/'-separated and relative to the store's root.
 */
import { StorageError } from '../errors.js';

/**
 * A conditional write or delete whose condition did not hold: the key already exists (create), or its
 * current etag is not the expected one or it is gone (replace, delete). Nothing was changed.
 */
export class PreconditionFailedError extends StorageError {}

/** A small object's text with its etag, the opaque version the conditional methods compare. */
export interface Versioned {
  body: string;
  etag: string;
}

export interface ObjectInfo {
  key: string;
  size: number;
  /** A change marker: the mtime in ms for files, the ETag for S3. */
  version: string;
}

export interface ObjectStore {
  /** Human-readable location of a key, for messages (`/abs/path` or `s3://bucket/key`). */
  describe(key: string): string;
  /** All objects whose key starts with `prefix`, sorted by key (C collation); folder markers (keys ending in '/') are not objects. */
  list(prefix: string): Promise<ObjectInfo[]>;
  /** A small object as UTF-8 text, or null when it does not exist. */
  readText(key: string): Promise<string | null>;
  /** Writes a small object so that readers see the old or the new content, never a part. */
  writeText(key: string, body: string): Promise<void>;
  /** Stores a local file under `key` (moves it when the store is local). */
  putFile(localPath: string, key: string): Promise<void>;
  /** Copies an object to another key of the same store (S3: a server-side copy; local: a hard link, else a copy). */
  copy(fromKey: string, toKey: string): Promise<void>;
  /** True when localPaths downloads (a remote store): readers then overlap the downloads with reading. */
  readonly downloads: boolean;
  /** Local paths DuckDB can read for these keys (downloaded into `scratchDir` for remote stores: one file per key, keeping its extension). */
  localPaths(keys: string[], scratchDir: string): Promise<string[]>;
  /** A scratch folder for a run, on the same file system as the store when it is local. */
  scratchDir(runId: string): Promise<string>;
  /** A small object's text and etag, or null when it does not exist. */
  readVersioned(key: string): Promise<Versioned | null>;
  /**
   * Creates a small object, whole, only if no object has that key; returns its etag. PreconditionFailedError
   * when one exists (S3: PutObject If-None-Match: *; local: link() of a fully written temp file).
   */
  createIfAbsent(key: string, body: string): Promise<string>;
  /**
   * Replaces a small object only if its current etag is `etag`; returns the new etag. PreconditionFailedError
   * when it changed or is gone (S3: PutObject If-Match; local: compare and rename under a short local lock).
   * A key written conditionally must only be written conditionally.
   */
  replaceIfMatch(key: string, body: string, etag: string): Promise<string>;
  /** Deletes an object only if its current etag is `etag`; PreconditionFailedError when it changed or is gone. */
  deleteIfMatch(key: string, etag: string): Promise<void>;
  /** Deletes one object; no error when it does not exist. */
  delete(key: string): Promise<void>;
  /** Deletes every object under `prefix`. */
  deletePrefix(prefix: string): Promise<void>;
}
