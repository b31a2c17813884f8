/** ObjectStore over a local folder: writes go through a temporary name and an atomic rename. */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { StorageError } from '../../errors.js';
import { ObjectInfo, ObjectStore, PreconditionFailedError, Versioned } from '../objectStore.js';

/**
 * A file's etag: its content hash, inode and mtime. Every write goes through a new temp file renamed or
 * linked into place, so a rewrite changes the inode or the mtime even when the bytes are the same.
 */
function etagOf(body: Buffer, st: fs.BigIntStats): string {
  return `${crypto.createHash('sha256').update(body).digest('hex').slice(0, 32)}-${st.ino}-${st.mtimeNs}`;
}

/** The file's text and etag, read from one open file (so both describe the same version), or null. */
async function readWithEtag(file: string): Promise<Versioned | null> {
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const st = await fh.stat({ bigint: true });
    const bytes = await fh.readFile();
    return { body: bytes.toString('utf8'), etag: etagOf(bytes, st) };
  } finally {
    await fh.close();
  }
}

/** A compare-and-swap lock left by a killed process is broken after this long (the section itself takes milliseconds). */
const CAS_LOCK_STALE_MS = 10_000;

/**
 * Runs `fn` holding `<file>.tmp-cas`, a lock file created whole by link() (rename cannot compare, so the
 * compare and the rename of a conditional write happen under it). A lock whose holder died on this host,
 * or older than CAS_LOCK_STALE_MS, is broken by moving it aside and checking that what moved is the stale one.
 */
async function withCasLock<T>(file: string, fn: () => Promise<T>): Promise<T> {
  const lock = `${file}.tmp-cas`;
  const mine = JSON.stringify({ pid: process.pid, host: os.hostname(), nonce: crypto.randomBytes(8).toString('hex') });
  const tmp = `${lock}-${crypto.randomBytes(6).toString('hex')}`;
  await fsp.writeFile(tmp, mine, { flag: 'wx' });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await fsp.link(tmp, lock);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      await breakStaleCasLock(lock);
      if (attempt > 5000) throw new StorageError(`${lock} stayed locked; remove it if no ace-unit process is running`, { path: lock });
      await new Promise((r) => setTimeout(r, Math.min(20, 1 + attempt)));
    }
  } finally {
    await fsp.rm(tmp, { force: true });
  }
  try {
    return await fn();
  } finally {
    if ((await fsp.readFile(lock, 'utf8').catch(() => null)) === mine) await fsp.rm(lock, { force: true });
  }
}

async function breakStaleCasLock(lock: string): Promise<void> {
  let seen: string;
  let age: number;
  try {
    seen = await fsp.readFile(lock, 'utf8');
    age = Date.now() - (await fsp.stat(lock)).mtimeMs;
  } catch {
    return; // released meanwhile
  }
  let holder: { pid?: number; host?: string } = {};
  try {
    holder = JSON.parse(seen) as typeof holder;
  } catch {
    // unreadable: judged by its age alone
  }
  const dead = holder.host === os.hostname() && Number.isInteger(holder.pid) && !pidAlive(holder.pid as number);
  if (!dead && age < CAS_LOCK_STALE_MS) return;
  const aside = `${lock}-broken-${crypto.randomBytes(6).toString('hex')}`;
  try {
    await fsp.rename(lock, aside);
  } catch {
    return; // someone else broke or released it
  }
  // Another breaker may have been quicker and a live process taken the lock since: give that one back.
  if ((await fsp.readFile(aside, 'utf8').catch(() => seen)) !== seen) await fsp.link(aside, lock).catch(() => undefined);
  await fsp.rm(aside, { force: true });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

export class LocalObjectStore implements ObjectStore {
  readonly downloads: boolean = false;
  constructor(readonly root: string) {}

  private abs(key: string): string {
    const p = path.resolve(this.root, key);
    if (p !== this.root && !p.startsWith(this.root + path.sep)) throw new StorageError(`key ${key} escapes the lake root ${this.root}`);
    return p;
  }

  describe(key: string): string {
    return this.abs(key);
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    // Walk only the deepest existing folder of the prefix, then filter by the full prefix.
    const dirKey = prefix.endsWith('/') ? prefix.slice(0, -1) : path.posix.dirname(prefix);
    const start = dirKey === '.' ? this.root : this.abs(dirKey);
    const out: ObjectInfo[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries: fs.Dirent[];
      try {
        entries = await fsp.readdir(dir, { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw new StorageError(`cannot list ${dir}: ${(err as Error).message}`, { path: dir }, { cause: err });
      }
      for (const e of entries) {
        const full = path.join(dir, e.name);
        if (e.isDirectory()) await walk(full);
        else if (e.isFile() && !e.name.includes('.tmp-')) {
          const key = path.relative(this.root, full).split(path.sep).join('/');
          if (!key.startsWith(prefix)) continue;
          const st = await fsp.stat(full);
          out.push({ key, size: st.size, version: String(Math.trunc(st.mtimeMs)) });
        }
      }
    };
    await walk(start);
    return out.sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
  }

  async readText(key: string): Promise<string | null> {
    try {
      return await fsp.readFile(this.abs(key), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new StorageError(`cannot read ${this.abs(key)}: ${(err as Error).message}`, { path: this.abs(key) }, { cause: err });
    }
  }

  async writeText(key: string, body: string): Promise<void> {
    const target = this.abs(key);
    const tmp = `${target}.tmp-${crypto.randomBytes(6).toString('hex')}`;
    try {
      await fsp.mkdir(path.dirname(target), { recursive: true });
      const fh = await fsp.open(tmp, 'w');
      try {
        await fh.writeFile(body);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await fsp.rename(tmp, target);
    } catch (err) {
      await fsp.rm(tmp, { force: true });
      throw new StorageError(`cannot write ${target}: ${(err as Error).message}`, { path: target }, { cause: err });
    }
  }

  async putFile(localPath: string, key: string): Promise<void> {
    const target = this.abs(key);
    await fsp.mkdir(path.dirname(target), { recursive: true });
    try {
      await fsp.rename(localPath, target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw new StorageError(`cannot store ${target}: ${(err as Error).message}`, { path: target }, { cause: err });
      await fsp.copyFile(localPath, target);
    }
  }

  async copy(fromKey: string, toKey: string): Promise<void> {
    const [from, to] = [this.abs(fromKey), this.abs(toKey)];
    await fsp.mkdir(path.dirname(to), { recursive: true });
    await fsp.rm(to, { force: true });
    try {
      // Published files are never rewritten in place, so a link shares the bytes safely.
      await fsp.link(from, to);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new StorageError(`cannot copy ${from}: it does not exist`, { path: from }, { cause: err });
      await fsp.copyFile(from, to);
    }
  }

  async localPaths(keys: string[]): Promise<string[]> {
    return keys.map((k) => this.abs(k));
  }

  async scratchDir(runId: string): Promise<string> {
    const dir = path.join(this.root, '_scratch', runId);
    await fsp.mkdir(dir, { recursive: true });
    return dir;
  }

  async readVersioned(key: string): Promise<Versioned | null> {
    const target = this.abs(key);
    try {
      return await readWithEtag(target);
    } catch (err) {
      throw new StorageError(`cannot read ${target}: ${(err as Error).message}`, { path: target }, { cause: err });
    }
  }

  async createIfAbsent(key: string, body: string): Promise<string> {
    const target = this.abs(key);
    const { tmp, etag } = await this.writeTemp(target, body);
    try {
      // link() never replaces: the object appears whole, or not at all when the key exists.
      await fsp.link(tmp, target);
      return etag;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new PreconditionFailedError(`${target} already exists`, { path: target });
      throw new StorageError(`cannot create ${target}: ${(err as Error).message}`, { path: target }, { cause: err });
    } finally {
      await fsp.rm(tmp, { force: true });
    }
  }

  async replaceIfMatch(key: string, body: string, etag: string): Promise<string> {
    const target = this.abs(key);
    const written = await this.writeTemp(target, body);
    try {
      return await withCasLock(target, async () => {
        const current = await readWithEtag(target);
        if (current?.etag !== etag) throw new PreconditionFailedError(`${target} ${current ? 'changed' : 'is gone'} (expected etag ${etag})`, { path: target });
        await fsp.rename(written.tmp, target);
        return written.etag;
      });
    } catch (err) {
      if (err instanceof StorageError) throw err;
      throw new StorageError(`cannot replace ${target}: ${(err as Error).message}`, { path: target }, { cause: err });
    } finally {
      await fsp.rm(written.tmp, { force: true });
    }
  }

  async deleteIfMatch(key: string, etag: string): Promise<void> {
    const target = this.abs(key);
    if (!fs.existsSync(target)) throw new PreconditionFailedError(`${target} is gone (expected etag ${etag})`, { path: target });
    try {
      await withCasLock(target, async () => {
        const current = await readWithEtag(target);
        if (current?.etag !== etag) throw new PreconditionFailedError(`${target} ${current ? 'changed' : 'is gone'} (expected etag ${etag})`, { path: target });
        await fsp.rm(target, { force: true });
      });
    } catch (err) {
      if (err instanceof StorageError) throw err;
      throw new StorageError(`cannot delete ${target}: ${(err as Error).message}`, { path: target }, { cause: err });
    }
  }

  /** Writes `body` to a new temp file next to `target` (flushed to disk); returns its path and the etag it will have in place. */
  private async writeTemp(target: string, body: string): Promise<{ tmp: string; etag: string }> {
    const tmp = `${target}.tmp-${crypto.randomBytes(6).toString('hex')}`;
    try {
      await fsp.mkdir(path.dirname(target), { recursive: true });
      const fh = await fsp.open(tmp, 'wx');
      try {
        await fh.writeFile(body);
        await fh.sync();
        return { tmp, etag: etagOf(Buffer.from(body), await fh.stat({ bigint: true })) };
      } finally {
        await fh.close();
      }
    } catch (err) {
      await fsp.rm(tmp, { force: true });
      throw new StorageError(`cannot write ${target}: ${(err as Error).message}`, { path: target }, { cause: err });
    }
  }

  async delete(key: string): Promise<void> {
    await fsp.rm(this.abs(key), { force: true });
  }

  async deletePrefix(prefix: string): Promise<void> {
    const p = this.abs(prefix);
    await fsp.rm(p, { recursive: true, force: true });
  }
}
