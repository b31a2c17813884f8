/**
 * The shared recipe of the three raw-stream jobs: list the arrival-hour window, let DuckDB read,
 * validate, number, deduplicate and date-filter the lines (src/sql/ingest_*.sql), check the reject
 * rate, and stage the table partition plus the `<stream>_rejects` partition.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import zlib from 'node:zlib';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import path from 'node:path';
import { BadInputError, MissingInputError } from '../errors.js';
import { plain } from '../log.js';
import { BusinessDate, hourPath, tooLateBefore, windowOf } from '../time/time.js';
import { IngestCounts, StreamSpec, renderIngestCounts, renderIngestKept, renderIngestLines, renderIngestOutcome, renderIngestRead, renderIngestRejects } from '../sql/ingest.js';
import { TableDef } from '../rules/tables.js';
import { RULE_VERSION } from '../rules/ace.js';
import { loadSql } from '../sql/sql.js';
import { JobContext, RawSource } from './context.js';
import { ObjectStore } from '../lake/objectStore.js';
import { JobDefinition } from './job.js';
import { JobName } from '../graph/graph.js';
import { readJson } from '../lake/json.js';

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
      return objects.map((o) => ({ ...o, sourceFile: `raw/${o.key.slice(raw.prefix.length)}`, arrivalHour: h, owned: ownedSet.has(h.getTime()) }));
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

/**
 * DuckDB's gzip reader returns the lines before a truncation without an error, which would lose the
 * rest of a file silently. So each .gz file's trailer (ISIZE: the uncompressed size mod 2^32) is
 * compared with the bytes DuckDB returned for it (lines plus newlines); only a file that does not
 * match (damaged, multi-member, or with lines the reader refused) is decompressed end to end by zlib,
 * and fails the job, naming it, when its stream is damaged.
 */
async function verifyGzip(ctx: JobContext, files: RawFile[], paths: string[], date: string): Promise<void> {
  const gz = paths.map((p, i) => ({ p, i, file: files[i] })).filter((x) => x.p.endsWith('.gz'));
  if (gz.length === 0) return;
  const read = await ctx.db.all<{ read_index: number; bytes: number; lines: number }>(
    `SELECT read_index, (sum(line_bytes) + count(*))::BIGINT AS bytes, count(*)::BIGINT AS lines FROM ingest_read GROUP BY read_index`,
  );
  const refused = new Set((await ctx.db.all<{ read_index: number }>(`SELECT DISTINCT read_index FROM ingest_refused`)).map((r) => Number(r.read_index)));
  const seen = new Map(read.map((r) => [Number(r.read_index), Number(r.bytes)]));
  const suspects = gz.filter(({ p, i }) => {
    if (refused.has(i)) return true;
    const bytes = seen.get(i) ?? 0;
    const isize = gzipTrailerSize(p);
    // The last line may lack its newline: accept the count with and without it.
    return isize === null || (isize !== bytes % 2 ** 32 && isize !== (bytes - 1 + 2 ** 32) % 2 ** 32);
  });
  for (const { p, file } of suspects) {
    try {
      await pipeline(fs.createReadStream(p), zlib.createGunzip({ chunkSize: 1 << 20 }), new Writable({ write: (_c, _e, cb) => cb() }));
    } catch (err) {
      throw new BadInputError(
        `cannot read raw file ${ctx.services.raw.store.describe(file.key)} (${(err as Error).message}): the gzip stream is damaged, so its lines cannot be counted and nothing was published. Replace or remove the file, then rerun`,
        { job: ctx.job, date, path: file.sourceFile },
        { cause: err },
      );
    }
  }
}

/** The ISIZE field of a gzip file (last 4 bytes, little-endian), or null for a file too short to have one. */
function gzipTrailerSize(file: string): number | null {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    if (size < 18) return null;
    const buf = Buffer.alloc(4);
    fs.readSync(fd, buf, 0, 4, size - 4);
    return buf.readUInt32LE(0);
  } finally {
    fs.closeSync(fd);
  }
}

/** Finds which file DuckDB could not read, by reading them one at a time (only on the failure path). */
async function findUnreadable(ctx: JobContext, files: RawFile[], paths: string[]): Promise<{ file: RawFile; error: string } | null> {
  for (const [i, p] of paths.entries()) {
    try {
      await ctx.db.run(
        `SELECT count(*) FROM read_csv($p, columns = {'line': 'VARCHAR'}, header = false, auto_detect = false, delim = E'\\x01\\x02', quote = '', escape = '', new_line = '\\n', max_line_size = 4194304, buffer_size = 33554432, store_rejects = true)`,
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
  h.update(JSON.stringify({ rule: RULE_VERSION, stream: spec.stream, latenessHours, maxRejectRate, fields: spec.fields, keyId }));
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
  const read = mode.kind === 'shard' ? files.filter((f) => shardOf(f.sourceFile, mode.n) === mode.k) : mode.kind === 'merge' ? [] : files;
  await loadFileTable(ctx, files, read, ctx.config.latenessHours);
  const w = windowOf(date);
  const [start, end] = spec.dateField ? [w.startUtc.toISOString(), w.endUtc.toISOString()] : ['-infinity', 'infinity'];
  await ctx.db.setVariables({ ingest_start: start, ingest_end: end });
  if (mode.kind === 'merge') await loadShards(ctx, date, mode.n, fingerprint);
  else await readLines(ctx, plan, read);
  if (mode.kind === 'shard') {
    const lines = await writeShard(ctx, date, mode, fingerprint, read.length);
    return { counts: { lines_read: lines } as IngestCounts, files: read.length, rejectRate: 0, upToDate: false };
  }
  await ctx.db.run(renderIngestOutcome(spec));
  return finishIngest(ctx, plan, fingerprint, files.length);
}

/** Reads, validates and numbers the lines of `read` into ingest_lines. */
async function readLines(ctx: JobContext, plan: IngestPlan, read: RawFile[]): Promise<void> {
  const { date, spec } = plan;
  const files = read;
  let paths = await ctx.services.raw.store.localPaths(files.map((f) => f.key), path.join(ctx.scratch, 'raw'));
  const gzPaths = paths;
  if (paths.length === 0) {
    // read_csv needs at least one file: an empty placeholder gives the same (empty) result.
    const empty = path.join(ctx.scratch, 'empty.ndjson');
    fs.writeFileSync(empty, '');
    paths = [empty];
  }

  const key = ctx.config.customerIdKey;
  if (key !== null) await ctx.db.setVariables(hmacPads(key));
  try {
    await ctx.db.setVariables({ ingest_paths: paths });
    await ctx.db.run(renderIngestRead(spec, { pseudonymise: key !== null }));
  } catch (err) {
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
  const [prep, view] = renderIngestLines(spec, false);
  await ctx.db.run(prep);
  const [{ refused }] = await ctx.db.all<{ refused: number }>(`SELECT count(*)::INTEGER AS refused FROM ingest_refused`);
  await ctx.db.run(refused > 0 ? renderIngestLines(spec, true)[1] : view);
  await verifyGzip(ctx, files, gzPaths, date);
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
  await ctx.stage(plan.table, date, renderIngestKept(spec, plan.table.partitionKey), { run_id: ctx.runId, dt: date }, { fingerprint, meta: { counts, files: fileCount } });
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
