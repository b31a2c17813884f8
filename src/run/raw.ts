/**
 * Reading raw files, the runtime's part of the ingest jobs: list an arrival-hour window (keys and sizes
 * only), fetch the files a task reads, let DuckDB read, validate and number their lines into
 * `ingest_lines` (src/sql/ingest_*.sql), and account for every byte of every file (SPEC "Raw input").
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { BadInputError } from '../errors.js';
import { hourPath, tooLateBefore } from '../time/time.js';
import { StreamSpec, renderIngestLines, renderIngestRead } from '../sql/ingest.js';
import { loadSql } from '../sql/sql.js';
import { JobContext, RawSource } from './context.js';
import { LineScan, MAX_LINE_BYTES, endsWithNewline, gzipTrailerSize, scanLines, startsWithCarriageReturns } from './rawBytes.js';

export interface RawFile {
  /** Key in the raw store. */
  key: string;
  /** The name recorded in tables (`raw/<stream>/YYYY/MM/DD/HH/<file>`, whatever the raw root). */
  sourceFile: string;
  size: number;
  version: string;
  arrivalHour: Date;
  owned: boolean;
}

/** Lists the raw objects of the window, in arrival order (hour, then key). */
export async function listRawFiles(raw: RawSource, stream: string, hours: Date[], owned: Date[]): Promise<RawFile[]> {
  const ownedSet = new Set(owned.map((h) => h.getTime()));
  const perHour = await Promise.all(
    hours.map(async (h) => {
      const objects = await raw.store.list(`${raw.prefix}${stream}/${hourPath(h)}/`);
      // A key ending in '/' is a console folder marker, not a file (SPEC.md "Raw input").
      return objects.filter((o) => !o.key.endsWith('/')).map((o) => ({ ...o, sourceFile: `raw/${o.key.slice(raw.prefix.length)}`, arrivalHour: h, owned: ownedSet.has(h.getTime()) }));
    }),
  );
  return perHour.flat();
}

/** The window's files with their global index (arrival order) and, for those this task reads, their read index. */
export async function loadFileTable(ctx: JobContext, files: RawFile[], read: RawFile[], latenessHours: number): Promise<void> {
  const readIndex = new Map(read.map((f, i) => [f.key, i]));
  await ctx.db.run(`CREATE OR REPLACE TEMP TABLE ingest_files_raw (file_index DOUBLE, read_index DOUBLE, source_file VARCHAR, arrival_hour VARCHAR, owned BOOLEAN, too_late_before VARCHAR)`);
  await ctx.db.append(
    'ingest_files_raw',
    files.map((f, i) => [i, readIndex.get(f.key) ?? null, f.sourceFile, f.arrivalHour.toISOString(), f.owned, tooLateBefore(f.arrivalHour, latenessHours).toISOString()]),
  );
  await ctx.db.run(`CREATE OR REPLACE TEMP TABLE ingest_files AS
    SELECT file_index::INTEGER AS file_index, read_index::INTEGER AS read_index, source_file,
           arrival_hour::TIMESTAMPTZ AS arrival_hour, owned, too_late_before::TIMESTAMPTZ AS too_late_before
    FROM ingest_files_raw`);
  await ctx.db.run(loadSql('ingest_file_lookups'));
}

/** Finds which file DuckDB could not read, by reading them one at a time (only on the failure path). */
async function findUnreadable(ctx: JobContext, files: RawFile[], paths: string[]): Promise<{ file: RawFile; error: string } | null> {
  for (const [i, p] of paths.entries()) {
    try {
      await ctx.db.run(
        `SELECT count(*) FROM read_csv($p, columns = {'line': 'VARCHAR'}, header = false, auto_detect = false, delim = E'\\x01\\x02', quote = '', escape = '', new_line = '\\n', max_line_size = ${READER_MAX_LINE}, buffer_size = 33554432, store_rejects = true)`,
        { p: [p] },
      );
    } catch (err) {
      return { file: files[i], error: (err as Error).message.split('\n')[0] };
    }
  }
  return null;
}

/** One file as DuckDB reads it: the downloaded (or local) object, or its rewrite with `\n` line ends. */
interface ReadSource {
  file: RawFile;
  path: string;
  gz: boolean;
  /** Set when the file held `\r` and was rewritten (the scan of the original). */
  rewrite?: LineScan;
}

/** DuckDB's reader options allow a line of MAX_LINE_BYTES (its limit counts the `\n`); longer lines are refused, then fail the job. */
const READER_MAX_LINE = MAX_LINE_BYTES + 1;

/**
 * How many batches a remote lake's files are read in: batch b + 1 downloads while DuckDB reads batch b,
 * so only the first batch's download is not overlapped. A local lake reads all its files in one batch.
 */
const DOWNLOAD_BATCHES = 4;

/** Consecutive runs of `files` (arrival order kept) of about equal bytes. */
function batchesOf(files: RawFile[], count: number): RawFile[][] {
  const total = files.reduce((a, f) => a + f.size, 0);
  const out: RawFile[][] = [[]];
  let seen = 0;
  for (const f of files) {
    if (out[out.length - 1].length > 0 && seen >= (total * out.length) / count) out.push([]);
    out[out.length - 1].push(f);
    seen += f.size;
  }
  return out;
}

/** Reads, validates and numbers the lines of `read` into ingest_lines, then checks every byte was read. */
export async function readRawLines(ctx: JobContext, spec: StreamSpec, date: string, read: RawFile[]): Promise<void> {
  const store = ctx.services.raw.store;
  const key = ctx.config.customerIdKey;
  if (key !== null) await ctx.db.setVariables(hmacPads(key));
  // The reader's rejects tables belong to one read (its batches add to them).
  await ctx.db.run('DROP TABLE IF EXISTS ingest_reader_rejects; DROP TABLE IF EXISTS ingest_reader_scans');
  const batches = store.downloads ? batchesOf(read, DOWNLOAD_BATCHES) : [read];
  const download = (files: RawFile[]) => {
    const p = store.localPaths(files.map((f) => f.key), path.join(ctx.scratch, 'raw'));
    p.catch(() => undefined); // awaited below; a failure while the batch before is read is reported then
    return p;
  };
  const sources: ReadSource[] = [];
  let next = download(batches[0]);
  for (const [b, files] of batches.entries()) {
    const local = await next;
    if (b + 1 < batches.length) next = download(batches[b + 1]);
    const batch = files.map((file, i) => ({ file, path: local[i], gz: file.key.endsWith('.gz') }));
    await readBatch(ctx, spec, date, batch, sources.length, b === 0, key !== null);
    sources.push(...batch);
  }
  if (batches.length > 1) ctx.log.info({ event: 'raw.batches', files: read.length, batches: batches.length }, `read ${read.length} raw files in ${batches.length} batches, each downloading while the one before was read`);
  await ctx.db.run(`CREATE OR REPLACE TEMP TABLE ingest_read_paths (read_index INTEGER, path VARCHAR)`);
  await ctx.db.append('ingest_read_paths', sources.map((s, i) => [i, s.path]));
  const [prep, view] = renderIngestLines(spec, false);
  await ctx.db.run(prep);
  const [{ refused }] = await ctx.db.all<{ refused: number }>(`SELECT count(*)::INTEGER AS refused FROM ingest_refused`);
  await ctx.db.run(refused > 0 ? renderIngestLines(spec, true)[1] : view);
  await checkBytes(ctx, date, sources);
}

/** One batch of files into ingest_read (the first creates it), numbered from `offset`; rewrites CRLF files and retries. */
async function readBatch(ctx: JobContext, spec: StreamSpec, date: string, sources: ReadSource[], offset: number, first: boolean, pseudonymise: boolean): Promise<void> {
  let sniffed = false;
  for (let attempt = 0; ; attempt++) {
    let paths = sources.map((s) => s.path);
    if (paths.length === 0) {
      // read_csv needs at least one file: an empty placeholder gives the same (empty) result.
      const empty = path.join(ctx.scratch, 'empty.ndjson');
      fs.writeFileSync(empty, '');
      paths = [empty];
    }
    try {
      await ctx.db.setVariables({ ingest_paths: paths, ingest_read_offset: String(offset) });
      await ctx.db.run(renderIngestRead(spec, { pseudonymise }, first ? 'first' : 'next'));
      return;
    } catch (err) {
      // DuckDB's strict line reader stops at the first `\r` (CRLF line ends): rewrite the files that hold
      // one with `\n` line ends, then read again. Looking at the start of every file once finds
      // whole CRLF files; a file with a `\r` further in is named by the error and rewritten on its own.
      if (attempt <= sources.length && /state machine reached an invalid state/i.test((err as Error).message)) {
        const todo: ReadSource[] = [];
        if (!sniffed) {
          sniffed = true;
          for (const s of sources) if (!s.rewrite && (await startsWithCarriageReturns(s.path, s.gz))) todo.push(s);
        }
        const named = /\bfile = (.+)/.exec((err as Error).message)?.[1]?.trim();
        const s = sources.find((x) => x.path === named);
        if (s && !s.rewrite && !todo.includes(s)) todo.push(s);
        if (todo.length > 0) {
          for (const t of todo) await rewriteLineEnds(ctx, date, t, offset + sources.indexOf(t));
          continue;
        }
      }
      const bad = await findUnreadable(ctx, sources.map((x) => x.file), paths);
      if (bad) {
        throw new BadInputError(
          `cannot read raw file ${ctx.services.raw.store.describe(bad.file.key)} (${bad.error}); its lines cannot be counted, so nothing was published. Replace or remove the file, then rerun`,
          { job: ctx.job, date, path: bad.file.sourceFile },
          { cause: err },
        );
      }
      throw err;
    }
  }
}

/** Rewrites a file that holds `\r` into scratch with `\n` line ends (rawBytes.ts), failing on a line over the limit. */
async function rewriteLineEnds(ctx: JobContext, date: string, s: ReadSource, i: number): Promise<void> {
  const target = path.join(ctx.scratch, 'lf', `${i}.ndjson`);
  await fsp.mkdir(path.dirname(target), { recursive: true });
  const scan = await scanFile(ctx, date, s, { rewriteTo: target });
  if (scan.longLine) throw longLineError(ctx, date, s.file, scan.longLine);
  Object.assign(s, { path: target, gz: false, rewrite: scan });
}

/** A full scan of one file; a damaged gzip stream fails the job naming the file. */
async function scanFile(ctx: JobContext, date: string, s: ReadSource, opts: { rewriteTo?: string; stopAtLongLine?: boolean }): Promise<LineScan> {
  try {
    return await scanLines(s.path, s.gz, opts);
  } catch (err) {
    throw new BadInputError(
      `cannot read raw file ${ctx.services.raw.store.describe(s.file.key)} (${(err as Error).message}): the gzip stream is damaged, so its lines cannot be counted and nothing was published. Replace or remove the file, then rerun`,
      { job: ctx.job, date, path: s.file.sourceFile },
      { cause: err },
    );
  }
}

function longLineError(ctx: JobContext, date: string, file: RawFile, long: { line: number; bytes?: number }): BadInputError {
  return new BadInputError(
    `line ${long.line} of raw file ${ctx.services.raw.store.describe(file.key)} is ${long.bytes === undefined ? 'longer than 1 MiB' : `${long.bytes} bytes`}, over the 1 MiB a line may hold: no event is that large, so it most likely holds many records written without newline delimiters. Nothing was published. Fix the producer and replace or remove the file, then rerun`,
    { job: ctx.job, date, path: file.sourceFile, line: long.line },
  );
}

/**
 * SPEC.md: every byte of a file is accounted for, and no line is over 1 MiB. DuckDB returns each line
 * without its line end; summed in SQL (ingest_bytes.sql) with one byte per line end, they must give
 * the file's size (a last line without `\n` has none), uncompressed for gzip: there the trailer's
 * ISIZE (the size mod 2^32) is compared. Only a file that does not add up, or one the reader refused a
 * long line of, is read once more, end to end (scanLines), to say why: a line over the limit (named), a
 * damaged or truncated stream, or content the reader dropped; or to clear it when the exact count
 * agrees (a gzip of several members, a byte order mark, which DuckDB drops).
 */
async function checkBytes(ctx: JobContext, date: string, sources: ReadSource[]): Promise<void> {
  if (sources.length === 0) return;
  const started = Date.now();
  const rows = await Promise.all(
    sources.map(async (s, i) => {
      if (s.rewrite) return [i, fs.statSync(s.path).size - (s.rewrite.bom ? 3 : 0), s.rewrite.endsWithNewline, false];
      if (s.gz) return [i, await gzipTrailerSize(s.path), null, true];
      return [i, s.file.size, await endsWithNewline(s.path), false];
    }),
  );
  await ctx.db.run(`CREATE OR REPLACE TEMP TABLE ingest_expected_raw (read_index DOUBLE, expected DOUBLE, ends_with_newline BOOLEAN, modulo BOOLEAN)`);
  await ctx.db.append('ingest_expected_raw', rows);
  const suspects = await ctx.db.all<{ read_index: number; returned: number; long_line: number | null }>(loadSql('ingest_bytes'));
  const rewritten = sources.filter((s) => s.rewrite).length;
  ctx.log.info({ event: 'raw.accounted', files: sources.length, rewritten, suspects: suspects.length, ms: Date.now() - started }, `byte accounting of ${sources.length} raw files: ${suspects.length} to read end to end${rewritten ? `, ${rewritten} rewritten with \n line ends` : ''}`);
  for (const { read_index, returned, long_line } of suspects) {
    const s = sources[Number(read_index)];
    const scan = await scanFile(ctx, date, s, { stopAtLongLine: true });
    if (scan.longLine) throw longLineError(ctx, date, s.file, scan.longLine);
    if (long_line !== null) throw longLineError(ctx, date, s.file, { line: Number(long_line) });
    // The exact count: DuckDB drops a leading byte order mark and counts a line end after a last line that has none.
    const content = scan.bytes - (scan.bom ? 3 : 0);
    const missingEnd = content > 0 && !scan.endsWithNewline ? 1 : 0;
    if (Number(returned) !== content + missingEnd) {
      const accounted = Number(returned) - (Number(returned) > 0 ? missingEnd : 0) + (scan.bom ? 3 : 0);
      throw new BadInputError(
        `the lines read from raw file ${ctx.services.raw.store.describe(s.file.key)} (with their line ends) account for ${accounted} of its ${scan.bytes} bytes${s.gz ? ' (uncompressed)' : ''}: part of it was not read, so nothing was published. Replace or remove the file, then rerun`,
        { job: ctx.job, date, path: s.file.sourceFile },
      );
    }
  }
}

/** The HMAC-SHA256 inner and outer pads of a key (RFC 2104), as hex session variables for hmacSql. */
export function hmacPads(key: string): { ace_hmac_ipad: string; ace_hmac_opad: string } {
  let k = Buffer.from(key, 'utf8');
  if (k.length > 64) k = crypto.createHash('sha256').update(k).digest();
  const block = Buffer.alloc(64);
  k.copy(block);
  return {
    ace_hmac_ipad: Buffer.from(block.map((b) => b ^ 0x36)).toString('hex'),
    ace_hmac_opad: Buffer.from(block.map((b) => b ^ 0x5c)).toString('hex'),
  };
}
