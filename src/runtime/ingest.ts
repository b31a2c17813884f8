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
import { BadInputError } from '../errors.js';
import { plain } from '../log.js';
import { BusinessDate, hourPath, tooLateBefore, windowOf } from '../time/time.js';
import { IngestCounts, StreamSpec, renderIngestCounts, renderIngestKept, renderIngestPrepare, renderIngestRejects } from '../sql/ingest.js';
import { TableDef } from '../rules/tables.js';
import { RULE_VERSION } from '../rules/ace.js';
import { JobContext, RawSource } from './context.js';
import { ObjectStore } from '../lake/objectStore.js';
import { JobDefinition } from './job.js';
import { JobName } from '../graph/graph.js';

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

async function loadFileTable(ctx: JobContext, files: RawFile[], latenessHours: number): Promise<void> {
  await ctx.db.run(`CREATE OR REPLACE TEMP TABLE ingest_files_raw (file_index DOUBLE, source_file VARCHAR, arrival_hour VARCHAR, owned BOOLEAN, too_late_before VARCHAR)`);
  await ctx.db.append(
    'ingest_files_raw',
    files.map((f, i) => [i, f.sourceFile, f.arrivalHour.toISOString(), f.owned, tooLateBefore(f.arrivalHour, latenessHours).toISOString()]),
  );
  await ctx.db.run(`CREATE OR REPLACE TEMP TABLE ingest_files AS
    SELECT file_index::INTEGER AS file_index, source_file, arrival_hour::TIMESTAMPTZ AS arrival_hour, owned,
           too_late_before::TIMESTAMPTZ AS too_late_before
    FROM ingest_files_raw`);
}

/**
 * DuckDB's gzip reader returns the lines before a truncation without an error, which would lose the
 * rest of the file silently; so every .gz file is first checked end to end (stream, CRC and trailer).
 */
async function assertGzipComplete(ctx: JobContext, files: RawFile[], paths: string[], date: string): Promise<void> {
  const gz = paths.map((p, i) => ({ p, file: files[i] })).filter((x) => x.p.endsWith('.gz'));
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < gz.length) {
      const { p, file } = gz[next++];
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
  };
  await Promise.all([worker(), worker()]);
}

/** Finds which file DuckDB could not read, by reading them one at a time (only on the failure path). */
async function findUnreadable(ctx: JobContext, files: RawFile[], paths: string[]): Promise<{ file: RawFile; error: string } | null> {
  for (const [i, p] of paths.entries()) {
    try {
      await ctx.db.run(
        `SELECT count(*) FROM read_csv($p, columns = {'line': 'VARCHAR'}, header = false, auto_detect = false, delim = E'\\x01\\x02', quote = '', escape = '', new_line = '\\n', max_line_size = 16777216, store_rejects = true)`,
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
  if (await ctx.isUpToDate(plan.table, date, fingerprint)) {
    const current = await ctx.currentFiles(plan.table, date);
    const counts = (current?.pointer.meta.counts ?? {}) as IngestCounts;
    return { counts, files: files.length, rejectRate: 0, upToDate: true };
  }
  let paths = await ctx.services.raw.store.localPaths(files.map((f) => f.key), path.join(ctx.scratch, 'raw'));
  await loadFileTable(ctx, files, ctx.config.latenessHours);
  await assertGzipComplete(ctx, files, paths, date);
  if (paths.length === 0) {
    // read_csv needs at least one file: an empty placeholder gives the same (empty) result.
    const empty = path.join(ctx.scratch, 'empty.ndjson');
    fs.writeFileSync(empty, '');
    paths = [empty];
  }

  const w = windowOf(date);
  const [start, end] = spec.dateField ? [w.startUtc.toISOString(), w.endUtc.toISOString()] : ['-infinity', 'infinity'];
  const key = ctx.config.customerIdKey;
  const [readSql, linesSql, outcomeSql] = renderIngestPrepare(spec, { pseudonymise: key !== null });
  if (key !== null) await ctx.db.setVariables(hmacPads(key));
  try {
    await ctx.db.setVariables({ ingest_paths: paths, ingest_start: start, ingest_end: end });
    await ctx.db.run(readSql);
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
  await ctx.db.run(linesSql);
  await ctx.db.run(outcomeSql);

  const [countsRow] = await ctx.db.all<Record<string, string | number>>(renderIngestCounts(spec));
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
  await ctx.stage(plan.table, date, renderIngestKept(spec, plan.table.partitionKey), { run_id: ctx.runId, dt: date }, { fingerprint, meta: { counts, files: files.length } });
  return { counts, files: files.length, rejectRate, upToDate: false };
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
