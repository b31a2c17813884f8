/**
 * The one shard/merge protocol. A shard task (`--shard k/N`) writes named parts of its share of a scope
 * (a date) under `_shards/<job>/<scope>/n=N/k=K/run=<run_id>/<part>.parquet`, then `_meta.json` with its
 * run id, the fingerprint of the inputs it saw and its counts; it publishes nothing. The merge task
 * (`--merge-shards N`) reads the metas of all N shards, refusing any shard that is missing or saw other
 * inputs, and publishes: either the parts themselves (one pointer swap over them) or what it derives
 * from them. A rerun of a shard writes a new run folder, so a merge never reads a part half-replaced.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { BadInputError, MissingInputError } from '../errors.js';
import { readJson } from '../lake/json.js';
import { Params } from '../engine/duckdb.js';
import { JobContext } from './context.js';

export interface ShardMeta {
  runId: string;
  fingerprint: string;
  /** Rows of each part. */
  rows: Record<string, number>;
  /** What the shard counted (summed by the merge). */
  details?: Record<string, unknown>;
}

const shardPrefix = (job: string, scope: string, n: number, k: number) => `_shards/${job}/${scope}/n=${n}/k=${k}`;
const partKey = (job: string, scope: string, n: number, k: number, runId: string, part: string) => `${shardPrefix(job, scope, n, k)}/run=${runId}/${part}.parquet`;

/** Shard mode: writes each part (a query's rows) of shard k/N of `scope`, then the shard's meta. */
export async function writeShardParts(
  ctx: JobContext,
  scope: string,
  mode: { k: number; n: number },
  fingerprint: string,
  parts: Record<string, string>,
  params: Params = {},
  details?: Record<string, unknown>,
): Promise<{ rows: Record<string, number>; keys: Record<string, string> }> {
  const rows: Record<string, number> = {};
  const keys: Record<string, string> = {};
  const dir = path.join(ctx.scratch, 'shard', scope);
  await fsp.mkdir(dir, { recursive: true });
  for (const [name, sql] of Object.entries(parts)) {
    const local = path.join(dir, `${name}.parquet`);
    // Each part binds only the parameters it names (DuckDB refuses unused ones).
    const used = Object.fromEntries(Object.entries(params).filter(([p]) => new RegExp(`\\$${p}\\b`).test(sql)));
    rows[name] = await ctx.db.copyToParquet(sql, used, local);
    keys[name] = partKey(ctx.job, scope, mode.n, mode.k, ctx.runId, name);
    await ctx.store.putFile(local, keys[name]);
  }
  // The meta last: a shard without it has not finished.
  const meta: ShardMeta = { runId: ctx.runId, fingerprint, rows, details };
  await ctx.store.writeText(`${shardPrefix(ctx.job, scope, mode.n, mode.k)}/_meta.json`, JSON.stringify(meta));
  ctx.log.info({ event: 'shard.written', shard: `${mode.k}/${mode.n}`, scope, rows }, `shard ${mode.k}/${mode.n} of ${scope}: ${Object.entries(rows).map(([p, r]) => `${r} ${p}`).join(', ')} kept for the merge`);
  return { rows, keys };
}

/** Merge mode: the metas of all N shards of `scope` (in shard order) and the lake keys of each part, checked against `fingerprint`. */
export async function readShardMetas<P extends string>(ctx: JobContext, scope: string, n: number, fingerprint: string, parts: readonly P[]): Promise<{ metas: ShardMeta[]; keys: Record<P, string[]> }> {
  const keys = Object.fromEntries(parts.map((p) => [p, [] as string[]])) as Record<P, string[]>;
  const metas: ShardMeta[] = [];
  for (let k = 0; k < n; k++) {
    const meta = await readJson<ShardMeta>(ctx.store, `${shardPrefix(ctx.job, scope, n, k)}/_meta.json`);
    if (!meta) throw new MissingInputError(`shard ${k}/${n} of ${ctx.job} ${scope} has not run; run it with --shard ${k}/${n}, then merge again`, { job: ctx.job });
    if (meta.fingerprint !== fingerprint) {
      throw new BadInputError(`the inputs of ${scope} changed after shard ${k}/${n} ran (run ${meta.runId}); rerun all ${n} shards, then merge`, { job: ctx.job });
    }
    metas.push(meta);
    for (const p of parts) keys[p].push(partKey(ctx.job, scope, n, k, meta.runId, p));
  }
  return { metas, keys };
}

/** Merge mode: the local files of each part across all N shards of `scope`, checked against `fingerprint`. */
export async function readShardParts<P extends string>(ctx: JobContext, scope: string, n: number, fingerprint: string, parts: readonly P[]): Promise<Record<P, string[]>> {
  const { keys } = await readShardMetas(ctx, scope, n, fingerprint, parts);
  const files = {} as Record<P, string[]>;
  for (const p of parts) files[p] = await ctx.store.localPaths(keys[p], path.join(ctx.scratch, 'shards', scope, p));
  return files;
}
