/**
 * The recipe of the three raw-stream jobs. Inputs: the raw objects of the arrival-hour window (listed,
 * not downloaded) and their fingerprint. Build: read and validate the lines (src/run/raw.ts), then
 * deduplicate and date-filter them (src/sql/ingest_outcome.sql), check the reject rate, and stage the
 * `<stream>_rejects` partition, then the table partition (the marker). Scale-out (docs/decisions.md,
 * "Scale-out by shards"): `--route N` routes the window's raw lines by notification_id (src/run/route.ts),
 * shard k deduplicates its routed lines and writes its parts, the merge publishes the parts (or, when an
 * event_id sits in two shards, deduplicates every shard's lines itself).
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
import { readShardMetas, writeShardParts } from '../../src/run/shards.js';
import { readRoutedLines, routeHours, routingOf, sharedKeys } from '../../src/run/route.js';
import { checkAnomalies, historyStart, isWatchedStream, streamSeries } from './anomaly-checks.js';

/** Which arrival hours a date reads, and the subset it owns (SPEC "Raw input"). */
export type HoursOf = (date: BusinessDate, latenessHours: number) => { read: Date[]; owned: Date[] };

export interface IngestInputs extends JobInputs {
  fingerprint: string;
  date: BusinessDate;
  /** The arrival hours the date reads. */
  hours: Date[];
  /** Every raw object of the window, in arrival order (hour, then key). */
  files: RawFile[];
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
    routed: def.shardable && spec.key !== null,
    marker: (p) => ({ table, value: dateOf(p) }),
    upToDate: (pointer) => {
      const counts = (pointer.meta.counts ?? {}) as IngestCounts;
      return { rows: counts.kept ?? 0, details: { ...counts, files: pointer.meta.files, reject_rate: 0 } };
    },
    async inputs(services, p) {
      const date = dateOf(p);
      const hours = def.hours(date, services.config.latenessHours);
      const files = await listRawFiles(services.raw, spec.stream, hours.read, hours.owned);
      return { date, hours: hours.read, files, fingerprint: ingestFingerprint(spec, files, services.config) };
    },
    async build(ctx, { date, hours, files, fingerprint }) {
      ctx.log.info({ event: 'raw.listed', files: files.length }, `reading ${files.length} raw files of ${spec.stream}`);
      const mode = ctx.shard;
      const routing = routingOf(ingestFingerprint(spec, [], ctx.config));
      const w = windowOf(date);
      const [start, end] = spec.dateField ? [w.startUtc.toISOString(), w.endUtc.toISOString()] : ['-infinity', 'infinity'];
      await ctx.db.setVariables({ ingest_start: start, ingest_end: end });
      // A zero-byte object (.gz or not) is an empty file: nothing to read (DuckDB cannot open an empty .gz).
      const read = mode.kind === 'single' ? files.filter((f) => f.size > 0) : [];
      await loadFileTable(ctx, files, read, ctx.config.latenessHours);
      switch (mode.kind) {
        case 'route': {
          // The hourly schedule routes one arrival hour (--hour-ending); the sharded graph, the date's window.
          const routed = await routeHours(ctx, spec, date, files, mode.hour ? [mode.hour] : hours, mode.n, routing);
          return { rows: 0, details: { ...routed, shards: mode.n } };
        }
        case 'shard': {
          const { claims } = await readRoutedLines(ctx, spec, date, files, hours, mode.n, [mode.k], routing);
          return writeShard(ctx, def, date, mode, fingerprint, await sharedKeys(ctx, claims));
        }
        case 'merge': {
          const merged = await mergeShards(ctx, def, date, files, mode.n, fingerprint);
          if (merged) return merged;
          // An event_id held by several shards (copies with different notification_ids): dedup here, exactly.
          await readRoutedLines(ctx, spec, date, files, hours, mode.n, [...Array(mode.n).keys()], routing);
          break;
        }
        case 'single':
          await readRawLines(ctx, spec, date, read);
          break;
      }
      await ctx.db.run(renderIngestOutcome(spec));
      const counts = await countLines(ctx, spec);
      await checkCounts(ctx, spec, date, counts, `SELECT source_file, line_number, reason, field FROM (${renderIngestRejects()})`);
      // The rejects first, the table last: the table's pointer (with the fingerprint) marks the run complete.
      const params = { run_id: ctx.runId, dt: date };
      await ctx.stage(rejectsTable, date, renderIngestRejects(), params);
      // The kept rows are materialised, then sorted and written (docs/performance.md, "The sorted write").
      await ctx.db.run(renderIngestKeptRows(spec));
      await ctx.stage(table, date, renderIngestKept(spec, table.partitionKey), params, { fingerprint, meta: { counts, files: files.length, raw_files: rawFileRecords(files, await linesPerFile(ctx)) } });
      await ctx.db.run('DROP TABLE IF EXISTS ingest_kept_rows');
      return finish(ctx, spec, date, counts, files.length, mode.kind === 'merge' ? { merge: 'dedup' } : {});
    },
  });
  return Object.assign(job, { ingest: { spec, table, hours: def.hours } });
}

/** Physical lines read per file of the window (by its index), from ingest_lines. */
async function linesPerFile(ctx: JobContext): Promise<Map<number, number>> {
  const rows = await ctx.db.all<{ file_index: number; lines: number }>(`SELECT file_index, count(*)::INTEGER AS lines FROM ingest_lines GROUP BY ALL`);
  return new Map(rows.map((r) => [Number(r.file_index), Number(r.lines)]));
}

/** The window's files as the month-close certificate lists them (steps/certificate.ts): key, size, change marker, physical lines read. */
function rawFileRecords(files: RawFile[], lines: Map<number, number>): { key: string; size: number; version: string; lines: number }[] {
  return files.map((f, i) => ({ key: f.sourceFile, size: f.size, version: f.version, lines: lines.get(i) ?? 0 }));
}

/** The run summary's details and the anomaly checks, once the day's counts are final. */
async function finish(ctx: JobContext, spec: StreamSpec, date: BusinessDate, counts: IngestCounts, files: number, extra: Record<string, unknown> = {}) {
  const rejectRate = counts.owned_nonblank === 0 ? 0 : counts.owned_rejected / counts.owned_nonblank;
  // Anomaly checks (steps/anomaly-checks.ts): this date's counts against the stream's history.
  const anomalies = isWatchedStream(spec.stream) ? await checkAnomalies(ctx, await streamSeries(ctx, spec.stream, historyStart(date), date, { date, counts: counts as unknown as Record<string, number> }), [date]) : [];
  return { rows: counts.kept ?? 0, details: { ...counts, files, reject_rate: rejectRate, anomalies, ...extra } };
}

type IngestDef = { spec: StreamSpec; table: TableDef; rejectsTable: TableDef };

/** The parts a shard writes: its kept rows (sorted) and its rejects. */
const SHARD_PARTS = ['kept', 'rejects'] as const;

/**
 * Shard mode: dedup and date-filter the shard's routed lines, then write its parts and counts for the
 * merge, with `shared`: the keys of its claims bucket that other shards hold too (route.ts, sharedKeys).
 */
async function writeShard(ctx: JobContext, def: IngestDef, date: BusinessDate, mode: { k: number; n: number }, fingerprint: string, shared: number) {
  const { spec, table, rejectsTable } = def;
  await ctx.db.run(renderIngestOutcome(spec));
  const counts = await countLines(ctx, spec);
  await ctx.db.run(renderIngestKeptRows(spec));
  const columns = (t: TableDef) => t.columns.map((c) => c.name).join(', ');
  const parts: Record<(typeof SHARD_PARTS)[number], string> = {
    kept: `SELECT ${columns(table)} FROM (${renderIngestKept(spec, table.partitionKey)})`,
    rejects: `SELECT ${columns(rejectsTable)} FROM (${renderIngestRejects()})`,
  };
  const lines = [...(await linesPerFile(ctx)).entries()];
  const { rows } = await writeShardParts(ctx, date, mode, fingerprint, parts, { run_id: ctx.runId, dt: date }, { counts, lines, shared });
  return { rows: 0, details: { ...counts, kept_rows: rows.kept, shared_keys: shared, shard: `${mode.k}/${mode.n}` } };
}

/**
 * Merge mode: when no key hash is held by two shards (the usual case: copies of an event share its
 * notification_id, so its shard; each shard checked its claims bucket), the shards' parts are the day:
 * their counts add up, and the day is published as one pointer swap over their parts. Otherwise null:
 * the caller deduplicates the routed lines of every shard in this task (exact, and as costly as a
 * single task).
 */
async function mergeShards(ctx: JobContext, def: IngestDef, date: BusinessDate, files: RawFile[], n: number, fingerprint: string) {
  const { spec, table, rejectsTable } = def;
  const { metas, keys } = await readShardMetas(ctx, date, n, fingerprint, SHARD_PARTS);
  const shared = metas.reduce((a, m) => a + Number((m.details as { shared?: number }).shared ?? 0), 0);
  if (shared > 0) {
    ctx.log.info({ event: 'merge.shared_keys', shared }, `${shared} event_id hash(es) are held by more than one shard (copies with different notification_ids): deduplicating the whole day in the merge`);
    return null;
  }
  const counts = {} as Record<string, number>;
  const lines = new Map<number, number>();
  for (const m of metas) {
    const d = m.details as { counts: Record<string, number>; lines: [number, number][] };
    for (const [c, v] of Object.entries(d.counts)) counts[c] = (counts[c] ?? 0) + v;
    for (const [i, l] of d.lines) lines.set(i, (lines.get(i) ?? 0) + l);
  }
  const total = counts as unknown as IngestCounts;
  await ctx.db.setVariables({ ingest_shard_rejects: await ctx.fetch({ files: keys.rejects }, 'rejects') });
  await checkCounts(ctx, spec, date, total, `SELECT source_file, line_number, reason, field FROM read_parquet(getvariable('ingest_shard_rejects'), hive_partitioning = false)`);
  const sum = (part: string) => metas.reduce((a, m) => a + (m.rows[part] ?? 0), 0);
  ctx.stageParts(rejectsTable, date, keys.rejects, sum('rejects'));
  ctx.stageParts(table, date, keys.kept, sum('kept'), { fingerprint, meta: { counts: total, files: files.length, raw_files: rawFileRecords(files, lines), shards: n } });
  return finish(ctx, spec, date, total, files.length, { merge: 'parts' });
}

function dateOf(p: Period): BusinessDate {
  if (p.kind !== 'date') throw new Error(`an ingest job takes a date, not ${p.kind}`);
  return p.date;
}

/** The run's counts, once dedup and the date filter (ingest_outcome.sql) ran. */
async function countLines(ctx: JobContext, spec: StreamSpec): Promise<IngestCounts> {
  const [countsRow] = await ctx.db.all<Record<string, string | number>>(renderIngestCounts());
  const counts = Object.fromEntries(Object.entries(countsRow).map(([k, v]) => [k, Number(v)])) as unknown as IngestCounts;
  ctx.log.info({ event: 'rejects.counted', ...plain(counts) }, `${spec.stream}: ${counts.kept} kept, ${counts.owned_rejected} rejected, ${counts.duplicates} duplicates, ${counts.other_date} other dates, ${counts.too_late} too late`);
  return counts;
}

/** The day's checks: too-late events warn; a reject rate over the limit fails the run, naming the first rejects (from `rejectsSql`, whose rows bind $run_id and $dt). */
async function checkCounts(ctx: JobContext, spec: StreamSpec, date: BusinessDate, counts: IngestCounts, rejectsSql: string): Promise<void> {
  const rejectRate = counts.owned_nonblank === 0 ? 0 : counts.owned_rejected / counts.owned_nonblank;
  if (counts.too_late > 0) {
    ctx.warn(`${counts.too_late} ${spec.stream} events arrived after their date's window had closed (lateness ${ctx.config.latenessHours} h) and can never reach a partition; see the run summary`, { too_late: counts.too_late });
  }
  if (rejectRate > ctx.config.maxRejectRate) {
    const examples = await ctx.db.all<{ source_file: string; line_number: number; reason: string; field: string | null }>(
      `SELECT source_file, line_number, reason, field FROM (${rejectsSql}) WHERE reason <> 'conflicting_duplicate' ORDER BY source_file, line_number LIMIT 3`,
      { run_id: ctx.runId, dt: date },
    );
    const where = examples.map((e) => `${e.source_file}:${e.line_number} ${e.reason}${e.field ? `(${e.field})` : ''}`).join('; ');
    throw new BadInputError(
      `${counts.owned_rejected} of ${counts.owned_nonblank} ${spec.stream} lines in the hours ${date} owns were rejected (${(rejectRate * 100).toFixed(2)}% > ACE_MAX_REJECT_RATE ${(ctx.config.maxRejectRate * 100).toFixed(2)}%); nothing was published. First: ${where}. Fix the producer or the files, or raise ACE_MAX_REJECT_RATE deliberately, then rerun`,
      { job: ctx.job, date },
    );
  }
}
