/**
 * Garbage collection (issue 13, points 10 and 8): retention counts from the moment a version stopped
 * being current (the partition's `_history/`), not from its run's start; a retention under one hour is
 * refused; orphans count from their run's start and are kept while their run is running; shard outputs
 * are collected once old and not in use. Lakes are laid out by hand with timestamps in the past, so the
 * real CLI (`npm run gc`, wall clock) sees known ages without any waiting.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Lake, makeLake, closeLake, writeRaw, run, attempt, query } from '../helpers/lake';
import { collectGarbage } from '../../src/lake/gc';
import { cli, listFiles, runFolders } from './helpers';

const T = 'notification_attempted';
const HOUR = 3_600_000;
const ago = (ms: number) => new Date(Date.now() - ms);
let seq = 0;
/** A run id started at `at` (src/run/context.ts's format; newRunId never goes back in time, so it cannot be used here). */
function newRunId(at: Date): string {
  return `${at.toISOString().replace(/[-:.]/g, '')}-${(seq++).toString(16).padStart(8, '0')}`;
}

let lake: Lake;
beforeEach(async () => {
  lake = await makeLake();
});
afterEach(async () => {
  await closeLake(lake);
});

function write(key: string, body: string): void {
  const p = path.join(lake.root, key);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, body);
}

/** A version of partition dt=`date` written by `runId`; `publishedAt` set: it was made current then (history entry). */
function version(date: string, runId: string, publishedAt: string | null, opts: { current?: boolean; history?: boolean } = {}): void {
  const prefix = `tables/${T}/dt=${date}`;
  const pointer = { table: T, partitionKey: 'dt', partitionValue: date, runId, files: [`${prefix}/run=${runId}/part-00000.parquet`], rows: 1, fingerprint: null, publishedAt, meta: {} };
  write(`${prefix}/run=${runId}/part-00000.parquet`, 'x');
  write(`${prefix}/run=${runId}/_manifest.json`, JSON.stringify(pointer));
  if (publishedAt && opts.history !== false) write(`${prefix}/_history/${publishedAt}_${runId}.json`, JSON.stringify(pointer));
  if (opts.current) write(`${prefix}/_current.json`, JSON.stringify(pointer));
}

function gc(args: string[]): { status: number | null; stderr: string; removed: string[] } {
  const r = cli(lake, 'gc', args);
  const last = r.stdout.trim().split('\n').pop() ?? '';
  return { status: r.status, stderr: r.stderr, removed: r.status === 0 ? (JSON.parse(last).removed as string[]) : [] };
}

test('gc counts retention from when a version was superseded: a month-old run replaced 10 minutes ago is kept; one replaced 3 hours ago goes', () => {
  const monthOld = newRunId(ago(30 * 24 * HOUR));
  const restate = newRunId(ago(10 * 60_000));
  version('2026-03-10', monthOld, ago(30 * 24 * HOUR).toISOString());
  version('2026-03-10', restate, ago(10 * 60_000).toISOString(), { current: true });

  const replacedEarlier = newRunId(ago(30 * 24 * HOUR));
  const newer = newRunId(ago(3 * HOUR));
  version('2026-03-11', replacedEarlier, ago(30 * 24 * HOUR).toISOString());
  version('2026-03-11', newer, ago(3 * HOUR).toISOString(), { current: true });

  // The newest swap's history entry is missing (a run killed right after its pointer swap): the
  // pointer's own publishedAt still dates the supersession.
  const beforeUnrecorded = newRunId(ago(30 * 24 * HOUR));
  const unrecorded = newRunId(ago(5 * 60_000));
  version('2026-03-12', beforeUnrecorded, ago(30 * 24 * HOUR).toISOString());
  version('2026-03-12', unrecorded, ago(5 * 60_000).toISOString(), { current: true, history: false });

  const g = gc(['--retention-hours', '1']);
  expect(g.status).toBe(0);
  expect(g.removed).toEqual([`tables/${T}/dt=2026-03-11/run=${replacedEarlier}/`]);
  expect(runFolders(lake, T, 'dt', '2026-03-10')).toEqual([monthOld, restate].sort());
  expect(runFolders(lake, T, 'dt', '2026-03-11')).toEqual([newer]);
  expect(runFolders(lake, T, 'dt', '2026-03-12')).toEqual([beforeUnrecorded, unrecorded].sort());

  // With the default retention (168 h) nothing superseded within the week goes.
  version('2026-03-11', replacedEarlier, ago(30 * 24 * HOUR).toISOString());
  expect(gc([]).removed).toEqual([]);
});

test('gc refuses a retention under one hour (exit 2, one line) and removes nothing', async () => {
  const old = newRunId(ago(30 * 24 * HOUR));
  const cur = newRunId(ago(2 * HOUR));
  version('2026-03-10', old, ago(30 * 24 * HOUR).toISOString());
  version('2026-03-10', cur, ago(2 * HOUR).toISOString(), { current: true });
  for (const bad of ['0', '0.5']) {
    const r = cli(lake, 'gc', ['--retention-hours', bad]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--retention-hours/);
  }
  expect(runFolders(lake, T, 'dt', '2026-03-10')).toEqual([old, cur].sort());
  await expect(collectGarbage(lake.services.store, 0)).rejects.toThrow(/under 1 hour/);
});

test('orphans (never made current) count from their run start, and are kept while their run is running', () => {
  const cur = newRunId(ago(30 * 24 * HOUR));
  version('2026-03-10', cur, ago(30 * 24 * HOUR).toISOString(), { current: true });
  const deadOrphan = newRunId(ago(3 * HOUR));
  const liveOrphan = newRunId(ago(2 * HOUR));
  const youngOrphan = newRunId(ago(10 * 60_000));
  for (const id of [deadOrphan, liveOrphan, youngOrphan]) version('2026-03-10', id, null);
  // The live run still has its running marker and scratch; the dead one's marker was removed as it failed.
  write(`_state/running/notification_attempted_daily/2026-03-10/${liveOrphan}.json`, '{}');
  write(`_scratch/${liveOrphan}/work.parquet`, 'x');
  write(`_scratch/${deadOrphan}/work.parquet`, 'x');

  const g = gc(['--retention-hours', '1']);
  expect(g.status).toBe(0);
  expect(g.removed.sort()).toEqual([`_scratch/${deadOrphan}/work.parquet`, `tables/${T}/dt=2026-03-10/run=${deadOrphan}/`].sort());
  expect(runFolders(lake, T, 'dt', '2026-03-10')).toEqual([cur, liveOrphan, youngOrphan].sort());
  expect(listFiles(lake, '_state/running')).toEqual([`_state/running/notification_attempted_daily/2026-03-10/${liveOrphan}.json`]);
  expect(listFiles(lake, '_scratch')).toEqual([`_scratch/${liveOrphan}/work.parquet`]);
});

test('gc collects shard outputs once every shard of the job and date is older than the retention and no run of that job is running', () => {
  const J = 'ace_unit_calc_daily';
  const A = 'notification_attempted_daily';
  const shard = (date: string, k: number, runId: string | null, job = J) => {
    write(`_shards/${job}/${date}/n=2/k=${k}/engagements.parquet`, 'x');
    if (runId) write(`_shards/${job}/${date}/n=2/k=${k}/_meta.json`, JSON.stringify({ runId, fingerprint: 'f' }));
  };
  // Merged or abandoned: both shards two hours old, plus a shard of an earlier split killed before its meta.
  shard('2026-03-10', 0, newRunId(ago(2 * HOUR)));
  shard('2026-03-10', 1, newRunId(ago(2 * HOUR)));
  write(`_shards/${J}/2026-03-10/n=7/k=3/engagements.parquet`, 'x');
  // One shard still young: its merge may not have run yet.
  shard('2026-03-11', 0, newRunId(ago(2 * HOUR)));
  shard('2026-03-11', 1, newRunId(ago(10 * 60_000)));
  // Old shards of another job, one of whose shard runs is running now (its marker is `<date>@shard-k-of-n`,
  // which names no shard folder): that job's shard folders all stay.
  shard('2026-03-12', 0, newRunId(ago(3 * HOUR)), A);
  shard('2026-03-12', 1, newRunId(ago(3 * HOUR)), A);
  write(`_state/running/${A}/2026-03-12@shard-0-of-2/${newRunId(ago(60_000))}.json`, '{}');
  // No meta at all: cannot be dated, kept.
  shard('2026-03-13', 0, null);

  const g = gc(['--retention-hours', '1']);
  expect(g.status).toBe(0);
  expect(g.removed).toEqual([`_shards/${J}/2026-03-10/`]);
  expect(listFiles(lake, `_shards/${J}/2026-03-10`)).toEqual([]);
  for (const d of ['2026-03-11', '2026-03-13']) expect(listFiles(lake, `_shards/${J}/${d}`).length).toBeGreaterThan(0);
  expect(listFiles(lake, `_shards/${A}/2026-03-12`).length).toBeGreaterThan(0);
});

test('after a real sharded ingest and merge, gc removes the shard outputs and keeps the current version readable', async () => {
  const D = '2026-03-10';
  const JOB = 'notification_attempted_daily';
  for (let i = 0; i < 6; i++) writeRaw(lake, T, '2026-03-10T14', `f${i}.ndjson`, [attempt(`n${i}`, '2026-03-10T14:00:00Z')]);
  await run(lake, JOB, { date: D, flags: { shard: { kind: 'route', n: 2 } } });
  for (let k = 0; k < 2; k++) await run(lake, JOB, { date: D, flags: { shard: { kind: 'shard', k, n: 2 } } });
  const merged = await run(lake, JOB, { date: D, flags: { shard: { kind: 'merge', n: 2 } } });
  expect(merged.details.merge).toBe('parts');
  expect(listFiles(lake, `_shards/${JOB}/${D}`).length).toBeGreaterThan(0);

  // Right now (the shards are minutes old) they stay; seven hours later they go, the current version stays.
  expect((await collectGarbage(lake.services.store, 1)).removed).toEqual([]);
  const later = new Date(Date.now() + 7 * HOUR);
  const r = await collectGarbage(lake.services.store, 1, later);
  expect(r.removed).toContain(`_shards/${JOB}/${D}/`);
  expect(listFiles(lake, '_shards')).toEqual([]);
  expect(runFolders(lake, T, 'dt', D)).toEqual([merged.runId]);
  // The published parts were copied into the merge's version: still readable once the shard parts are gone.
  expect((await query(lake, `SELECT count(*)::INTEGER AS n FROM notification_attempted WHERE dt = '${D}'`))[0]).toEqual({ n: 6 });
  // The routed hour its manifest names stays: a rerun of the shards reads it.
  expect(listFiles(lake, '_routed').some((k) => k.endsWith('/_manifest.json'))).toBe(true);
});

test('an empty _current.json (an outside write) stops gc with one line naming the object, removing nothing; an unreadable shard record keeps its folder', () => {
  const old = newRunId(ago(30 * 24 * HOUR));
  version('2026-03-10', old, ago(30 * 24 * HOUR).toISOString());
  write(`tables/${T}/dt=2026-03-10/_current.json`, '');
  const g = gc(['--retention-hours', '1']);
  expect(g.status).toBe(1);
  expect(g.stderr).not.toContain('Unexpected end of JSON input');
  expect(g.stderr).toMatch(/cannot read .*tables\/notification_attempted\/dt=2026-03-10\/_current\.json: it is empty/);
  expect(runFolders(lake, T, 'dt', '2026-03-10')).toEqual([old]);

  fs.rmSync(path.join(lake.root, 'tables'), { recursive: true });
  write('_shards/ace_unit_calc_daily/2026-03-10/n=2/k=0/_meta.json', '');
  const s = gc(['--retention-hours', '1']);
  expect(s.status).toBe(0);
  expect(s.removed).toEqual([]);
  expect(s.stderr).toMatch(/_shards\/ace_unit_calc_daily\/2026-03-10\/n=2\/k=0\/_meta\.json.*treated as absent/);
});

test('gc removes the run folders of a routed hour that its manifest no longer names, once old; the named one stays', () => {
  const hour = '_routed/notification_attempted/2026/03/10/14/n=2';
  const [superseded, named, young] = [newRunId(ago(3 * HOUR)), newRunId(ago(2 * HOUR)), newRunId(ago(10 * 60_000))];
  for (const r of [superseded, named, young]) write(`${hour}/run=${r}/k=0.parquet`, 'x');
  write(`${hour}/_manifest.json`, JSON.stringify({ runId: named }));
  // A route killed before its manifest: an orphan, collected when old.
  const orphan = newRunId(ago(3 * HOUR));
  write(`_routed/notification_delivered/2026/03/10/14/n=2/run=${orphan}/k=1.parquet`, 'x');
  const g = gc(['--retention-hours', '1']);
  expect(g.status).toBe(0);
  expect(g.removed.filter((k) => k.startsWith('_routed/')).sort()).toEqual([`${hour}/run=${superseded}/`, `_routed/notification_delivered/2026/03/10/14/n=2/run=${orphan}/`].sort());
  expect(listFiles(lake, '_routed').sort()).toEqual([`${hour}/_manifest.json`, `${hour}/run=${named}/k=0.parquet`, `${hour}/run=${young}/k=0.parquet`]);
});

