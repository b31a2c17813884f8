/**
 * Writing generated files: lines are buffered as bytes per file (never a write per line), gzip runs on
 * the libuv thread pool while the main thread keeps generating, and a small queue bounds how many
 * files are in flight (and so the memory they hold).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';

const gzipAsync = promisify(gzipCb);

/**
 * NDJSON lines appended straight into a growable byte buffer. Keeping queued lines off the JS heap
 * matters: millions of medium-lived strings made the garbage collector the main cost.
 */
export class LineBuffer {
  private buf: Buffer;
  private len = 0;
  /** Lines appended so far. */
  lines = 0;

  constructor(initialBytes = 16_384) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  /** Appends one line (without its '\n'). */
  push(line: string): void {
    const need = this.len + line.length * 3 + 1;
    if (need > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
      this.buf.copy(next, 0, 0, this.len);
      this.buf = next;
    }
    this.len += this.buf.write(line, this.len, 'utf8');
    this.buf[this.len++] = 10;
    this.lines++;
  }

  /** The bytes written so far (a view, not a copy). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}

/** Offset just after the line that holds byte `pos` (so a cut there keeps lines whole). */
export function lineEndAfter(bytes: Buffer, pos: number): number {
  const nl = bytes.indexOf(10, pos);
  return nl < 0 ? bytes.length : nl + 1;
}

/** Copies `bytes` with a blank line inserted at each of the given line-start offsets (ascending). */
export function withBlankLines(bytes: Buffer, offsets: readonly number[]): Buffer {
  if (offsets.length === 0) return bytes;
  const parts: Buffer[] = [];
  let from = 0;
  for (const at of offsets) {
    parts.push(bytes.subarray(from, at), NEWLINE);
    from = at;
  }
  parts.push(bytes.subarray(from));
  return Buffer.concat(parts);
}

const NEWLINE = Buffer.from('\n');

/** Bytes as stored: gzip at `level` when asked (the header carries no mtime, so output is reproducible). */
export async function encodeFile(content: Buffer, gzip: boolean, level: number): Promise<Buffer> {
  if (!gzip) return content;
  return gzipAsync(content, { level, chunkSize: 256 * 1024 });
}

export interface WriteQueue {
  /** Starts writing `content` to `path`; resolves once fewer than the limit of files are in flight. */
  add(path: string, content: Buffer, gzip: boolean, level: number): Promise<void>;
  /** Waits for every started write; rethrows the first failure. */
  idle(): Promise<void>;
  /** Bytes written to disk so far (after compression). */
  bytesWritten(): number;
}

/** A bounded queue of file writes. */
export function createWriteQueue(maxInFlight: number): WriteQueue {
  const pending = new Set<Promise<void>>();
  const madeDirs = new Set<string>();
  let failure: unknown = null;
  let written = 0;

  const write = async (path: string, content: Buffer, gzip: boolean, level: number) => {
    const dir = dirname(path);
    if (!madeDirs.has(dir)) {
      await mkdir(dir, { recursive: true });
      madeDirs.add(dir);
    }
    const bytes = await encodeFile(content, gzip, level);
    await writeFile(path, bytes);
    written += bytes.length;
  };

  return {
    async add(path, content, gzip, level) {
      if (failure) throw failure;
      const task: Promise<void> = write(path, content, gzip, level)
        .catch((e: unknown) => {
          failure ??= new Error(`could not write ${path}: ${(e as Error).message}`, { cause: e });
        })
        .finally(() => pending.delete(task));
      pending.add(task);
      while (pending.size >= maxInFlight) await Promise.race(pending);
      if (failure) throw failure;
    },
    async idle() {
      await Promise.all([...pending]);
      if (failure) throw failure;
    },
    bytesWritten: () => written,
  };
}
