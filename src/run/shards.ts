/**
 * The one shard/merge protocol. A shard task (`--shard k/N`) writes named parts of its share of a scope
 * (a date) under `_shards/<job>/<scope>/n=N/k=K/<part>.parquet`, then `_meta.json` with its run id and
 * the fingerprint of the inputs it saw; it publishes nothing. The merge task (`--merge-shards N`) reads
 * the parts of all N shards, refusing any shard that is missing or saw other inputs, and publishes.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { BadInputError, MissingInputError } from '../errors.js';
import { readJson } from '../lake/json.js';
import { Params } from '../engine/duckdb.js';
import { JobContext } from './context.js';

interface ShardMeta {
  runId: string;
  fingerprint: string;
  rows: Record<string, number>;
}

const shardPrefix = (job: string, scope: string, n: number, k: number) => `_shards/${job}/${scope}/n=${n}/k=${k}`;

/** Shard mode: writes each part (a query's rows) of shard k/N of `scope`, then the shard's meta. */
export async function writeShardParts(ctx: JobContext, scope: string, mode: { k: number; n: number }, fingerprint: string, parts: Record<string, string>, params: Params = {}): Promise<Record<string, number>> {
  const prefix = shardPrefix(ctx.job, scope, mode.n, mode.k);
  const rows: Record<string, number> = {};
  const dir = path.join(ctx.scratch, 'shard', scope);
  await fsp.mkdir(dir, { recursive: true });
  for (const [name, sql] of Object.entries(parts)) {
    const local = path.join(dir, `${name}.parquet`);
    rows[name] = await ctx.db.copyToParquet(sql, params, local);
    await ctx.store.putFile(local, `${prefix}/${name}.parquet`);
  }
  // The meta last: a shard without it has not finished.
  const meta: ShardMeta = { runId: ctx.runId, fingerprint, rows };
  await ctx.store.writeText(`${prefix}/_meta.json`, JSON.stringify(meta));
  ctx.log.info({ event: 'shard.written', shard: `${mode.k}/${mode.n}`, scope, rows }, `shard ${mode.k}/${mode.n} of ${scope}: ${Object.entries(rows).map(([p, r]) => `${r} ${p}`).join(', ')} kept for the merge`);
  return rows;
}

/** Merge mode: the local files of each part across all N shards of `scope`, checked against `fingerprint`. */
export async function readShardParts<P extends string>(ctx: JobContext, scope: string, n: number, fingerprint: string, parts: readonly P[]): Promise<Record<P, string[]>> {
  const files = Object.fromEntries(parts.map((p) => [p, [] as string[]])) as Record<P, string[]>;
  for (let k = 0; k < n; k++) {
    const prefix = shardPrefix(ctx.job, scope, n, k);
    const meta = await readJson<ShardMeta>(ctx.store, `${prefix}/_meta.json`);
    if (!meta) throw new MissingInputError(`shard ${k}/${n} of ${ctx.job} ${scope} has not run; run it with --shard ${k}/${n}, then merge again`, { job: ctx.job });
    if (meta.fingerprint !== fingerprint) {
      throw new BadInputError(`the inputs of ${scope} changed after shard ${k}/${n} ran (run ${meta.runId}); rerun all ${n} shards, then merge`, { job: ctx.job });
    }
    for (const p of parts) files[p].push(...(await ctx.store.localPaths([`${prefix}/${p}.parquet`], path.join(ctx.scratch, 'shards', scope))));
  }
  return files;
}
