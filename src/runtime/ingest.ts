/**
 * The shared recipe of the three raw-stream jobs: list the arrival-hour window, let DuckDB read,
 * validate, number, deduplicate and date-filter the lines (src/sql/ingest_*.sql), check the reject
 * rate, and stage the table partition plus the `<stream>_rejects` partition.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { BadInputError, MissingInputError } from '../errors.js';
import { plain } from '../log.js';
import { BusinessDate, hourPath, tooLateBefore, windowOf } from '../time/time.js';
import { IngestCounts, StreamSpec, renderIngestCounts, renderIngestKept, renderIngestKeptRows, renderIngestLines, renderIngestOutcome, renderIngestRead, renderIngestRejects } from '../sql/ingest.js';
import { TableDef } from '../rules/tables.js';
import { ID_MAX_BYTES, NAME_MAX_BYTES, RULE_VERSION } from '../rules/ace.js';
import { loadSql } from '../sql/sql.js';
import { JobContext, RawSource } from './context.js';
import { ObjectStore } from '../lake/objectStore.js';
import { JobDefinition } from './job.js';
import { JobName } from '../graph/graph.js';
import { readJson } from '../lake/json.js';
import { LineScan, MAX_LINE_BYTES, endsWithNewline, gzipTrailerSize, scanLines, startsWithCarriageReturns } from './rawBytes.js';

export interface IngestPlan {
  spec: StreamSpec;
  table: TableDef;
  rejectsTable: TableDef;
  date: BusinessDate;
  /** Arrival hours to read, and the subset this date owns. */
  readHours: Date[];
  ownedHours: Date[];
}

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
async function loadFileTable(ctx: JobContext, files: RawFile[], read: RawFile[], latenessHours: number): Promise<void> {
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

/** How one task takes part in a day: the whole day, one shard of its files, or the merge of N shards. */
export type ShardMode = { kind: 'single' } | { kind: 'shard'; k: number; n: number } | { kind: 'merge'; n: number };

/** The shard (0…n−1) a raw file belongs to: a stable hash of its name, so every task agrees. */
export function shardOf(sourceFile: string, n: number): number {
  return crypto.createHash('sha256').update(sourceFile).digest().readUInt32BE(0) % n;
}

const shardPrefix = (job: string, date: string, n: number, k: number) => `_shards/${job}/${date}/n=${n}/k=${k}`;

interface ShardMeta {
  runId: string;
  fingerprint: string;
  files: number;
  lines: number;
}

/** Shard mode: keeps the validated lines of this shard's files for the merge, publishes nothing. */
async function writeShard(ctx: JobContext, date: string, mode: { k: number; n: number }, fingerprint: string, files: number): Promise<number> {
  const local = path.join(ctx.scratch, 'shard-lines.parquet');
  const lines = await ctx.db.copyToParquet('SELECT * FROM ingest_lines', {}, local);
  const prefix = shardPrefix(ctx.job, date, mode.n, mode.k);
  await ctx.store.putFile(local, `${prefix}/lines.parquet`);
  const meta: ShardMeta = { runId: ctx.runId, fingerprint, files, lines };
  await ctx.store.writeText(`${prefix}/_meta.json`, JSON.stringify(meta));
  ctx.log.info({ event: 'shard.written', shard: `${mode.k}/${mode.n}`, files, lines }, `shard ${mode.k}/${mode.n}: ${lines} lines of ${files} files kept for the merge`);
  return lines;
}

/** Merge mode: the lines of all N shards, checked to come from the same raw window as this run sees. */
async function loadShards(ctx: JobContext, date: string, n: number, fingerprint: string): Promise<void> {
  const paths: string[] = [];
  for (let k = 0; k < n; k++) {
    const prefix = shardPrefix(ctx.job, date, n, k);
    const meta = await readJson<ShardMeta>(ctx.store, `${prefix}/_meta.json`);
    if (!meta) throw new MissingInputError(`shard ${k}/${n} of ${ctx.job} ${date} has not run; run it with --shard ${k}/${n}, then merge again`, { job: ctx.job, date });
    if (meta.fingerprint !== fingerprint) {
      throw new BadInputError(`the raw files of ${date} changed after shard ${k}/${n} ran (run ${meta.runId}); rerun all ${n} shards, then merge`, { job: ctx.job, date });
    }
    paths.push(...(await ctx.store.localPaths([`${prefix}/lines.parquet`], path.join(ctx.scratch, 'shards'))));
  }
  await ctx.db.setVariables({ ingest_shard_files: paths });
  await ctx.db.run(`CREATE OR REPLACE TEMP TABLE ingest_lines AS SELECT * FROM read_parquet(getvariable('ingest_shard_files'))`);
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

export interface IngestResult {
  counts: IngestCounts;
  files: number;
  rejectRate: number;
  upToDate: boolean;
}

/** The inputs a partition is built from: every raw object of the window with its size and change marker. */
export function ingestFingerprint(spec: StreamSpec, files: RawFile[], latenessHours: number, maxRejectRate: number, customerIdKey: string | null = null): string {
  const h = crypto.createHash('sha256');
  // A key change must rebuild: the key enters only as a keyed digest of a constant, never as itself.
  const keyId = customerIdKey ? crypto.createHmac('sha256', customerIdKey).update('ace-unit key id').digest('hex').slice(0, 16) : null;
  // The input limits too: a partition built before they applied is rebuilt under them.
  const limits = { id: ID_MAX_BYTES, name: NAME_MAX_BYTES, line: MAX_LINE_BYTES };
  h.update(JSON.stringify({ rule: RULE_VERSION, stream: spec.stream, latenessHours, maxRejectRate, fields: spec.fields, keyId, limits }));
  for (const f of files) h.update(`\n${f.sourceFile}\t${f.size}\t${f.version}\t${f.owned}`);
  return h.digest('hex');
}

/** Runs the ingest recipe and stages its partitions; throws BadInputError over the reject threshold. */
export async function ingest(ctx: JobContext, plan: IngestPlan): Promise<IngestResult> {
  const { spec, date } = plan;
  const files = await listRawFiles(ctx.services.raw, spec.stream, plan.readHours, plan.ownedHours);
  ctx.log.info({ event: 'raw.listed', files: files.length, hours: plan.readHours.length }, `reading ${files.length} raw files of ${spec.stream}`);
  const fingerprint = ingestFingerprint(spec, files, ctx.config.latenessHours, ctx.config.maxRejectRate, ctx.config.customerIdKey);
  const mode: ShardMode = ctx.flags.shard ?? { kind: 'single' };
  if (mode.kind !== 'shard' && (await ctx.isUpToDate(plan.table, date, fingerprint))) {
    const current = await ctx.currentFiles(plan.table, date);
    const counts = (current?.pointer.meta.counts ?? {}) as IngestCounts;
    return { counts, files: files.length, rejectRate: 0, upToDate: true };
  }
  const mine = mode.kind === 'shard' ? files.filter((f) => shardOf(f.sourceFile, mode.n) === mode.k) : mode.kind === 'merge' ? [] : files;
  // A zero-byte object (.gz or not) is an empty file: nothing to read (DuckDB cannot open an empty .gz).
  const read = mine.filter((f) => f.size > 0);
  await loadFileTable(ctx, files, read, ctx.config.latenessHours);
  const w = windowOf(date);
  const [start, end] = spec.dateField ? [w.startUtc.toISOString(), w.endUtc.toISOString()] : ['-infinity', 'infinity'];
  await ctx.db.setVariables({ ingest_start: start, ingest_end: end });
  if (mode.kind === 'merge') await loadShards(ctx, date, mode.n, fingerprint);
  else await readLines(ctx, plan, read);
  if (mode.kind === 'shard') {
    const lines = await writeShard(ctx, date, mode, fingerprint, mine.length);
    return { counts: { lines_read: lines } as IngestCounts, files: mine.length, rejectRate: 0, upToDate: false };
  }
  await ctx.db.run(renderIngestOutcome(spec));
  return finishIngest(ctx, plan, fingerprint, files.length);
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

/** Reads, validates and numbers the lines of `read` into ingest_lines, then checks every byte was read. */
async function readLines(ctx: JobContext, plan: IngestPlan, read: RawFile[]): Promise<void> {
  const { date, spec } = plan;
  const files = read;
  const local = await ctx.services.raw.store.localPaths(files.map((f) => f.key), path.join(ctx.scratch, 'raw'));
  const sources: ReadSource[] = files.map((file, i) => ({ file, path: local[i], gz: file.key.endsWith('.gz') }));
  const key = ctx.config.customerIdKey;
  if (key !== null) await ctx.db.setVariables(hmacPads(key));
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
      await ctx.db.setVariables({ ingest_paths: paths });
      await ctx.db.run(renderIngestRead(spec, { pseudonymise: key !== null }));
      break;
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
          for (const t of todo) await rewriteLineEnds(ctx, date, t, sources.indexOf(t));
          continue;
        }
      }
      const bad = await findUnreadable(ctx, files, paths);
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
  const [prep, view] = renderIngestLines(spec, false);
  await ctx.db.run(prep);
  const [{ refused }] = await ctx.db.all<{ refused: number }>(`SELECT count(*)::INTEGER AS refused FROM ingest_refused`);
  await ctx.db.run(refused > 0 ? renderIngestLines(spec, true)[1] : view);
  await checkBytes(ctx, date, sources);
}

/** Rewrites a file that holds `\r` into scratch with `\n` line ends (src/runtime/rawBytes.ts), failing on a line over the limit. */
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

/** Counts, the reject-rate check and staging, once dedup and the date filter (ingest_outcome.sql) ran. */
async function finishIngest(ctx: JobContext, plan: IngestPlan, fingerprint: string, fileCount: number): Promise<IngestResult> {
  const { spec, date } = plan;
  const [countsRow] = await ctx.db.all<Record<string, string | number>>(renderIngestCounts());
  const counts = Object.fromEntries(Object.entries(countsRow).map(([k, v]) => [k, Number(v)])) as unknown as IngestCounts;
  const rejectRate = counts.owned_nonblank === 0 ? 0 : counts.owned_rejected / counts.owned_nonblank;
  ctx.log.info({ event: 'rejects.counted', ...plain(counts), reject_rate: rejectRate }, `${spec.stream}: ${counts.kept} kept, ${counts.owned_rejected} rejected, ${counts.duplicates} duplicates, ${counts.other_date} other dates, ${counts.too_late} too late`);
  if (counts.too_late > 0) {
    ctx.warn(`${counts.too_late} ${spec.stream} events arrived after their date's window had closed (lateness ${ctx.config.latenessHours} h) and can never reach a partition; see the run summary`, { too_late: counts.too_late });
  }

  if (rejectRate > ctx.config.maxRejectRate) {
    const examples = await ctx.db.all<{ source_file: string; line_number: number; reason: string; field: string | null }>(
      `SELECT source_file, line_number, reason, field FROM (${renderIngestRejects()}) WHERE reason <> 'conflicting_duplicate' LIMIT 3`,
      { run_id: ctx.runId, dt: date },
    );
    const where = examples.map((e) => `${e.source_file}:${e.line_number} ${e.reason}${e.field ? `(${e.field})` : ''}`).join('; ');
    throw new BadInputError(
      `${counts.owned_rejected} of ${counts.owned_nonblank} ${spec.stream} lines in the hours ${date} owns were rejected (${(rejectRate * 100).toFixed(2)}% > ACE_MAX_REJECT_RATE ${(ctx.config.maxRejectRate * 100).toFixed(2)}%); nothing was published. First: ${where}. Fix the producer or the files, or raise ACE_MAX_REJECT_RATE deliberately, then rerun`,
      { job: ctx.job, date },
    );
  }

  // The rejects first, the table last: the table's pointer (with the fingerprint) marks the run complete.
  await ctx.stage(plan.rejectsTable, date, renderIngestRejects(), { run_id: ctx.runId, dt: date });
  await ctx.db.run(renderIngestKeptRows(spec));
  await ctx.stage(plan.table, date, renderIngestKept(spec, plan.table.partitionKey), { run_id: ctx.runId, dt: date }, { fingerprint, meta: { counts, files: fileCount } });
  await ctx.db.run('DROP TABLE IF EXISTS ingest_kept_rows');
  return { counts, files: fileCount, rejectRate, upToDate: false };
}

/** Declares a raw-stream job: its stream, its tables and which arrival hours it reads and owns. */
export function ingestJob(def: {
  name: JobName;
  description: string;
  spec: StreamSpec;
  table: TableDef;
  rejectsTable: TableDef;
  hours: (date: BusinessDate, latenessHours: number) => { read: Date[]; owned: Date[] };
}): JobDefinition & { ingest: { spec: StreamSpec; table: TableDef; hours: (date: BusinessDate, latenessHours: number) => { read: Date[]; owned: Date[] } } } {
  return {
    ingest: { spec: def.spec, table: def.table, hours: def.hours },
    name: def.name,
    period: 'date',
    description: def.description,
    async run(ctx) {
      const date = ctx.period.date as BusinessDate;
      const hours = def.hours(date, ctx.config.latenessHours);
      const r = await ingest(ctx, { spec: def.spec, table: def.table, rejectsTable: def.rejectsTable, date, readHours: hours.read, ownedHours: hours.owned });
      return { rows: r.counts.kept ?? 0, upToDate: r.upToDate, details: { ...r.counts, files: r.files, reject_rate: r.rejectRate } };
    },
  };
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
