/**
 * Coordination of runs of the same job and period (date or month), through the object store only:
 * - each run leaves a marker under `_state/running/<job>/<period>/` while it runs;
 * - publishing happens under an exclusive lock object `_state/locks/<job>/<period>.lock`, so two runs
 *   never interleave their partitions (a version is always wholly one run's);
 * - under the lock, a run that sees a newer run of the same job and period (started after it, still
 *   running or already published) is superseded: it publishes nothing and fails with a clear message.
 * Run ids sort by start time (UTC timestamp first), so "newer" is a string comparison.
 */
import os from 'node:os';
import { SupersededError } from '../errors.js';
import { ObjectStore } from './objectStore.js';

/** A running marker older than this is left over by a killed run and is ignored. */
export const STALE_MS = 6 * 3_600_000;
/** A publish lock is refreshed every LOCK_HEARTBEAT_MS while held; one not refreshed for LOCK_STALE_MS is broken. */
export const LOCK_HEARTBEAT_MS = 30_000;
export const LOCK_STALE_MS = 2 * 60_000;

interface LockHolder {
  runId: string;
  at: string;
  pid: number;
  host: string;
}

/** True when the lock's holder is a process of this host that no longer exists (killed). */
function holderIsDead(holder: LockHolder): boolean {
  if (holder.host !== os.hostname() || !Number.isInteger(holder.pid)) return false;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

export interface RunMarker {
  runId: string;
  job: string;
  period: string;
  startedAt: string;
  pid: number;
}

const runningPrefix = (job: string, period: string) => `_state/running/${job}/${period}/`;
const lockKey = (job: string, period: string) => `_state/locks/${job}/${period}.lock`;
const publishedKey = (job: string, period: string) => `_state/published/${job}/${period}.json`;

/** The start instant encoded in a run id (`20261128T171836123Z-…`). */
export function runStartedAt(runId: string): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})?Z/.exec(runId);
  return m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], +(m[7] ?? 0))) : null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class RunCoordinator {
  constructor(
    private readonly store: ObjectStore,
    readonly job: string,
    readonly period: string,
    readonly runId: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Announces the run, so that older concurrent runs of the same job and period step aside. */
  async start(): Promise<void> {
    const marker: RunMarker = { runId: this.runId, job: this.job, period: this.period, startedAt: this.now().toISOString(), pid: process.pid };
    await this.store.writeText(`${runningPrefix(this.job, this.period)}${this.runId}.json`, JSON.stringify(marker));
  }

  /** Removes the run's marker (success or failure). */
  async finish(): Promise<void> {
    await this.store.delete(`${runningPrefix(this.job, this.period)}${this.runId}.json`);
  }

  /** The newest other run of this job and period that makes this one superseded, if any. */
  async newerRun(): Promise<string | null> {
    const fresh = (id: string) => (runStartedAt(id)?.getTime() ?? 0) > this.now().getTime() - STALE_MS;
    const running = (await this.store.list(runningPrefix(this.job, this.period)))
      .map((o) => o.key.slice(o.key.lastIndexOf('/') + 1).replace(/\.json$/, ''))
      .filter((id) => id > this.runId && fresh(id));
    const published = JSON.parse((await this.store.readText(publishedKey(this.job, this.period))) ?? 'null') as { runId: string } | null;
    const newer = [...running, ...(published && published.runId > this.runId ? [published.runId] : [])].sort();
    return newer.length > 0 ? newer[newer.length - 1] : null;
  }

  /**
   * Runs `publish` holding the job-and-period lock, unless a newer run exists (SupersededError).
   * Waits for a lock held by a live run (the holder refreshes it every 30 s); breaks a lock whose
   * holder was killed: a dead process on this host at once, elsewhere once not refreshed for 2 min.
   */
  async publishExclusively<T>(publish: () => Promise<T>, maxWaitMs = 10 * 60_000): Promise<T> {
    const key = lockKey(this.job, this.period);
    const deadline = Date.now() + maxWaitMs;
    const body = () => JSON.stringify({ runId: this.runId, at: this.now().toISOString(), pid: process.pid, host: os.hostname() } satisfies LockHolder);
    for (let attempt = 0; ; attempt++) {
      if (await this.store.createExclusive(key, body())) break;
      const holder = JSON.parse((await this.store.readText(key)) ?? 'null') as LockHolder | null;
      if (holder && (holderIsDead(holder) || this.now().getTime() - new Date(holder.at).getTime() > LOCK_STALE_MS)) {
        await this.store.delete(key);
        continue;
      }
      if (Date.now() > deadline) throw new SupersededError(`another run (${holder?.runId ?? 'unknown'}) of ${this.job} ${this.period} held the publish lock for too long; nothing was published. Rerun when it has finished`);
      await sleep(Math.min(2000, 50 * 2 ** Math.min(attempt, 6)));
    }
    const heartbeat = setInterval(() => {
      this.store.writeText(key, body()).catch(() => undefined);
    }, LOCK_HEARTBEAT_MS);
    heartbeat.unref();
    try {
      const newer = await this.newerRun();
      if (newer) {
        throw new SupersededError(
          `superseded: a newer run ${newer} of ${this.job} ${this.period} started after this run ${this.runId}; nothing was published by this run (the newer run's version is the current one)`,
          { job: this.job },
        );
      }
      const result = await publish();
      await this.store.writeText(publishedKey(this.job, this.period), JSON.stringify({ runId: this.runId, at: this.now().toISOString() }));
      return result;
    } finally {
      clearInterval(heartbeat);
      await this.store.delete(key);
    }
  }
}
