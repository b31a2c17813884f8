/**
 * Cases 2 and 3 (issue 6): a lost response on the pointer write, and two concurrent runs of the same
 * job and date (src/lake/coordination.ts: the newest run supersedes older ones; one run's version per
 * partition, never mixed). Also versionAsOf against an orphan left by a killed run.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Lake, makeLake, closeLake, writeRaw, attempt, pointer, query } from '../helpers/lake';
import { ObjectStore } from '../../src/lake/objectStore';
import { Services, JobContext, newRunId } from '../../src/run/context';
import { RunCoordinator } from '../../src/lake/coordination';
import { runJob } from '../../src/run/run';
import { JOBS } from '../../jobs/index';
import { SupersededError, exitCodeOf, UsageError, ConfigError, BadInputError } from '../../src/errors';
import { TABLES } from '../../src/rules/tables';
import { versionAsOf } from '../../src/lake/publish';
import { cli, runFolders, WrappedStore } from './helpers';

const A = 'notification_attempted';
const R = 'notification_attempted_rejects';
const JOB = 'notification_attempted_daily';
const D = '2026-03-10';

/** The pointer write goes through, then the caller sees an error (a timeout after the PUT landed). */
class LostResponseStore extends WrappedStore {
  lost: string[] = [];
  override async replaceIfMatch(key: string, body: string, etag: string): Promise<string> {
    const written = await this.inner.replaceIfMatch(key, body, etag);
    if (key.endsWith('_current.json') && this.lost.length === 0) {
      this.lost.push(key);
      throw new Error(`socket hang up after writing ${key}`);
    }
    return written;
  }
}

let lake: Lake;
beforeEach(async () => {
  lake = await makeLake({ ACE_MAX_REJECT_RATE: '1' });
  writeRaw(lake, A, '2026-03-10T14', 'a.ndjson', [attempt('1', '2026-03-10T14:00:00Z'), 'oops', attempt('2', '2026-03-10T15:00:00Z')]);
});
afterEach(async () => {
  await closeLake(lake);
});

const withStore = (store: ObjectStore): Services => ({ ...lake.services, store });

describe('lost response on the pointer write', () => {
  test('the job recognises its own pointer, succeeds, and publishes each partition exactly once', async () => {
    const first = await runJob(lake.services, JOBS[JOB], { date: D });
    const store = new LostResponseStore(lake.services.store);
    const r = await runJob(withStore(store), JOBS[JOB], { date: D, flags: { force: true } });
    expect(store.lost).toHaveLength(1); // the fault did fire (on the first pointer: the rejects)
    expect(r.status).toBe('succeeded');
    for (const t of [A, R]) {
      expect(pointer(lake, t, 'dt', D)!.runId).toBe(r.runId);
      // Exactly one new run folder: no second publish under another id.
      expect(runFolders(lake, t, 'dt', D)).toEqual([first.runId, r.runId].sort());
    }
    expect(await query(lake, `SELECT DISTINCT run_id FROM ${A} UNION SELECT DISTINCT run_id FROM ${R}`)).toEqual([{ run_id: r.runId }]);
  });

  test('a real failure of the pointer write (nothing landed) still fails the job and leaves the previous version', async () => {
    const first = await runJob(lake.services, JOBS[JOB], { date: D });
    class FailingStore extends WrappedStore {
      override async replaceIfMatch(key: string, body: string, etag: string): Promise<string> {
        if (key.endsWith('_current.json')) throw new Error('503 Slow Down');
        return this.inner.replaceIfMatch(key, body, etag);
      }
    }
    await expect(runJob(withStore(new FailingStore(lake.services.store)), JOBS[JOB], { date: D, flags: { force: true } })).rejects.toThrow(/Slow Down/);
    for (const t of [A, R]) expect(pointer(lake, t, 'dt', D)!.runId).toBe(first.runId);
  });
});

describe('concurrent runs of the same job and date', () => {
  const runningDir = () => path.join(lake.root, '_state/running', JOB, D);
  /** Run ids with a running marker (complete files only, not the writer's temp files). */
  const markers = () => (fs.existsSync(runningDir()) ? fs.readdirSync(runningDir()).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort() : []);
  /** The run that published last (the coordinator's record), if any. */
  const publishedRun = () => {
    const f = path.join(lake.root, '_state/published', JOB, `${D}.json`);
    return fs.existsSync(f) ? (JSON.parse(fs.readFileSync(f, 'utf8')) as { runId: string }).runId : null;
  };
  /** Waits until a newer run is running or, if it was quicker than the held run, has already published. */
  const newerMarker = async (than: string) => {
    for (let i = 0; i < 60_000; i++) {
      const ids = markers();
      const published = publishedRun();
      if (ids.some((id) => id > than) || (published !== null && published > than)) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('the newer run never started');
  };

  test('the older run, held before it takes the publish lock until the newer one started, is superseded; the newer one wins wholly', async () => {
    // Hold the older run just before its publish step (its lock attempt), until a newer run's marker exists.
    let olderId: string | null = null;
    class HoldOlder extends WrappedStore {
      override async createIfAbsent(key: string, body: string): Promise<string> {
        if (key.includes('/locks/') && (JSON.parse(body) as { runId: string }).runId === olderId) await newerMarker(olderId!);
        return this.inner.createIfAbsent(key, body);
      }
    }
    // (hooks.beforePublish runs inside the lock, after the supersede check, so the hold is on the lock attempt.)
    const services = withStore(new HoldOlder(lake.services.store));
    const olderP = runJob(services, JOBS[JOB], { date: D });
    // Identify the older run by its running marker, then start the newer one.
    for (let i = 0; i < 60_000 && !olderId; i++) {
      const ids = markers();
      if (ids.length > 0) olderId = ids[0];
      else await new Promise((r) => setTimeout(r, 5));
    }
    expect(olderId).not.toBeNull();
    const newerP = runJob(services, JOBS[JOB], { date: D });
    const [older, newer] = await Promise.allSettled([olderP, newerP]);
    expect(older.status).toBe('rejected');
    const err = (older as PromiseRejectedResult).reason;
    expect(err).toBeInstanceOf(SupersededError);
    expect(err.message).toContain('superseded');
    expect(err.message).toContain(olderId!);
    expect(exitCodeOf(err)).toBe(5);
    expect(newer.status).toBe('fulfilled');
    const winner = (newer as PromiseFulfilledResult<{ runId: string }>).value.runId;
    expect(winner > olderId!).toBe(true);
    for (const t of [A, R]) {
      expect(pointer(lake, t, 'dt', D)!.runId).toBe(winner);
      expect(runFolders(lake, t, 'dt', D)).toEqual([winner]); // the superseded run wrote nothing
    }
    expect(await query(lake, `SELECT DISTINCT run_id FROM ${A} UNION SELECT DISTINCT run_id FROM ${R}`)).toEqual([{ run_id: winner }]);
    const ledger = await query<{ run_id: string; status: string }>(lake, `SELECT run_id, status FROM runs ORDER BY run_id`);
    expect(ledger).toEqual([{ run_id: olderId, status: 'superseded' }, { run_id: winner, status: 'succeeded' }]);
  });

  test('hooks.beforePublish holding the older run (inside its lock, after its check) until the newer started: the two publishes never interleave and the newer run is current', async () => {
    let olderId: string | null = null;
    let held = false;
    const services: Services = {
      ...lake.services,
      hooks: {
        beforePublish: async (ctx: JobContext) => {
          if (ctx.runId === olderId) {
            held = true;
            await newerMarker(ctx.runId);
            await new Promise((r) => setTimeout(r, 100)); // let the newer run reach the lock
          }
        },
      },
    };
    const olderP = runJob(services, JOBS[JOB], { date: D });
    while (!olderId) {
      const ids = markers();
      if (ids.length > 0) olderId = ids[0];
      else await new Promise((r) => setTimeout(r, 5));
    }
    const newerP = runJob(services, JOBS[JOB], { date: D });
    const [older, newer] = await Promise.allSettled([olderP, newerP]);
    expect(newer.status).toBe('fulfilled');
    const winner = (newer as PromiseFulfilledResult<{ runId: string }>).value.runId;
    // The older run had passed its supersede check before the newer one existed, so it may publish; it
    // then does so wholly before the newer run gets the lock. Either way the newer version is current, never mixed.
    // Two legal orders: the newer run started before the older one's check (superseded, never held), or
    // after it (held inside its lock, it published wholly first, then the newer run replaced it).
    if (older.status === 'rejected') expect(older.reason).toBeInstanceOf(SupersededError);
    else expect(held).toBe(true);
    for (const t of [A, R]) expect(pointer(lake, t, 'dt', D)!.runId).toBe(winner);
    expect(await query(lake, `SELECT DISTINCT run_id FROM ${A} UNION SELECT DISTINCT run_id FROM ${R}`)).toEqual([{ run_id: winner }]);
    for (const t of [A, R]) {
      const p = pointer(lake, t, 'dt', D)!;
      const inFile = await query<{ run_id: string }>(lake, `SELECT DISTINCT run_id FROM read_parquet('${path.join(lake.root, p.files[0])}')`);
      expect(inFile).toEqual([{ run_id: winner }]);
    }
  });

  test('a run older than the last published run is superseded without publishing', async () => {
    // Simulate a slow older run: it started before a run that has already published.
    const oldId = newRunId();
    const done = await runJob(lake.services, JOBS[JOB], { date: D });
    const slow = new RunCoordinator(lake.services.store, JOB, D, oldId);
    let called = false;
    await expect(slow.publishExclusively(async () => { called = true; })).rejects.toThrow(new RegExp(`superseded: a newer run ${done.runId}`));
    expect(called).toBe(false);
  });
});

test('exit codes: superseded is 5 (usage 2, config 3, data 4, other 1)', () => {
  expect(exitCodeOf(new SupersededError('superseded: …'))).toBe(5);
  expect(exitCodeOf(new UsageError('x'))).toBe(2);
  expect(exitCodeOf(new ConfigError('x'))).toBe(3);
  expect(exitCodeOf(new BadInputError('x'))).toBe(4);
  expect(exitCodeOf(new Error('x'))).toBe(1);
});

// Regression: versionAsOf once treated every run folder's `_manifest.json` as a version that was current
// at its publishedAt. A run killed between its manifest and its pointer swap (or one whose pointer write
// failed) leaves a manifest that never became current. It now reads the partition's `_history/`, which
// only versions that were made current enter; the export diff relies on it to find the ingest data a
// previous export was built from.
test('versionAsOf never returns an orphan version that was never made current', async () => {
  const good = await runJob(lake.services, JOBS[JOB], { date: D });
  // Killed between the rejects partition's manifest and its pointer swap: an orphan manifest remains.
  const k = cli(lake, 'job', [JOB, '--date', D, '--force'], { ACE_FAULT_POINT: 'after-data-before-pointer', ACE_MAX_REJECT_RATE: '1' });
  expect(k.status === 137 || k.signal === 'SIGKILL').toBe(true);
  expect(runFolders(lake, R, 'dt', D)).toHaveLength(2);
  expect(pointer(lake, R, 'dt', D)!.runId).toBe(good.runId);
  const v = await versionAsOf(lake.services.store, TABLES.notification_attempted_rejects, D, new Date().toISOString());
  expect(v?.runId).toBe(good.runId); // not the killed run's id
});
