/**
 * Scale-out by shards: a route task (`--route N`) splits each arrival hour's raw lines by a hash of
 * notification_id, N tasks each ingest their share (`--shard k/N`) and one merge (`--merge-shards N`)
 * publishes the shards' parts; the calc's engagement step is split by the same hash. Property: for
 * N = 1, 2 and 7 every table equals the single-task result, including duplicates whose copies sit in
 * different files: identical, conflicting in one field (the same shard), and conflicting in their
 * notification_id (different shards, which the merge must still catch by event_id).
 */
import fc from 'fast-check';
import { DATES, RawFileSpec, allRowsButRunId, canonicalLayout, datasetArb, isEvent, runPipeline, writeLayout } from '../helpers/arb';
import { Lake, closeLake, makeLake, run } from '../helpers/lake';
import { ShardMode } from '../../src/run/job';
import { parseHourEnding, parseShard } from '../../src/cli/args';

/** Splits every file into three (lines round-robin) and adds later copies: identical and conflicting. */
function withStraddlingDuplicates(files: RawFileSpec[]): RawFileSpec[] {
  const out: RawFileSpec[] = [];
  // Only the first file's copies change notification_id: the other days publish the shards' parts as they are.
  let crossShard = true;
  for (const f of files) {
    for (let part = 0; part < 3; part++) {
      const lines = f.lines.filter((_l, i) => i % 3 === part);
      if (lines.length > 0) out.push({ ...f, name: `part-${part}.ndjson`, lines });
    }
    const events = f.lines.filter(isEvent);
    if (events.length > 0) {
      const copies = [events[0], { ...events[events.length - 1], channel: 'wire', ...(crossShard ? { notification_id: 'n-conflict' } : {}) }];
      if (events.length > 1) copies.push({ ...events[1], channel: 'wire' });
      crossShard = false;
      out.push({ ...f, name: 'zz-copies.ndjson', lines: copies });
    }
  }
  return out;
}

/** How each merge published (the shards' parts, or a dedup of their lines): both must occur. */
const merges = new Set<unknown>();
/** Whether each calc merge extended the month or recomputed it: both must occur. */
const calcPaths = new Set<unknown>();

async function runSharded(lake: Lake, n: number): Promise<void> {
  const shard = (k: number): ShardMode => ({ kind: 'shard', k, n });
  for (const d of DATES) {
    for (const job of ['notification_attempted_daily', 'notification_delivered_daily'] as const) {
      await run(lake, job, { date: d, flags: { shard: { kind: 'route', n } } }, { maxRejectRate: 1 });
      for (let k = 0; k < n; k++) await run(lake, job, { date: d, flags: { shard: shard(k) } }, { maxRejectRate: 1 });
      const merged = await run(lake, job, { date: d, flags: { shard: { kind: 'merge', n } } }, { maxRejectRate: 1 });
      if (n > 1) merges.add(merged.details.merge);
    }
  }
  // Day by day, as the nightly graph runs: the first date recomputes the month, the second extends it.
  for (const asOf of DATES) {
    for (let k = 0; k < n; k++) await run(lake, 'ace_unit_calc_daily', { date: asOf, flags: { shard: shard(k) } });
    const merged = await run(lake, 'ace_unit_calc_daily', { date: asOf, flags: { shard: { kind: 'merge', n } } });
    calcPaths.add(merged.details.incremental);
  }
}

test('the union of N shards equals the single-task result (N = 1, 2, 7)', async () => {
  await fc.assert(
    fc.asyncProperty(datasetArb, async (events) => {
      const layout = withStraddlingDuplicates(canonicalLayout(events));
      const single = await makeLake();
      try {
        writeLayout(single, layout);
        await runPipeline(single);
        const expected = await allRowsButRunId(single);
        for (const n of [1, 2, 7]) {
          const sharded = await makeLake();
          try {
            writeLayout(sharded, layout);
            await runSharded(sharded, n);
            expect(await allRowsButRunId(sharded)).toEqual(expected);
          } finally {
            await closeLake(sharded);
          }
        }
      } finally {
        await closeLake(single);
      }
    }),
    { numRuns: 4 },
  );
  expect([...merges].sort()).toEqual(['dedup', 'parts']);
  expect([...calcPaths].sort()).toEqual([false, true]);
});

test('a merge refuses missing shards and shards built from other raw files', async () => {
  const lake = await makeLake();
  try {
    writeLayout(lake, withStraddlingDuplicates(canonicalLayout(fc.sample(datasetArb, { numRuns: 1, seed: 42 })[0])));
    await expect(run(lake, 'notification_attempted_daily', { date: DATES[0], flags: { shard: { kind: 'shard', k: 0, n: 2 } } })).rejects.toThrow(/are not routed into 2 shards as their files are now; run .* --route 2/);
    await run(lake, 'notification_attempted_daily', { date: DATES[0], flags: { shard: { kind: 'route', n: 2 } } });
    await run(lake, 'notification_attempted_daily', { date: DATES[0], flags: { shard: { kind: 'shard', k: 0, n: 2 } } });
    await expect(run(lake, 'notification_attempted_daily', { date: DATES[0], flags: { shard: { kind: 'merge', n: 2 } } })).rejects.toThrow(/shard 1\/2 .* has not run/);
    await run(lake, 'notification_attempted_daily', { date: DATES[0], flags: { shard: { kind: 'shard', k: 1, n: 2 } } });
    writeLayout(lake, [{ stream: 'notification_attempted', hour: '2026-03-01T12', name: 'late.ndjson', lines: ['{}'] }]);
    await expect(run(lake, 'notification_attempted_daily', { date: DATES[0], flags: { shard: { kind: 'merge', n: 2 } } })).rejects.toThrow(/changed after shard 0\/2/);
  } finally {
    await closeLake(lake);
  }
});

test('a day whose copies of one event_id sit in two shards is deduplicated exactly by the merge', async () => {
  const lake = await makeLake();
  try {
    const ev = (id: string, n: string, at: string) => ({ event_id: id, notification_id: n, client_id: 'c1', customer_id: 'u1', experience_id: 'x1', channel: 'sms', attempted_at: at });
    // Two shards for sure: notification ids n-0 … n-15 spread over 2 shards, and e-dup's copies differ in it.
    const lines = [...Array(16).keys()].map((i) => ev(`e-${i}`, `n-${i}`, '2026-03-01T15:00:00Z'));
    writeLayout(lake, [
      { stream: 'notification_attempted', hour: '2026-03-01T15', name: 'a.ndjson', lines: [...lines, ev('e-dup', 'n-0', '2026-03-01T15:00:00Z')] },
      { stream: 'notification_attempted', hour: '2026-03-01T16', name: 'b.ndjson', lines: [...Array(16).keys()].map((i) => ev('e-dup', `n-${i}`, '2026-03-01T15:00:00Z')) },
    ]);
    const job = 'notification_attempted_daily';
    await run(lake, job, { date: DATES[0], flags: { shard: { kind: 'route', n: 2 } } });
    // Each shard counts the key hashes of its claims bucket that went to more than one shard.
    const shards = [];
    for (const k of [0, 1]) shards.push(await run(lake, job, { date: DATES[0], flags: { shard: { kind: 'shard', k, n: 2 } } }));
    expect(shards.map((r) => r.details.shared_keys as number).reduce((a, b) => a + b)).toBe(1);
    const merged = await run(lake, job, { date: DATES[0], flags: { shard: { kind: 'merge', n: 2 } } });
    expect(merged.details).toMatchObject({ kept: 17, duplicates: 16, conflicting_duplicates: 15, merge: 'dedup' });
    const single = await run(lake, job, { date: DATES[0], flags: { force: true } });
    expect(single.details).toMatchObject({ kept: 17, duplicates: 16, conflicting_duplicates: 15 });
  } finally {
    await closeLake(lake);
  }
});

test.each([
  [['notification_attempted_daily', '0/4', undefined], { kind: 'shard', k: 0, n: 4 }],
  [['ace_unit_calc_daily', undefined, '7'], { kind: 'merge', n: 7 }],
  [['notification_delivered_daily', undefined, undefined, '8'], { kind: 'route', n: 8 }],
])('parseShard %p', (args, expected) => {
  const [job, shard, merge, route] = args as [string, string | undefined, string | undefined, string | undefined];
  expect(parseShard(job, shard, merge, route)).toEqual(expected);
});

test.each([
  ['dim_customer_daily', '0/2', undefined, /does not run in shards/],
  ['notification_attempted_daily', '2/2', undefined, /0 <= k < N/],
  ['notification_attempted_daily', 'a/b', undefined, /not valid/],
  ['notification_attempted_daily', '0/2', '2', /use one of/],
  ['notification_attempted_daily', undefined, '0', /1 to 1024/],
])('parseShard refuses %p %p %p', (job, shard, merge, message) => {
  expect(() => parseShard(job, shard, merge)).toThrow(message);
});

test('only the event streams route', () => {
  expect(() => parseShard('ace_unit_calc_daily', undefined, undefined, '4')).toThrow(/does not route raw lines/);
  expect(() => parseShard('notification_attempted_daily', undefined, undefined, 'x')).toThrow(/--route "x" is not valid/);
});

test('a route reads only the arrival hours not routed yet, and a rerun reads none', async () => {
  const lake = await makeLake();
  try {
    writeLayout(lake, canonicalLayout(fc.sample(datasetArb, { numRuns: 1, seed: 7 })[0]));
    const job = 'notification_attempted_daily';
    const route = async (date: string) => (await run(lake, job, { date, flags: { shard: { kind: 'route', n: 3 } } }, { maxRejectRate: 1 })).details as { routed: number; skipped: number };
    const first = await route(DATES[0]);
    expect(first.routed).toBeGreaterThan(0);
    // The next date's window overlaps: only its hours past the first window are new (one day's, at most).
    const next = await route(DATES[1]);
    expect(next.routed).toBeLessThanOrEqual(24);
    expect(next.routed + next.skipped).toBe(first.routed + first.skipped);
    expect(await route(DATES[1])).toMatchObject({ routed: 0 });
  } finally {
    await closeLake(lake);
  }
});

test('--hour-ending: the arrival hour that ended last at or before the instant, whatever its offset', () => {
  expect(parseHourEnding('2026-03-10T15:20:00Z').toISOString()).toBe('2026-03-10T14:00:00.000Z');
  expect(parseHourEnding('2026-03-10T15:00:00Z').toISOString()).toBe('2026-03-10T14:00:00.000Z');
  expect(parseHourEnding('2026-03-10T11:20:00-04:00').toISOString()).toBe('2026-03-10T14:00:00.000Z');
  expect(parseShard('notification_attempted_daily', undefined, undefined, '3', '2026-03-10T15:20:00Z')).toEqual({ kind: 'route', n: 3, hour: new Date('2026-03-10T14:00:00Z') });
  expect(() => parseHourEnding('2026-03-10 15:20')).toThrow(/ISO instant with its offset/);
  expect(() => parseHourEnding('2026-03-10T15:20:00')).toThrow(/ISO instant with its offset/);
  expect(() => parseShard('notification_attempted_daily', '0/2', undefined, undefined, '2026-03-10T15:20:00Z')).toThrow(/--hour-ending goes with --route N/);
});

test('the hourly router routes one arrival hour; the daily route then routes only the others', async () => {
  const lake = await makeLake();
  try {
    writeLayout(lake, canonicalLayout(fc.sample(datasetArb, { numRuns: 1, seed: 7 })[0]));
    const job = 'notification_attempted_daily';
    const all = (await run(lake, job, { date: DATES[0], flags: { shard: { kind: 'route', n: 3 } } }, { maxRejectRate: 1 })).details as { routed: number; skipped: number };
    const lake2 = await makeLake();
    try {
      writeLayout(lake2, canonicalLayout(fc.sample(datasetArb, { numRuns: 1, seed: 7 })[0]));
      // An hour the first date owns: routed alone, then skipped by the date's route.
      const hour = new Date(`${DATES[0]}T12:00:00Z`);
      const one = (await run(lake2, job, { date: DATES[0], flags: { shard: { kind: 'route', n: 3, hour } } }, { maxRejectRate: 1 })).details as { routed: number; skipped: number };
      expect(one.routed + one.skipped).toBe(1);
      const rest = (await run(lake2, job, { date: DATES[0], flags: { shard: { kind: 'route', n: 3 } } }, { maxRejectRate: 1 })).details as { routed: number; skipped: number };
      expect(rest.routed).toBe(all.routed - one.routed);
      for (let k = 0; k < 3; k++) await run(lake2, job, { date: DATES[0], flags: { shard: { kind: 'shard', k, n: 3 } } }, { maxRejectRate: 1 });
      const merged = await run(lake2, job, { date: DATES[0], flags: { shard: { kind: 'merge', n: 3 } } }, { maxRejectRate: 1 });
      const single = await run(lake, job, { date: DATES[0] }, { maxRejectRate: 1 });
      expect(merged.details.kept).toBe(single.details.kept);
    } finally {
      await closeLake(lake2);
    }
  } finally {
    await closeLake(lake);
  }
});

test('a route with more than a day of hours to catch up reads them a day at a time, and the shards still give the single task', async () => {
  const lake = await makeLake();
  try {
    const ev = (i: number, hour: string) => ({ event_id: `e-${i}`, notification_id: `n-${i % 5}`, client_id: 'c1', customer_id: `u${i % 3}`, experience_id: 'x1', channel: 'sms', attempted_at: `${hour}:00:00Z` });
    // One file in each of 40 arrival hours of the first date's window (its own date's hours and the next day's).
    const start = Date.parse(`${DATES[0]}T05:00:00Z`);
    const hours = Array.from({ length: 40 }, (_, i) => new Date(start + i * 3_600_000).toISOString().slice(0, 13));
    writeLayout(lake, hours.map((hour, i) => ({ stream: 'notification_attempted' as const, hour, name: 'a.ndjson', lines: [ev(i, hour), ev(i, hour)] })));
    const job = 'notification_attempted_daily';
    const routed = await run(lake, job, { date: DATES[0], flags: { shard: { kind: 'route', n: 2 } } });
    expect(routed.details).toMatchObject({ routed: 40, lines: 80 });
    for (const k of [0, 1]) await run(lake, job, { date: DATES[0], flags: { shard: { kind: 'shard', k, n: 2 } } });
    const merged = await run(lake, job, { date: DATES[0], flags: { shard: { kind: 'merge', n: 2 } } });
    const single = await run(lake, job, { date: DATES[0], flags: { force: true } });
    const counts = (d: Record<string, unknown>) => ({ lines_read: d.lines_read, kept: d.kept, duplicates: d.duplicates, other_date: d.other_date });
    expect(counts(merged.details)).toEqual(counts(single.details));
    expect(merged.details).toMatchObject({ lines_read: 80, duplicates: 40 });
  } finally {
    await closeLake(lake);
  }
});
