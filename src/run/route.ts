/**
 * Routing, the first step of scale-out for the event streams (docs/performance.md, "Scale-out"). A
 * route task (`--route N`) reads the arrival hours of a date's window that are not routed yet, a day's
 * hours in one read, the way a single task reads them (src/run/raw.ts: CRLF, gzip, byte accounting,
 * validation), and writes, per hour:
 * - its numbered, validated lines into N parts by `hash(notification_id) % N`, the split the calc uses
 *   (a line that is not a valid event goes by its file and line number):
 *   `_routed/<stream>/YYYY/MM/DD/HH/n=N/run=<run_id>/k=K.parquet`;
 * - its claims, one row per valid event line (the hash of its dedup key and the shard its line went
 *   to), into N buckets by that key hash (`c=K.parquet`). Bucket k of a window tells shard k whether
 *   a key of its bucket sits in two shards (copies with different notification_ids), so no task ever
 *   compares the whole window's keys;
 * - then `_manifest.json` naming the hour's files (key, size, change marker), the routing fingerprint,
 *   the parts and the claims.
 * An hour whose manifest still matches its files is not routed again, so each line is routed once
 * however many dates' windows read it. Shard k of a date then reads part k and bucket k of every hour
 * of its window (readRoutedLines) and nothing else.
 */
import fs from 'node:fs';
import path from 'node:path';
import { MissingInputError } from '../errors.js';
import { readJson } from '../lake/json.js';
import { hourPath } from '../time/time.js';
import { StreamSpec } from '../sql/ingest.js';
import { JobContext } from './context.js';
import { RawFile, loadFileTable, readRawLines } from './raw.js';

/** Bumped when the routed parts' columns or the split change: every hour is then routed again. */
const ROUTE_VERSION = 2;

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
  /** Lake keys of each claims bucket's part(s) (key hash, shard), by key hash; empty when the bucket has none. */
  claims: string[][];
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

/** The most arrival hours one read routes: a day's (the steady state: one read a day, or one an hour). */
const HOURS_PER_READ = 24;

/** An hour as a partition value of the routed write (hours since the epoch). */
const hourNumber = (hour: Date) => Math.floor(hour.getTime() / 3_600_000);

/**
 * Routes every hour of `hours` whose manifest does not match its files (`files`: the window's listing),
 * up to a day's hours in one read. `date` names the run in errors.
 */
export async function routeHours(ctx: JobContext, spec: StreamSpec, date: string, files: RawFile[], hours: Date[], n: number, routing: string): Promise<{ routed: number; skipped: number; lines: number }> {
  if (!spec.fields.some((f) => f.name === 'notification_id')) throw new Error(`${spec.stream} has no notification_id to route by`);
  if (spec.key === null) throw new Error(`${spec.stream} has no dedup key to claim`);
  const todo: { hour: Date; files: RawFile[] }[] = [];
  let skipped = 0;
  for (const [t, hourFiles] of byHour(files, hours)) {
    const hour = new Date(t);
    const manifest = await readJson<RouteManifest>(ctx.store, manifestKey(spec.stream, hour, n));
    if ((hourFiles.length === 0 && !manifest) || (manifest && matches(manifest, hourFiles, routing))) skipped++;
    else todo.push({ hour, files: hourFiles });
  }
  let lines = 0;
  // At most a day's arrival hours in one read, so a route's memory is a day's lines whatever it catches up.
  for (let i = 0; i < todo.length; i += HOURS_PER_READ) lines += await routeRead(ctx, spec, date, todo.slice(i, i + HOURS_PER_READ), n, routing);
  const result = { routed: todo.length, skipped, lines };
  ctx.log.info({ event: 'route.done', ...result, shards: n }, `${spec.stream}: ${result.routed} arrival hour(s) routed into ${n} shards (${result.lines} lines), ${result.skipped} already routed or empty`);
  return result;
}

/** One read of the hours' files; per hour, its shard parts and claims buckets, then its manifest. */
async function routeRead(ctx: JobContext, spec: StreamSpec, date: string, todo: { hour: Date; files: RawFile[] }[], n: number, routing: string): Promise<number> {
  const files = todo.flatMap((t) => t.files);
  const read = files.filter((f) => f.size > 0);
  await loadFileTable(ctx, files, read, ctx.config.latenessHours);
  await readRawLines(ctx, spec, date, read);
  const dir = path.join(ctx.scratch, 'route');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const hour = `(epoch(f.arrival_hour) // 3600)::BIGINT`;
  // Two passes of DuckDB's partitioned write, one folder per (hour, shard) and per (hour, bucket).
  await ctx.db.run(
    `COPY (SELECT f.source_file, l.* EXCLUDE (file_index, pos), ${hour} AS hour,
             (CASE WHEN l.kind = 'json' THEN hash(l.notification_id) ELSE hash(f.source_file, l.line_number) END % ${n})::INTEGER AS shard
           FROM ingest_lines l JOIN ingest_files f USING (file_index))
     TO '${path.join(dir, 'lines')}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (hour, shard))`,
  );
  await ctx.db.run(
    `COPY (SELECT ${hour} AS hour, (hash(l.${spec.key}) % ${n})::INTEGER AS bucket,
             hash(l.${spec.key}) AS h, (hash(l.notification_id) % ${n})::SMALLINT AS shard
           FROM ingest_lines l JOIN ingest_files f USING (file_index) WHERE l.kind = 'json')
     TO '${path.join(dir, 'claims')}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (hour, bucket))`,
  );
  const counts = new Map(
    (await ctx.db.all<{ hour: number; lines: number }>(`SELECT ${hour} AS hour, count(*)::INTEGER AS lines FROM ingest_lines l JOIN ingest_files f USING (file_index) GROUP BY ALL`))
      .map((r) => [Number(r.hour), Number(r.lines)]),
  );
  let total = 0;
  for (const { hour: h, files: hourFiles } of todo) {
    const prefix = `${hourPrefix(spec.stream, h, n)}/run=${ctx.runId}`;
    const upload = async (kind: string, column: string, name: string): Promise<string[][]> => {
      const out: string[][] = [];
      for (let k = 0; k < n; k++) {
        const folder = path.join(dir, kind, `hour=${hourNumber(h)}`, `${column}=${k}`);
        const written = fs.existsSync(folder) ? fs.readdirSync(folder).filter((f) => f.endsWith('.parquet')).sort() : [];
        out.push([]);
        for (const [i, file] of written.entries()) {
          const key = `${prefix}/${name}=${k}${written.length > 1 ? `-${i}` : ''}.parquet`;
          await ctx.store.putFile(path.join(folder, file), key);
          out[k].push(key);
        }
      }
      return out;
    };
    const parts = await upload('lines', 'shard', 'k');
    const claims = await upload('claims', 'bucket', 'c');
    const lines = counts.get(hourNumber(h)) ?? 0;
    total += lines;
    // The manifest last: an hour without one (or with an older one) is not routed as its files are now.
    const manifest: RouteManifest = {
      stream: spec.stream,
      hour: h.toISOString(),
      n,
      runId: ctx.runId,
      routing,
      files: hourFiles.map((f) => ({ key: f.key, size: f.size, version: f.version })),
      lines,
      parts,
      claims,
    };
    await ctx.store.writeText(manifestKey(spec.stream, h, n), JSON.stringify(manifest));
  }
  fs.rmSync(dir, { recursive: true, force: true });
  return total;
}

/**
 * Shard mode (and the merge's exact path): the routed lines of shards `ks` of every hour of the window
 * into the table `ingest_lines`, shaped as a single task's (file index and position over the whole
 * window). Returns the lake keys of claims buckets `ks` of the window's hours. Fails naming the hours
 * that are not routed as their files are now.
 */
export async function readRoutedLines(ctx: JobContext, spec: StreamSpec, date: string, files: RawFile[], hours: Date[], n: number, ks: number[], routing: string): Promise<{ claims: string[] }> {
  const stale: string[] = [];
  const keys: string[] = [];
  const claims: string[] = [];
  for (const [t, hourFiles] of byHour(files, hours)) {
    const manifest = await readJson<RouteManifest>(ctx.store, manifestKey(spec.stream, new Date(t), n));
    if (!manifest && hourFiles.length === 0) continue;
    if (!manifest || !matches(manifest, hourFiles, routing)) stale.push(new Date(t).toISOString().slice(0, 13));
    else for (const k of ks) keys.push(...manifest.parts[k]), claims.push(...manifest.claims[k]);
  }
  if (stale.length > 0) {
    throw new MissingInputError(
      `the arrival hours ${stale.join(', ')} of ${spec.stream} are not routed into ${n} shards as their files are now; run npm run job -- ${ctx.job} --date ${date} --route ${n}, then the shards again`,
      { job: ctx.job, date },
    );
  }
  if (keys.length === 0) await readRawLines(ctx, spec, date, []);
  else {
    const local = await ctx.store.localPaths(keys, path.join(ctx.scratch, 'routed'));
    await ctx.db.setVariables({ routed_files: local });
    await ctx.db.run(`CREATE OR REPLACE TEMP TABLE ingest_lines AS
      SELECT f.file_index, (f.file_index::BIGINT << 32) + r.line_number AS pos, r.* EXCLUDE (source_file)
      FROM read_parquet(getvariable('routed_files'), hive_partitioning = false) r JOIN ingest_files f USING (source_file)`);
  }
  return { claims };
}

/**
 * Shard mode: how many key hashes of claims bucket k of the window went to more than one shard (an
 * event whose copies carry different notification_ids). Each shard checks its own bucket, so the
 * merge only adds N numbers; any non-zero sum sends the merge to its exact path.
 */
export async function sharedKeys(ctx: JobContext, claims: string[]): Promise<number> {
  if (claims.length === 0) return 0;
  await ctx.db.setVariables({ route_claims: await ctx.store.localPaths(claims, path.join(ctx.scratch, 'claims')) });
  const [{ shared }] = await ctx.db.all<{ shared: number }>(
    `SELECT count(*)::INTEGER AS shared FROM (
       SELECT h FROM read_parquet(getvariable('route_claims'), hive_partitioning = false) GROUP BY h HAVING min(shard) <> max(shard))`,
  );
  return Number(shared);
}
