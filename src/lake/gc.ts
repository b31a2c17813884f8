/**
 * Garbage collection: removes what no reader can reach any more, once it has been unreachable longer
 * than the retention period (docs/reliability.md, "Garbage collection and retention"):
 * - a superseded version (a run folder that was made current, then replaced): counted from the moment
 *   it stopped being current, i.e. the publish time of the next version of its partition (`_history/`,
 *   and the `_current.json` pointer itself, in case the newest history entry was never written);
 * - a version never made current (an orphan of a killed or failed run): counted from its run's start
 *   (the only fact there is), and kept while its run still has a fresh running marker;
 * - shard outputs `_shards/<job>/<date>/`: once every shard's run started before the cutoff and no run
 *   of that job and date is running (docs/decisions.md, "gc of shard outputs");
 * - routed lines `_routed/<stream>/<hour>/n=N/run=<run>/` that the hour's manifest no longer names (the
 *   hour was routed again), counted from that run's start; the folder the manifest names is kept;
 * - `_scratch/<run>/` of runs not running, and running markers that are stale.
 * The current version of a partition is never removed; only this module deletes versions.
 */
import { ObjectStore } from './objectStore.js';
import { runStartedAt, STALE_MS } from './coordination.js';
import { UsageError } from '../errors.js';
import { readJson, readState } from './json.js';

export interface GcResult {
  removed: string[];
  kept: number;
}

/** The shortest retention gc accepts: a shorter one could remove the folder of a run still being written. */
export const MIN_RETENTION_HOURS = 1;

/** One pointer swap of a partition: when a version was made current. */
interface Swap {
  publishedAt: string;
  runId: string;
}

interface Partition {
  current: Swap | null;
  history: Swap[];
  runs: Set<string>;
}

const HISTORY_KEY = /^(\d{4}-\d{2}-\d{2}T[\d:.]+Z)_(.+)\.json$/;

/**
 * When each version of a partition stopped being current: the publish time of the next swap after its
 * last swap. Versions that were never made current are absent; the current one maps to null.
 */
function supersededAt(p: Partition): Map<string, string | null> {
  const swaps = [...p.history];
  if (p.current && !swaps.some((s) => s.runId === p.current!.runId && s.publishedAt === p.current!.publishedAt)) swaps.push(p.current);
  swaps.sort((a, b) => (a.publishedAt < b.publishedAt ? -1 : a.publishedAt > b.publishedAt ? 1 : 0));
  const out = new Map<string, string | null>();
  for (const [i, s] of swaps.entries()) out.set(s.runId, i + 1 < swaps.length ? swaps[i + 1].publishedAt : null);
  return out;
}

/** Removes unreachable versions older than `retentionHours` (at least 1); `dryRun` only lists them. */
export async function collectGarbage(store: ObjectStore, retentionHours: number, now = new Date(), dryRun = false, warn: (message: string) => void = () => undefined): Promise<GcResult> {
  if (!(retentionHours >= MIN_RETENTION_HOURS)) {
    throw new UsageError(`gc: --retention-hours ${retentionHours} is under ${MIN_RETENTION_HOURS} hour and could remove the files of a run still being written or read; use ${MIN_RETENTION_HOURS} or more (default 168)`);
  }
  const cutoff = now.getTime() - retentionHours * 3_600_000;
  const startedBeforeCutoff = (runId: string) => {
    const t = runStartedAt(runId);
    return t !== null && t.getTime() < cutoff;
  };
  // Runs that may still be going: a running marker whose run started within STALE_MS (the same test
  // the run coordinator uses; an older marker is a killed run's).
  const live = new Set<string>();
  // Jobs with a live run keep every shard folder of theirs: a shard's marker is `<date>@shard-k-of-n`
  // and the calc's is its month, so the marker does not say which `_shards/<job>/<date>/` it writes.
  const liveJobs = new Set<string>();
  const markers: { key: string; runId: string }[] = [];
  for (const o of await store.list('_state/running/')) {
    const parts = o.key.slice('_state/running/'.length).split('/');
    const runId = parts[parts.length - 1].replace(/\.json$/, '');
    const started = runStartedAt(runId);
    markers.push({ key: o.key, runId });
    if (started === null || started.getTime() > now.getTime() - STALE_MS) {
      live.add(runId);
      if (parts.length === 3) liveJobs.add(parts[0]);
    }
  }

  const partitions = new Map<string, Partition>();
  const partition = (key: string) => {
    let p = partitions.get(key);
    if (!p) partitions.set(key, (p = { current: null, history: [], runs: new Set() }));
    return p;
  };
  for (const o of await store.list('tables/')) {
    const parts = o.key.split('/');
    if (parts.length < 4) continue;
    const folder = parts.slice(0, 3).join('/');
    if (parts.length === 4 && parts[3] === '_current.json') {
      const pointer = (await readJson<{ runId?: string; publishedAt?: string }>(store, o.key)) ?? {};
      if (pointer.runId) partition(folder).current = { runId: pointer.runId, publishedAt: pointer.publishedAt ?? '' };
    } else if (parts.length === 5 && parts[3] === '_history') {
      const m = HISTORY_KEY.exec(parts[4]);
      if (m) partition(folder).history.push({ publishedAt: m[1], runId: m[2] });
    } else if (parts.length >= 5 && parts[3].startsWith('run=')) {
      partition(folder).runs.add(parts[3].slice(4));
    }
  }

  const removed: string[] = [];
  let kept = 0;
  for (const [folder, p] of partitions) {
    const ended = supersededAt(p);
    for (const runId of p.runs) {
      let collect: boolean;
      if (p.current?.runId === runId) collect = false;
      else if (ended.has(runId)) {
        // Made current once: unreachable only since the next version replaced it.
        const at = ended.get(runId);
        collect = at !== null && at !== undefined && Date.parse(at) < cutoff;
      } else {
        // Never made current: its run start is the only fact; a run still going keeps its folder.
        collect = startedBeforeCutoff(runId) && !live.has(runId);
      }
      if (collect) removed.push(`${folder}/run=${runId}/`);
      else kept++;
    }
  }

  removed.push(...(await shardFolders(store, startedBeforeCutoff, liveJobs, warn)));
  removed.push(...(await routedFolders(store, (runId) => startedBeforeCutoff(runId) && !live.has(runId), warn)));

  for (const o of await store.list('_scratch/')) {
    const id = o.key.slice('_scratch/'.length).split('/').find((p) => runStartedAt(p) !== null);
    if (id && startedBeforeCutoff(id) && !live.has(id)) removed.push(o.key);
  }
  for (const m of markers) if (startedBeforeCutoff(m.runId) && !live.has(m.runId)) removed.push(m.key);

  if (!dryRun) {
    for (const key of removed) {
      if (key.endsWith('/')) await store.deletePrefix(key);
      else await store.delete(key);
    }
  }
  return { removed, kept };
}

/**
 * Shard outputs, one `_shards/<job>/<date>/` folder at a time (every n and k of that job and date):
 * collected when it holds at least one shard `_meta.json`, every one names a run that started before
 * the cutoff, and no run of that job is running. A merge runs right after its shards (the
 * same Step Functions execution), so such a folder was merged already or was abandoned; a late merge
 * of it fails naming the shard to rerun, and never publishes a part. A folder with no `_meta.json`
 * at all (every shard killed before finishing) cannot be dated and is kept.
 */
async function shardFolders(store: ObjectStore, startedBeforeCutoff: (runId: string) => boolean, liveJobs: Set<string>, warn: (message: string) => void): Promise<string[]> {
  const folders = new Map<string, { metas: string[] }>();
  for (const o of await store.list('_shards/')) {
    const parts = o.key.split('/');
    if (parts.length < 4) continue;
    const jobDate = `${parts[1]}/${parts[2]}`;
    if (!folders.has(jobDate)) folders.set(jobDate, { metas: [] });
    if (parts[parts.length - 1] === '_meta.json') folders.get(jobDate)!.metas.push(o.key);
  }
  const out: string[] = [];
  for (const [jobDate, f] of folders) {
    if (f.metas.length === 0 || liveJobs.has(jobDate.split('/')[0])) continue;
    let old = true;
    for (const key of f.metas) {
      // An unreadable meta cannot be dated: its folder is kept (with a warning naming it).
      const meta = await readState<{ runId?: string }>(store, key, warn);
      if (!meta?.runId || !startedBeforeCutoff(meta.runId)) old = false;
    }
    if (old) out.push(`_shards/${jobDate}/`);
  }
  return out;
}

/**
 * Routed hours (src/run/route.ts): a route run's folder under `_routed/<stream>/<hour>/n=N/` that the
 * hour's `_manifest.json` does not name (superseded by a later route of the hour, or left by a route
 * killed before its manifest), once `old` (started before the cutoff, not running). The folder the
 * manifest names is what shards read, and is kept; so are all of an hour whose manifest is unreadable.
 */
async function routedFolders(store: ObjectStore, old: (runId: string) => boolean, warn: (message: string) => void): Promise<string[]> {
  const hours = new Map<string, { manifest: string | null; runs: Set<string> }>();
  for (const o of await store.list('_routed/')) {
    const m = /^(_routed\/.+\/n=\d+)\/(?:run=([^/]+)\/.+|_manifest\.json)$/.exec(o.key);
    if (!m) continue;
    const h = hours.get(m[1]) ?? { manifest: null, runs: new Set<string>() };
    hours.set(m[1], h);
    if (m[2] !== undefined) h.runs.add(m[2]);
    else h.manifest = o.key;
  }
  const out: string[] = [];
  for (const [prefix, h] of hours) {
    const current = h.manifest === null ? null : (await readState<{ runId?: string }>(store, h.manifest, warn))?.runId;
    if (current === undefined) continue;
    for (const runId of h.runs) if (runId !== current && old(runId)) out.push(`${prefix}/run=${runId}/`);
  }
  return out;
}
