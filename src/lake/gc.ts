/**
 * Garbage collection: removes what no reader can reach any more, once it is older than the
 * retention period: run folders of partitions that are not the current version (superseded
 * versions, and orphans of killed runs), scratch folders, stale running markers and locks.
 * Writers never delete a current version; only this does, and only what the pointer does not name.
 */
import { ObjectStore } from './objectStore.js';
import { runStartedAt } from './coordination.js';

export interface GcResult {
  removed: string[];
  kept: number;
}

function olderThan(runId: string, cutoff: Date): boolean {
  const t = runStartedAt(runId);
  return t !== null && t < cutoff;
}

/** Removes unreachable versions older than `retentionHours`; `dryRun` only lists them. */
export async function collectGarbage(store: ObjectStore, retentionHours: number, now = new Date(), dryRun = false): Promise<GcResult> {
  const cutoff = new Date(now.getTime() - retentionHours * 3_600_000);
  const objects = await store.list('tables/');
  const current = new Set<string>();
  const runFolders = new Map<string, string>();
  for (const o of objects) {
    const parts = o.key.split('/');
    if (parts.length === 4 && parts[3] === '_current.json') {
      const pointer = JSON.parse((await store.readText(o.key)) ?? '{}') as { runId?: string };
      if (pointer.runId) current.add(`${parts.slice(0, 3).join('/')}/run=${pointer.runId}`);
    }
    if (parts.length >= 5 && parts[3].startsWith('run=')) runFolders.set(parts.slice(0, 4).join('/'), parts[3].slice(4));
  }
  const removed: string[] = [];
  let kept = 0;
  for (const [folder, runId] of runFolders) {
    if (current.has(folder) || !olderThan(runId, cutoff)) {
      kept++;
      continue;
    }
    removed.push(`${folder}/`);
  }
  for (const prefix of ['_scratch/', '_state/running/']) {
    for (const o of await store.list(prefix)) {
      const id = o.key.slice(prefix.length).split('/').find((p) => runStartedAt(p.replace(/\.json$/, '')) !== null);
      if (id && olderThan(id.replace(/\.json$/, ''), cutoff)) removed.push(o.key);
    }
  }
  if (!dryRun) {
    for (const key of removed) {
      if (key.endsWith('/')) await store.deletePrefix(key);
      else await store.delete(key);
    }
  }
  return { removed, kept };
}
