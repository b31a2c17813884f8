/**
 * Routing, the first step of scale-out for the event streams (docs/performance.md, "Scale-out"). A
 * route task (`--route N`) reads each arrival hour of a date's window once, the way a single task reads
 * it (src/run/raw.ts: CRLF, gzip, byte accounting, validation), and writes its numbered, validated lines
 * into N parts by `hash(notification_id) % N`, the split the calc uses (a line that is not a valid
 * event goes by its file and line number). Per hour: `_routed/<stream>/YYYY/MM/DD/HH/n=N/run=<run_id>/k=K.parquet`,
 * then `_manifest.json` naming the hour's files (key, size, change marker), the routing fingerprint and
 * the parts. An hour whose manifest still matches its files is not routed again, so each line is routed
 * once however many dates' windows read it. Shard k of a date then reads part k of every hour of its
 * window (readRoutedLines) and nothing else.
 */
import fs from 'node:fs';
import path from 'node:path';
import { MissingInputError } from '../errors.js';
import { readJson } from '../lake/json.js';
import { hourPath, ownerOf } from '../time/time.js';
import { StreamSpec } from '../sql/ingest.js';
import { JobContext } from './context.js';
import { RawFile, loadFileTable, readRawLines } from './raw.js';

/** Bumped when the routed parts' columns or the split change: every hour is then routed again. */
const ROUTE_VERSION = 1;

export interface RouteManifest {
  stream: string;
  hour: string;
  n: number;
  runId: string;
  /** The fingerprint of what shapes the lines (rule, fields, key, limits) and of the split. */
  routing: string;
  files: { key: string; size: number; version: string }[];
  lines: number;
  /** Lake keys of each shard's part(s); an empty list when no line went to that shard. */
  parts: string[][];
}

const hourPrefix = (stream: string, hour: Date, n: number) => `_routed/${stream}/${hourPath(hour)}/n=${n}`;
const manifestKey = (stream: string, hour: Date, n: number) => `${hourPrefix(stream, hour, n)}/_manifest.json`;

/** The routing fingerprint: what shapes a routed line (from the ingest fingerprint of no files) and the split. */
export function routingOf(readFingerprint: string): string {
  return `v${ROUTE_VERSION}:${readFingerprint}`;
}

function matches(m: RouteManifest, files: RawFile[], routing: string): boolean {
  if (m.routing !== routing || m.files.length !== files.length) return false;
  return files.every((f, i) => m.files[i].key === f.key && m.files[i].size === f.size && m.files[i].version === f.version);
}

function byHour(files: RawFile[], hours: Date[]): Map<number, RawFile[]> {
  const out = new Map<number, RawFile[]>(hours.map((h) => [h.getTime(), []]));
  for (const f of files) out.get(f.arrivalHour.getTime())?.push(f);
  return out;
}

/** Routes every hour of `hours` whose manifest does not match its files (`files`: the window's listing). */
export async function routeHours(ctx: JobContext, spec: StreamSpec, files: RawFile[], hours: Date[], n: number, routing: string): Promise<{ routed: number; skipped: number; lines: number }> {
  if (!spec.fields.some((f) => f.name === 'notification_id')) throw new Error(`${spec.stream} has no notification_id to route by`);
  const result = { routed: 0, skipped: 0, lines: 0 };
  for (const [t, hourFiles] of byHour(files, hours)) {
    const hour = new Date(t);
    const manifest = await readJson<RouteManifest>(ctx.store, manifestKey(spec.stream, hour, n));
    if ((hourFiles.length === 0 && !manifest) || (manifest && matches(manifest, hourFiles, routing))) {
      result.skipped++;
      continue;
    }
    const lines = await routeHour(ctx, spec, hour, hourFiles, n, routing);
    result.routed++;
    result.lines += lines;
  }
  ctx.log.info({ event: 'route.done', ...result, shards: n }, `${spec.stream}: ${result.routed} arrival hour(s) routed into ${n} shards (${result.lines} lines), ${result.skipped} already routed or empty`);
  return result;
}

async function routeHour(ctx: JobContext, spec: StreamSpec, hour: Date, files: RawFile[], n: number, routing: string): Promise<number> {
  const read = files.filter((f) => f.size > 0);
  // The reader's rejects tables belong to one read: a fresh pair per hour.
  await ctx.db.run('DROP TABLE IF EXISTS ingest_reader_rejects; DROP TABLE IF EXISTS ingest_reader_scans');
  await loadFileTable(ctx, files, read, ctx.config.latenessHours);
  await readRawLines(ctx, spec, ownerOf(hour), read);
  const dir = path.join(ctx.scratch, `route-${hourPath(hour).replace(/\//g, '')}`);
  fs.rmSync(dir, { recursive: true, force: true });
  // One pass writes every shard's part: DuckDB's partitioned write, one folder per shard.
  await ctx.db.run(
    `COPY (SELECT f.source_file, l.* EXCLUDE (file_index, pos),
             (CASE WHEN l.kind = 'json' THEN hash(l.notification_id) ELSE hash(f.source_file, l.line_number) END % ${n})::INTEGER AS shard
           FROM ingest_lines l JOIN ingest_files f USING (file_index))
     TO '${dir}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (shard))`,
  );
  const [{ lines }] = await ctx.db.all<{ lines: number }>('SELECT count(*)::INTEGER AS lines FROM ingest_lines');
  const prefix = hourPrefix(spec.stream, hour, n);
  const parts: string[][] = [];
  for (let k = 0; k < n; k++) {
    const folder = path.join(dir, `shard=${k}`);
    const written = fs.existsSync(folder) ? fs.readdirSync(folder).filter((f) => f.endsWith('.parquet')).sort() : [];
    parts.push([]);
    for (const [i, file] of written.entries()) {
      const key = `${prefix}/run=${ctx.runId}/k=${k}${written.length > 1 ? `-${i}` : ''}.parquet`;
      await ctx.store.putFile(path.join(folder, file), key);
      parts[k].push(key);
    }
  }
  // The manifest last: an hour without one (or with an older one) is not routed as its files are now.
  const manifest: RouteManifest = {
    stream: spec.stream,
    hour: hour.toISOString(),
    n,
    runId: ctx.runId,
    routing,
    files: files.map((f) => ({ key: f.key, size: f.size, version: f.version })),
    lines: Number(lines),
    parts,
  };
  await ctx.store.writeText(manifestKey(spec.stream, hour, n), JSON.stringify(manifest));
  fs.rmSync(dir, { recursive: true, force: true });
  return Number(lines);
}

/**
 * Shard mode (and the merge's exact path): the routed lines of shards `ks` of every hour of the window
 * into the table `ingest_lines`, shaped as a single task's (file index and position over the whole
 * window). Fails naming the hours that are not routed as their files are now.
 */
export async function readRoutedLines(ctx: JobContext, spec: StreamSpec, date: string, files: RawFile[], hours: Date[], n: number, ks: number[], routing: string): Promise<void> {
  const stale: string[] = [];
  const keys: string[] = [];
  for (const [t, hourFiles] of byHour(files, hours)) {
    const manifest = await readJson<RouteManifest>(ctx.store, manifestKey(spec.stream, new Date(t), n));
    if (!manifest && hourFiles.length === 0) continue;
    if (!manifest || !matches(manifest, hourFiles, routing)) stale.push(new Date(t).toISOString().slice(0, 13));
    else for (const k of ks) keys.push(...manifest.parts[k]);
  }
  if (stale.length > 0) {
    throw new MissingInputError(
      `the arrival hours ${stale.join(', ')} of ${spec.stream} are not routed into ${n} shards as their files are now; run npm run job -- ${ctx.job} --date ${date} --route ${n}, then the shards again`,
      { job: ctx.job, date },
    );
  }
  if (keys.length === 0) {
    await readRawLines(ctx, spec, date, []);
    return;
  }
  const local = await ctx.store.localPaths(keys, path.join(ctx.scratch, 'routed'));
  await ctx.db.setVariables({ routed_files: local });
  await ctx.db.run(`CREATE OR REPLACE TEMP TABLE ingest_lines AS
    SELECT f.file_index, (f.file_index::BIGINT << 32) + r.line_number AS pos, r.* EXCLUDE (source_file)
    FROM read_parquet(getvariable('routed_files'), hive_partitioning = false) r JOIN ingest_files f USING (source_file)`);
}
