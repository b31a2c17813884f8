/**
 * The recipe of the three raw-stream jobs. Inputs: the raw objects of the arrival-hour window (listed,
 * not downloaded) and their fingerprint. Build: read and validate the lines (src/run/raw.ts), then
 * deduplicate and date-filter them (src/sql/ingest_outcome.sql), check the reject rate, and stage the
 * `<stream>_rejects` partition, then the table partition (the marker). Shards split a day by raw file:
 * each shard reads its files into lines; the merge deduplicates and publishes.
 */
import crypto from 'node:crypto';
import { BadInputError } from '../../src/errors.js';
import { plain } from '../../src/log.js';
import { BusinessDate, windowOf } from '../../src/time/time.js';
import { IngestCounts, StreamSpec, renderIngestCounts, renderIngestKept, renderIngestKeptRows, renderIngestOutcome, renderIngestRejects } from '../../src/sql/ingest.js';
import { TableDef } from '../../src/rules/tables.js';
import { ID_MAX_BYTES, NAME_MAX_BYTES, RULE_VERSION } from '../../src/rules/ace.js';
import { Config } from '../../src/config/config.js';
import { JobContext } from '../../src/run/context.js';
import { Job, JobInputs, Period, defineJob } from '../../src/run/job.js';
import { MAX_LINE_BYTES } from '../../src/run/rawBytes.js';
import { RawFile, listRawFiles, loadFileTable, readRawLines } from '../../src/run/raw.js';
import { readShardParts, writeShardParts } from '../../src/run/shards.js';
import { checkAnomalies, historyStart, isWatchedStream, streamSeries } from './anomaly-checks.js';

/** Which arrival hours a date reads, and the subset it owns (SPEC "Raw input"). */
export type HoursOf = (date: BusinessDate, latenessHours: number) => { read: Date[]; owned: Date[] };

export interface IngestInputs extends JobInputs {
  fingerprint: string;
  date: BusinessDate;
  /** Every raw object of the window, in arrival order (hour, then key). */
  files: RawFile[];
}

/** The shard (0…n−1) a raw file belongs to: a stable hash of its name, so every task agrees. */
export function shardOf(sourceFile: string, n: number): number {
  return crypto.createHash('sha256').update(sourceFile).digest().readUInt32BE(0) % n;
}

/** The inputs a partition is built from: every raw object of the window with its size and change marker. */
export function ingestFingerprint(spec: StreamSpec, files: RawFile[], config: Pick<Config, 'latenessHours' | 'maxRejectRate' | 'customerIdKey'>): string {
  const h = crypto.createHash('sha256');
  // A key change must rebuild: the key enters only as a keyed digest of a constant, never as itself.
  const keyId = config.customerIdKey ? crypto.createHmac('sha256', config.customerIdKey).update('ace-unit key id').digest('hex').slice(0, 16) : null;
  // The input limits too: a partition built before they applied is rebuilt under them.
  const limits = { id: ID_MAX_BYTES, name: NAME_MAX_BYTES, line: MAX_LINE_BYTES };
  h.update(JSON.stringify({ rule: RULE_VERSION, stream: spec.stream, latenessHours: config.latenessHours, maxRejectRate: config.maxRejectRate, fields: spec.fields, keyId, limits }));
  for (const f of files) h.update(`\n${f.sourceFile}\t${f.size}\t${f.version}\t${f.owned}`);
  return h.digest('hex');
}

/** A raw-stream job's declaration, with its stream, table and arrival hours (the certificate reads them). */
export type IngestJob = Job<IngestInputs> & { ingest: { spec: StreamSpec; table: TableDef; hours: HoursOf } };

/** Declares a raw-stream job: its stream, its tables and which arrival hours it reads and owns. */
export function ingestJob(def: { name: string; description: string; spec: StreamSpec; table: TableDef; rejectsTable: TableDef; hours: HoursOf; shardable: boolean }): IngestJob {
  const { spec, table, rejectsTable } = def;
  const job = defineJob<IngestInputs>({
    name: def.name,
    period: 'date',
    description: def.description,
    outputs: [rejectsTable, table],
    shardable: def.shardable,
    marker: (p) => ({ table, value: dateOf(p) }),
    upToDate: (pointer) => {
      const counts = (pointer.meta.counts ?? {}) as IngestCounts;
      return { rows: counts.kept ?? 0, details: { ...counts, files: pointer.meta.files, reject_rate: 0 } };
    },
    async inputs(services, p) {
      const date = dateOf(p);
      const hours = def.hours(date, services.config.latenessHours);
      const files = await listRawFiles(services.raw, spec.stream, hours.read, hours.owned);
      return { date, files, fingerprint: ingestFingerprint(spec, files, services.config) };
    },
    async build(ctx, { date, files, fingerprint }) {
      ctx.log.info({ event: 'raw.listed', files: files.length }, `reading ${files.length} raw files of ${spec.stream}`);
      const mode = ctx.shard;
      const mine = mode.kind === 'shard' ? files.filter((f) => shardOf(f.sourceFile, mode.n) === mode.k) : mode.kind === 'merge' ? [] : files;
      // A zero-byte object (.gz or not) is an empty file: nothing to read (DuckDB cannot open an empty .gz).
      const read = mine.filter((f) => f.size > 0);
      await loadFileTable(ctx, files, read, ctx.config.latenessHours);
      const w = windowOf(date);
      const [start, end] = spec.dateField ? [w.startUtc.toISOString(), w.endUtc.toISOString()] : ['-infinity', 'infinity'];
      await ctx.db.setVariables({ ingest_start: start, ingest_end: end });
      if (mode.kind === 'merge') {
        const { lines } = await readShardParts(ctx, date, mode.n, fingerprint, ['lines'] as const);
        await ctx.db.setVariables({ ingest_shard_files: lines });
        await ctx.db.run(`CREATE OR REPLACE TEMP TABLE ingest_lines AS SELECT * FROM read_parquet(getvariable('ingest_shard_files'))`);
      } else await readRawLines(ctx, spec, date, read);
      if (mode.kind === 'shard') {
        const rows = await writeShardParts(ctx, date, mode, fingerprint, { lines: 'SELECT * FROM ingest_lines' });
        return { rows: 0, details: { lines_read: rows.lines, files: mine.length, shard: `${mode.k}/${mode.n}` } };
      }
      await ctx.db.run(renderIngestOutcome(spec));
      const counts = await countAndCheck(ctx, spec, date);
      // The rejects first, the table last: the table's pointer (with the fingerprint) marks the run complete.
      const params = { run_id: ctx.runId, dt: date };
      await ctx.stage(rejectsTable, date, renderIngestRejects(), params);
      // The kept rows are materialised, then sorted and written (docs/performance.md, "The sorted write").
      await ctx.db.run(renderIngestKeptRows(spec));
      await ctx.stage(table, date, renderIngestKept(spec, table.partitionKey), params, { fingerprint, meta: { counts, files: files.length, raw_files: await rawFileRecords(ctx, files) } });
      await ctx.db.run('DROP TABLE IF EXISTS ingest_kept_rows');
      const rejectRate = counts.owned_nonblank === 0 ? 0 : counts.owned_rejected / counts.owned_nonblank;
      // Anomaly checks (steps/anomaly-checks.ts): this date's counts against the stream's history.
      const anomalies = isWatchedStream(spec.stream) ? await checkAnomalies(ctx, await streamSeries(ctx, spec.stream, historyStart(date), date, { date, counts: counts as unknown as Record<string, number> }), [date]) : [];
      return { rows: counts.kept ?? 0, details: { ...counts, files: files.length, reject_rate: rejectRate, anomalies } };
    },
  });
  return Object.assign(job, { ingest: { spec, table, hours: def.hours } });
}

/** The window's files as the month-close certificate lists them (steps/certificate.ts): key, size, change marker, physical lines read. */
async function rawFileRecords(ctx: JobContext, files: RawFile[]): Promise<{ key: string; size: number; version: string; lines: number }[]> {
  const rows = await ctx.db.all<{ file_index: number; lines: number }>(`SELECT file_index, count(*)::INTEGER AS lines FROM ingest_lines GROUP BY ALL`);
  const lines = new Map(rows.map((r) => [Number(r.file_index), Number(r.lines)]));
  return files.map((f, i) => ({ key: f.sourceFile, size: f.size, version: f.version, lines: lines.get(i) ?? 0 }));
}

function dateOf(p: Period): BusinessDate {
  if (p.kind !== 'date') throw new Error(`an ingest job takes a date, not ${p.kind}`);
  return p.date;
}

/** Counts, and the reject-rate check, once dedup and the date filter (ingest_outcome.sql) ran. */
async function countAndCheck(ctx: JobContext, spec: StreamSpec, date: BusinessDate): Promise<IngestCounts> {
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
  return counts;
}
