/**
 * Reads one line of a raw file back, as the ingest jobs numbered it: through the landing zone's
 * ObjectStore (local or S3), gunzipped when the key ends in `.gz`, lines split on `\n`, 1-based, and a
 * `\r` before the `\n` belongs to the line end, not the line (SPEC.md "Raw input").
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { Readable } from 'node:stream';
import { MissingInputError } from '../errors.js';
import { RawSource } from '../run/context.js';

/** The landing-zone key of a row's `source_file` (`raw/<stream>/…`, relative to the lake root). */
export function rawKey(raw: RawSource, sourceFile: string): string {
  return `${raw.prefix}${sourceFile.replace(/^raw\//, '')}`;
}

/** The bytes of line `lineNumber` (1-based, line end excluded) of a file's content, or null when it has fewer lines. */
export async function lineOf(content: Readable, lineNumber: number): Promise<Buffer | null> {
  let line = 1;
  const parts: Buffer[] = [];
  for await (const chunk of content) {
    const buf = chunk as Buffer;
    let start = 0;
    while (start <= buf.length) {
      const nl = buf.indexOf(10, start);
      const end = nl === -1 ? buf.length : nl;
      if (line === lineNumber) parts.push(buf.subarray(start, end));
      if (nl === -1) break;
      if (line === lineNumber) return withoutCr(Buffer.concat(parts));
      line++;
      start = nl + 1;
    }
  }
  // A last line without `\n` counts; an empty remainder after the final `\n` is not a line.
  return line === lineNumber && parts.length > 0 && Buffer.concat(parts).length > 0 ? withoutCr(Buffer.concat(parts)) : null;
}

function withoutCr(line: Buffer): Buffer {
  return line.length > 0 && line[line.length - 1] === 13 ? line.subarray(0, line.length - 1) : line;
}

/** Line `lineNumber` of the raw file `sourceFile`, read through the landing zone's store into `scratch`. */
export async function readRawLine(raw: RawSource, sourceFile: string, lineNumber: number, scratch: string): Promise<Buffer> {
  const key = rawKey(raw, sourceFile);
  const exists = (await raw.store.list(key)).some((o) => o.key === key);
  if (!exists) {
    throw new MissingInputError(`the raw file ${raw.store.describe(key)} behind this unit is gone (deleted or moved since it was ingested); its row still names ${sourceFile} line ${lineNumber}`, { path: sourceFile });
  }
  const [local] = await raw.store.localPaths([key], path.join(scratch, 'raw'));
  const file = fs.createReadStream(local, { highWaterMark: 1 << 20 });
  const content = key.endsWith('.gz') ? file.pipe(zlib.createGunzip()) : file;
  if (content !== file) file.on('error', (err) => content.destroy(err));
  let line: Buffer | null;
  try {
    line = await lineOf(content, lineNumber);
  } finally {
    content.destroy();
    file.destroy();
  }
  if (line === null) {
    throw new MissingInputError(`${raw.store.describe(key)} has fewer than ${lineNumber} lines: the file changed since it was ingested`, { path: sourceFile });
  }
  return line;
}
