/**
 * `npm run query -- --format parquet --out FILE`: where the Parquet file may go, and how it gets there.
 * The path comes from the command line only (never from SQL), must be a local file outside the lake,
 * raw and export roots (those are written by jobs alone, docs/security.md), and is replaced atomically.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Config } from '../config/config.js';
import { UsageError } from '../errors.js';

function realOrSelf(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

function inside(file: string, root: string): boolean {
  const rel = path.relative(realOrSelf(root), file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** The absolute path to write, or a UsageError naming the flag, the path and what to do. */
export function parquetOutPath(out: string, config: Config): string {
  if (out === '' || out.includes('\0')) throw new UsageError('query: --out must name a file, e.g. --out result.parquet');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(out)) throw new UsageError(`query: --out ${out}: only a local file is supported; copy it to S3 afterwards (aws s3 cp)`);
  const abs = path.resolve(out);
  const dir = path.dirname(abs);
  const file = path.join(realOrSelf(dir), path.basename(abs));
  for (const [name, loc] of [['ACE_LAKE_ROOT', config.lake], ['ACE_EXPORT_ROOT', config.exports], ['ACE_RAW_ROOT', config.raw]] as const) {
    if (loc?.kind === 'local' && inside(file, loc.root)) {
      throw new UsageError(`query: --out ${out} is inside the lake (${name}=${loc.root}), which only jobs write; write the file elsewhere`);
    }
  }
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UsageError(`query: --out ${out}: the folder ${dir} does not exist; create it first`);
  if (fs.existsSync(abs) && fs.statSync(abs).isDirectory()) throw new UsageError(`query: --out ${out} is a folder; name a file, e.g. ${path.join(out, 'result.parquet')}`);
  return file;
}

/** Copies the engine's scratch file to `file` through a temporary file beside it and a rename: a reader never sees half a file. */
export function deliverFile(from: string, file: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    fs.copyFileSync(from, tmp);
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}
