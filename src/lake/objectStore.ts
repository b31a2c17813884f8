/**
 * The ObjectStore port: what the jobs need from a lake, whether a local folder or S3.
 * Keys are '/'-separated and relative to the store's root.
 */

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
  /** Local paths DuckDB can read for these keys (downloaded into `scratchDir` for remote stores: one file per key, keeping its extension). */
  localPaths(keys: string[], scratchDir: string): Promise<string[]>;
  /** A scratch folder for a run, on the same file system as the store when it is local. */
  scratchDir(runId: string): Promise<string>;
  /**
   * Creates a small object only if no object has that key yet; false when one exists.
   * The one primitive the publish lock needs (local: O_EXCL; S3: If-None-Match: *).
   */
  createExclusive(key: string, body: string): Promise<boolean>;
  /** Deletes one object; no error when it does not exist. */
  delete(key: string): Promise<void>;
  /** Deletes every object under `prefix`. */
  deletePrefix(prefix: string): Promise<void>;
}
