/**
 * Byte-level facts about raw files that DuckDB's line reader cannot give: a gzip file's trailer size,
 * a plain file's last byte, whether a file holds carriage returns, and (only off the normal path) a
 * full scan of a file's lines that counts its exact bytes, finds its first line over the limit, and
 * can rewrite it with `\n` line ends for the reader. SPEC.md "Raw input", docs/decisions.md.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import zlib from 'node:zlib';
import { Readable } from 'node:stream';

/** The longest line SPEC.md allows, in bytes, line end excluded. */
export const MAX_LINE_BYTES = 1024 * 1024;

const CR = 13;
const LF = 10;
/** Stands in for a `\r` that does not end a line in a rewritten file: invalid UTF-8, so the reader refuses the line (malformed_json) and its length is kept. */
const LONE_CR = 0xff;

/** The ISIZE field of a gzip file (last 4 bytes, little-endian: its last member's size mod 2^32), or null for a file too short to have one. */
export async function gzipTrailerSize(file: string): Promise<number | null> {
  const fh = await fsp.open(file, 'r');
  try {
    const { size } = await fh.stat();
    if (size < 18) return null;
    const buf = Buffer.alloc(4);
    await fh.read(buf, 0, 4, size - 4);
    return buf.readUInt32LE(0);
  } finally {
    await fh.close();
  }
}

/** Whether a plain file's last byte is `\n` (false for an empty file). */
export async function endsWithNewline(file: string): Promise<boolean> {
  const fh = await fsp.open(file, 'r');
  try {
    const { size } = await fh.stat();
    if (size === 0) return false;
    const buf = Buffer.alloc(1);
    await fh.read(buf, 0, 1, size - 1);
    return buf[0] === LF;
  } finally {
    await fh.close();
  }
}

/** The file's content as a stream of chunks, decompressed when `gz`, and how to close both streams. */
function contentOf(file: string, gz: boolean): { stream: Readable; close(): void } {
  const raw = fs.createReadStream(file, { highWaterMark: 1 << 20 });
  if (!gz) return { stream: raw, close: () => raw.destroy() };
  const gunzip = zlib.createGunzip({ chunkSize: 1 << 20 });
  raw.on('error', (err) => gunzip.destroy(err));
  return {
    stream: raw.pipe(gunzip),
    close: () => {
      gunzip.destroy();
      raw.destroy();
    },
  };
}

/** Whether the first `limit` bytes of the content hold a `\r` (a cheap look before a full rewrite). */
export async function startsWithCarriageReturns(file: string, gz: boolean, limit = 64 * 1024): Promise<boolean> {
  const fh = await fsp.open(file, 'r');
  let head: Buffer;
  try {
    const buf = Buffer.alloc(limit);
    const { bytesRead } = await fh.read(buf, 0, limit, 0);
    head = buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
  if (gz) {
    try {
      head = zlib.gunzipSync(head, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    } catch {
      return false; // damaged: the byte accounting names it later
    }
  }
  return head.subarray(0, limit).includes(CR);
}

export interface LineScan {
  /** Bytes of the content (uncompressed for gzip). */
  bytes: number;
  /** Physical lines (a last line without `\n` counts). */
  lines: number;
  /** The first line longer than MAX_LINE_BYTES (1-based) and its length, line end excluded. */
  longLine: { line: number; bytes: number } | null;
  /** Lines ending in `\r\n`. */
  crlf: number;
  /** `\r` bytes that do not end a line. */
  loneCr: number;
  /** Whether the content starts with a UTF-8 byte order mark (DuckDB's reader drops it). */
  bom: boolean;
  endsWithNewline: boolean;
}

/**
 * Reads a whole file once, counting what SPEC.md's byte accounting needs. With `rewriteTo`, also
 * writes the content with `\n` line ends: `\r\n` becomes `\n`, and a `\r` that ends no line becomes
 * the byte 0xFF (so the reader refuses that line, which is malformed_json, and keeps its length).
 * With `stopAtLongLine`, returns once the first line over the limit has ended (bytes and lines are then partial).
 * Throws the stream's error (a damaged gzip) as is.
 */
export async function scanLines(file: string, gz: boolean, opts: { rewriteTo?: string; stopAtLongLine?: boolean } = {}): Promise<LineScan> {
  const scan: LineScan = { bytes: 0, lines: 0, longLine: null, crlf: 0, loneCr: 0, bom: false, endsWithNewline: false };
  const out = opts.rewriteTo ? await fsp.open(opts.rewriteTo, 'w') : null;
  const { stream: source, close } = contentOf(file, gz);
  let lineBytes = 0; // bytes of the current line so far
  let last = -1;
  let long = false;
  const checkLength = (): void => {
    if (scan.longLine === null && lineBytes > MAX_LINE_BYTES) scan.longLine = { line: scan.lines + 1, bytes: lineBytes };
  };
  /** Counts (and rewrites) one buffer that never ends in a `\r` unless it is the content's last byte. */
  const take = async (buf: Buffer): Promise<void> => {
    const parts: Buffer[] = [];
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(LF, start);
      const end = nl === -1 ? buf.length : nl;
      let pieceEnd = end;
      if (nl !== -1 && end > start && buf[end - 1] === CR) {
        pieceEnd = end - 1;
        scan.crlf++;
      }
      let piece = buf.subarray(start, pieceEnd);
      const cr = piece.indexOf(CR);
      if (cr !== -1) {
        piece = Buffer.from(piece);
        for (let i = cr; i !== -1; i = piece.indexOf(CR, i + 1)) {
          scan.loneCr++;
          piece[i] = LONE_CR;
        }
      }
      if (out) parts.push(piece);
      lineBytes += piece.length;
      if (nl === -1) break;
      checkLength();
      scan.lines++;
      lineBytes = 0;
      if (out) parts.push(NEWLINE);
      if (opts.stopAtLongLine && scan.longLine) {
        long = true;
        break;
      }
      start = nl + 1;
    }
    if (out && parts.length) await out.write(Buffer.concat(parts));
  };
  try {
    let carry: Buffer | null = null;
    for await (const data of source as AsyncIterable<Buffer>) {
      if (data.length === 0) continue;
      if (scan.bytes === 0 && data.length >= 3 && data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) scan.bom = true;
      scan.bytes += data.length;
      last = data[data.length - 1];
      let chunk: Buffer = carry ? Buffer.concat([carry, data]) : data;
      carry = null;
      // A `\r` that ends a chunk is held back: the next chunk tells whether it ends a line.
      if (chunk[chunk.length - 1] === CR) {
        carry = chunk.subarray(chunk.length - 1);
        chunk = chunk.subarray(0, chunk.length - 1);
      }
      await take(chunk);
      if (long) return scan;
    }
    if (carry) await take(carry); // a `\r` at the very end of the content ends no line
    if (lineBytes > 0) {
      checkLength();
      scan.lines++;
    }
    scan.endsWithNewline = last === LF;
    return scan;
  } finally {
    close();
    await out?.close();
  }
}

const NEWLINE = Buffer.from([LF]);
