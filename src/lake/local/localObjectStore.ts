/** ObjectStore over a local folder: writes go through a temporary name and an atomic rename. */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import crypto from 'node:crypto';
import { StorageError } from '../../errors.js';
import { ObjectInfo, ObjectStore } from '../objectStore.js';

export class LocalObjectStore implements ObjectStore {
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

  async localPaths(keys: string[]): Promise<string[]> {
    return keys.map((k) => this.abs(k));
  }

  async scratchDir(runId: string): Promise<string> {
    const dir = path.join(this.root, '_scratch', runId);
    await fsp.mkdir(dir, { recursive: true });
    return dir;
  }

  async createExclusive(key: string, body: string): Promise<boolean> {
    const target = this.abs(key);
    await fsp.mkdir(path.dirname(target), { recursive: true });
    try {
      const fh = await fsp.open(target, 'wx');
      try {
        await fh.writeFile(body);
      } finally {
        await fh.close();
      }
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw new StorageError(`cannot create ${target}: ${(err as Error).message}`, { path: target }, { cause: err });
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
