/**
 * Coordination of runs of the same job and period (date or month), through the object store only:
 * - each run leaves a marker under `_state/running/<job>/<period>/` while it runs;
 * - publishing happens under a lock object `_state/locks/<job>/<period>.lock` that is a fence: it is
 *   created only if absent, refreshed and taken over only if its etag is the one seen, released only if
 *   it is still ours, and checked right before each pointer swap (a run that lost it publishes nothing more);
 * - under the lock, a run that sees a newer run of the same job and period (started after it, still
 *   running or already published) is superseded: it publishes nothing and fails with a clear message.
 * Run ids sort by start time (UTC timestamp first), so "newer" is a string comparison.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { AceError, StorageError, SupersededError } from '../errors.js';
import { ObjectStore, PreconditionFailedError, Versioned } from './objectStore.js';
import { parseState, readState } from './json.js';

/** A running marker older than this is left over by a killed run and is ignored. */
export const STALE_MS = 6 * 3_600_000;
/** A publish lock is refreshed every LOCK_HEARTBEAT_MS while held; one seen unchanged for LOCK_STALE_MS is taken over. */
export const LOCK_HEARTBEAT_MS = 30_000;
export const LOCK_STALE_MS = 2 * 60_000;

/** The lock's clocks, injectable so tests stall a heartbeat or age an observation without waiting. */
export interface LockTiming {
  heartbeatMs: number;
  staleMs: number;
  /** The observer's monotonic clock (ms): a lock is stale when its etag stayed the same this long on it. */
  monotonic: () => number;
  sleep: (ms: number) => Promise<void>;
}

export const DEFAULT_LOCK_TIMING: LockTiming = {
  heartbeatMs: LOCK_HEARTBEAT_MS,
  staleMs: LOCK_STALE_MS,
  monotonic: () => performance.now(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

export interface CoordinatorOptions {
  now?: () => Date;
  timing?: Partial<LockTiming>;
  /** Where warnings go (a taken-over or unreadable lock, an unreadable state object). */
  warn?: (message: string) => void;
}

/** Checked by the publish step right before each pointer swap. */
export interface PublishFence {
  /** Throws when this run no longer holds its publish lock (taken over, or its heartbeat failed). */
  assertHeld(): Promise<void>;
}

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

export class RunCoordinator {
  private readonly now: () => Date;
  private readonly timing: LockTiming;
  private readonly warn: (message: string) => void;

  constructor(
    private readonly store: ObjectStore,
    readonly job: string,
    readonly period: string,
    readonly runId: string,
    options: CoordinatorOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.timing = { ...DEFAULT_LOCK_TIMING, ...options.timing };
    this.warn = options.warn ?? (() => undefined);
  }

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
    const published = await readState<{ runId?: unknown }>(this.store, publishedKey(this.job, this.period), this.warn);
    const publishedId = typeof published?.runId === 'string' ? published.runId : null;
    const newer = [...running, ...(publishedId !== null && publishedId > this.runId ? [publishedId] : [])].sort();
    return newer.length > 0 ? newer[newer.length - 1] : null;
  }

  /** The holder named by a lock object, or null when it cannot be read (treated as stale). */
  private holderOf(lock: Versioned): LockHolder | null {
    const h = parseState<Partial<LockHolder>>(this.store, lockKey(this.job, this.period), lock.body, this.warn);
    return h && typeof h === 'object' && typeof h.runId === 'string' ? (h as LockHolder) : null;
  }

  /**
   * Runs `publish` holding the job-and-period lock, unless a newer run exists (SupersededError).
   * Waits for a lock held by a live run (the holder refreshes it every 30 s). Takes over, by a write
   * conditional on the etag it saw, a lock that is unreadable, whose holder is a dead process of this host,
   * or whose etag it saw unchanged for LOCK_STALE_MS on its own monotonic clock (no two hosts' clocks compared).
   */
  async publishExclusively<T>(publish: (fence: PublishFence) => Promise<T>, maxWaitMs = 10 * 60_000): Promise<T> {
    const key = lockKey(this.job, this.period);
    const t = this.timing;
    const body = () => JSON.stringify({ runId: this.runId, at: this.now().toISOString(), pid: process.pid, host: os.hostname() } satisfies LockHolder);
    const waitStart = t.monotonic();
    // The lock's etag as this run first saw it, and when (on this run's own clock).
    const observed = { etag: '', since: 0 };
    let etag: string;
    for (let attempt = 0; ; attempt++) {
      try {
        etag = await this.store.createIfAbsent(key, body());
        break;
      } catch (err) {
        if (!(err instanceof PreconditionFailedError)) throw err;
      }
      const current = await this.store.readVersioned(key);
      if (!current) continue; // released meanwhile
      const holder = this.holderOf(current);
      const seenAt = t.monotonic();
      if (observed.etag !== current.etag) Object.assign(observed, { etag: current.etag, since: seenAt });
      const why = holder === null ? 'unreadable' : holderIsDead(holder) ? `its holder (pid ${holder.pid}) is gone` : seenAt - observed.since > t.staleMs ? `not refreshed for ${Math.round(t.staleMs / 1000)} s` : null;
      if (why) {
        try {
          etag = await this.store.replaceIfMatch(key, body(), current.etag);
          this.warn(`took over the publish lock ${this.store.describe(key)} of run ${holder?.runId ?? 'unknown'} (${why})`);
          break;
        } catch (err) {
          if (!(err instanceof PreconditionFailedError)) throw err;
          continue; // someone else refreshed or took it: observe again
        }
      }
      if (seenAt - waitStart > maxWaitMs) throw new SupersededError(`another run (${holder?.runId ?? 'unknown'}) of ${this.job} ${this.period} held the publish lock for too long; nothing was published. Rerun when it has finished`);
      await t.sleep(Math.min(2000, 50 * 2 ** Math.min(attempt, 6)));
    }
    const held = { etag, lost: null as AceError | null };
    const lostTo = (holder: string) =>
      new SupersededError(`superseded: run ${this.runId} of ${this.job} ${this.period} lost its publish lock ${this.store.describe(key)} to ${holder} (its heartbeat stalled past ${Math.round(t.staleMs / 1000)} s); nothing more was published by this run`, { job: this.job });
    let beating = false;
    const heartbeat = setInterval(() => {
      if (beating || held.lost) return;
      beating = true;
      this.store
        .replaceIfMatch(key, body(), held.etag)
        .then((e) => void (held.etag = e))
        .catch((err: unknown) => {
          // A failed heartbeat ends the run's right to publish: it cannot know whether it still holds the lock.
          held.lost ??= err instanceof PreconditionFailedError
            ? lostTo('another run')
            : new StorageError(`run ${this.runId} of ${this.job} ${this.period} could not refresh its publish lock ${this.store.describe(key)} (${(err as Error).message}); nothing more was published by this run. Rerun the job`, { job: this.job });
        })
        .finally(() => void (beating = false));
    }, t.heartbeatMs);
    heartbeat.unref();
    const fence: PublishFence = {
      assertHeld: async () => {
        if (held.lost) throw held.lost;
        const current = await this.store.readVersioned(key);
        // Ours: the etag we last wrote, or one our own heartbeat wrote while this check ran (it names this run).
        if (current && (current.etag === held.etag || this.holderOf(current)?.runId === this.runId)) return;
        held.lost = lostTo(current ? `run ${this.holderOf(current)?.runId ?? 'unknown'}` : 'nobody (it was removed)');
        throw held.lost;
      },
    };
    try {
      const newer = await this.newerRun();
      if (newer) {
        throw new SupersededError(
          `superseded: a newer run ${newer} of ${this.job} ${this.period} started after this run ${this.runId}; nothing was published by this run (the newer run's version is the current one)`,
          { job: this.job },
        );
      }
      const result = await publish(fence);
      // Every swap passed the fence: this run's version is current. The record only moves forward in run order.
      const recorded = await readState<{ runId?: unknown }>(this.store, publishedKey(this.job, this.period), this.warn);
      if (!(typeof recorded?.runId === 'string' && recorded.runId > this.runId)) {
        await this.store.writeText(publishedKey(this.job, this.period), JSON.stringify({ runId: this.runId, at: this.now().toISOString() }));
      }
      return result;
    } finally {
      clearInterval(heartbeat);
      // Release only our own lock: one taken over by another run stays theirs.
      const current = await this.store.readVersioned(key).catch(() => null);
      if (current && (current.etag === held.etag || this.holderOf(current)?.runId === this.runId)) {
        // A failed release must not hide the run's own result or error: the lock left behind is stale
        // once its heartbeat stops, and the next run takes it over.
        await this.store.deleteIfMatch(key, current.etag).catch((err: unknown) => {
          if (!(err instanceof PreconditionFailedError)) this.warn(`could not release the publish lock ${this.store.describe(key)} (${(err as Error).message}); the next run takes it over once it is stale`);
        });
      }
    }
  }
}
