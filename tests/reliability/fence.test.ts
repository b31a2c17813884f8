/**
 * Issue 13 point 9: the publish lock is a fence. A run whose heartbeat stalls past the stale limit
 * while a newer run starts loses its lock to the newer run (taken over by a write conditional on the
 * etag seen stale, judged on the newer run's own clock), and publishes nothing more: every partition
 * is the newer run's, never a mix. Stalls are held by gates and the newer run's clock is a fake one that
 * moves when it sleeps: nothing here waits for time to pass.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Lake, makeLake, closeLake, writeRaw, attempt, pointer, query } from '../helpers/lake';
import { ObjectStore } from '../../src/lake/objectStore';
import { LockTiming } from '../../src/lake/coordination';
import { Services } from '../../src/run/context';
import { runJob } from '../../src/run/run';
import { JobResult } from '../../src/run/job';
import { JOBS } from '../../jobs/index';
import { StorageError, SupersededError, exitCodeOf } from '../../src/errors';
import { WrappedStore } from './helpers';

const A = 'notification_attempted';
const R = 'notification_attempted_rejects';
const JOB = 'notification_attempted_daily';
const D = '2026-03-10';
const LOCK = `_state/locks/${JOB}/${D}.lock`;

/** A promise opened from outside. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

const runIdOf = (body: string) => (JSON.parse(body) as { runId?: string }).runId;

/** Calls `stall` before each conditional write; what it awaits holds the write. */
class StallStore extends WrappedStore {
  constructor(inner: ObjectStore, private readonly stall: (op: 'create' | 'replace', key: string, body: string) => Promise<void>) {
    super(inner);
  }
  override async createIfAbsent(key: string, body: string): Promise<string> {
    await this.stall('create', key, body);
    return this.inner.createIfAbsent(key, body);
  }
  override async replaceIfMatch(key: string, body: string, etag: string): Promise<string> {
    await this.stall('replace', key, body);
    return this.inner.replaceIfMatch(key, body, etag);
  }
}

/** The newer run's clock: it moves only when the run sleeps, so a lock looks stale after a few loops, at once. */
function fastClock(): Partial<LockTiming> {
  let t = 0;
  return { monotonic: () => t, sleep: async (ms) => { t += ms; await new Promise((r) => setImmediate(r)); } };
}

let lake: Lake;
let releaseAll: (() => void)[] = [];
beforeEach(async () => {
  lake = await makeLake({ ACE_MAX_REJECT_RATE: '1' });
  writeRaw(lake, A, '2026-03-10T14', 'a.ndjson', [attempt('1', '2026-03-10T14:00:00Z'), 'oops', attempt('2', '2026-03-10T15:00:00Z')]);
  releaseAll = [];
});
afterEach(async () => {
  for (const r of releaseAll) r();
  await closeLake(lake);
});

/** Both partitions and every row are the winner's, and the loser's error is a superseded one (exit 5). */
async function expectOnlyWinner(winner: string): Promise<void> {
  for (const t of [A, R]) expect(pointer(lake, t, 'dt', D)!.runId).toBe(winner);
  expect(await query(lake, `SELECT DISTINCT run_id FROM ${A} UNION SELECT DISTINCT run_id FROM ${R}`)).toEqual([{ run_id: winner }]);
}

test('a run whose heartbeat stalls past the stale limit while a newer run starts: the newer run takes the lock over and publishes wholly; the stalled run publishes nothing', async () => {
  const previous = await runJob(lake.services, JOBS[JOB], { date: D });
  const stalled = gate();
  const heartbeatsHeld = gate();
  releaseAll.push(heartbeatsHeld.open);
  // The older run's heartbeats (replace-if-match on its lock) hang, as in a frozen or partitioned process.
  const olderStore = new StallStore(lake.services.store, async (op, key) => {
    if (op === 'replace' && key === LOCK) {
      stalled.open();
      await heartbeatsHeld.promise;
    }
  });
  let newer: Promise<JobResult> | null = null;
  const olderServices: Services = {
    ...lake.services,
    store: olderStore,
    hooks: {
      lockTiming: { heartbeatMs: 1 },
      // Inside its lock, after its supersede check: wait until its heartbeat hangs, then let a newer run start and finish.
      beforePublish: async () => {
        await stalled.promise;
        newer = runJob({ ...lake.services, hooks: { lockTiming: fastClock() } }, JOBS[JOB], { date: D, flags: { force: true } });
        await newer.catch(() => undefined);
      },
    },
  };
  const older = await runJob(olderServices, JOBS[JOB], { date: D, flags: { force: true } }).catch((e: unknown) => e);
  const winner = await newer!;
  expect(winner.status).toBe('succeeded');
  expect(older).toBeInstanceOf(SupersededError);
  expect(exitCodeOf(older)).toBe(5);
  expect((older as Error).message).toMatch(/lost its publish lock/);
  await expectOnlyWinner(winner.runId);
  expect(fs.existsSync(path.join(lake.root, LOCK))).toBe(false); // the newer run released its own lock
  const ledger = await query<{ status: string }>(lake, `SELECT status FROM runs ORDER BY run_id`);
  expect(ledger.map((r) => r.status)).toEqual(['succeeded', 'superseded', 'succeeded']);
  expect(previous.runId < winner.runId).toBe(true);
});

test('a run that passed its fence check and stalls in its pointer write while a newer run takes over and publishes: its late write is refused (the pointer swap is conditional), never a mix', async () => {
  await runJob(lake.services, JOBS[JOB], { date: D });
  const atSecondSwap = gate();
  const newerDone = gate();
  const heartbeatsHeld = gate();
  releaseAll.push(heartbeatsHeld.open, newerDone.open);
  let olderId: string | undefined;
  const olderStore = new StallStore(lake.services.store, async (op, key, body) => {
    if (op === 'replace' && key === LOCK) await heartbeatsHeld.promise;
    // The main table is the second partition: the rejects are already current, the lock check passed.
    if (key === `tables/${A}/dt=${D}/_current.json`) {
      olderId = runIdOf(body);
      atSecondSwap.open();
      await newerDone.promise;
    }
  });
  const olderP = runJob({ ...lake.services, store: olderStore, hooks: { lockTiming: { heartbeatMs: 1 } } }, JOBS[JOB], { date: D, flags: { force: true } }).catch((e: unknown) => e);
  await atSecondSwap.promise;
  expect(pointer(lake, R, 'dt', D)!.runId).toBe(olderId); // the moment a kill would leave a mix
  const winner = await runJob({ ...lake.services, hooks: { lockTiming: fastClock() } }, JOBS[JOB], { date: D, flags: { force: true } });
  newerDone.open();
  const older = await olderP;
  expect(older).toBeInstanceOf(SupersededError);
  expect((older as Error).message).toContain(`superseded: run ${winner.runId}`);
  await expectOnlyWinner(winner.runId);
});

test('a failed heartbeat aborts the run: it publishes nothing after it, and the previous version stays current', async () => {
  const previous = await runJob(lake.services, JOBS[JOB], { date: D });
  const failed = gate();
  const store = new StallStore(lake.services.store, async (op, key) => {
    if (op === 'replace' && key === LOCK) {
      failed.open();
      throw new Error('503 Slow Down');
    }
  });
  const services: Services = { ...lake.services, store, hooks: { lockTiming: { heartbeatMs: 1 }, beforePublish: () => failed.promise } };
  const err = await runJob(services, JOBS[JOB], { date: D, flags: { force: true } }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(StorageError);
  expect((err as Error).message).toMatch(/could not refresh its publish lock .*503 Slow Down.*nothing more was published/);
  for (const t of [A, R]) expect(pointer(lake, t, 'dt', D)!.runId).toBe(previous.runId);
  expect(fs.existsSync(path.join(lake.root, LOCK))).toBe(false); // still its own, so released
});
