/**
 * Scale-out by shards: N tasks each ingest the raw files of their shard (`--shard k/N`) and one merge
 * (`--merge-shards N`) publishes; the calc's engagement step is split by a hash of notification_id the
 * same way. Property: for N = 1, 2 and 7 every table equals the single-task result, including
 * duplicates (identical and conflicting) whose copies sit in files of different shards.
 */
import fc from 'fast-check';
import { DATES, RawFileSpec, allRowsButRunId, canonicalLayout, datasetArb, isEvent, runPipeline, writeLayout } from '../helpers/arb';
import { Lake, closeLake, makeLake, run } from '../helpers/lake';
import { ShardMode } from '../../src/run/job';
import { parseShard } from '../../src/cli/args';

/** Splits every file into three (lines round-robin) and adds later copies: identical and conflicting. */
function withStraddlingDuplicates(files: RawFileSpec[]): RawFileSpec[] {
  const out: RawFileSpec[] = [];
  for (const f of files) {
    for (let part = 0; part < 3; part++) {
      const lines = f.lines.filter((_l, i) => i % 3 === part);
      if (lines.length > 0) out.push({ ...f, name: `part-${part}.ndjson`, lines });
    }
    const events = f.lines.filter(isEvent);
    if (events.length > 0) {
      out.push({ ...f, name: 'zz-copies.ndjson', lines: [events[0], { ...events[events.length - 1], channel: 'wire', notification_id: 'n-conflict' }] });
    }
  }
  return out;
}

async function runSharded(lake: Lake, n: number): Promise<void> {
  const shard = (k: number): ShardMode => ({ kind: 'shard', k, n });
  for (const d of DATES) {
    for (const job of ['notification_attempted_daily', 'notification_delivered_daily'] as const) {
      for (let k = 0; k < n; k++) await run(lake, job, { date: d, flags: { shard: shard(k) } }, { maxRejectRate: 1 });
      await run(lake, job, { date: d, flags: { shard: { kind: 'merge', n } } }, { maxRejectRate: 1 });
    }
  }
  const asOf = DATES[DATES.length - 1];
  for (let k = 0; k < n; k++) await run(lake, 'ace_unit_calc_daily', { date: asOf, flags: { shard: shard(k) } });
  await run(lake, 'ace_unit_calc_daily', { date: asOf, flags: { shard: { kind: 'merge', n } } });
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
});

test('a merge refuses missing shards and shards built from other raw files', async () => {
  const lake = await makeLake();
  try {
    writeLayout(lake, withStraddlingDuplicates(canonicalLayout(fc.sample(datasetArb, { numRuns: 1, seed: 42 })[0])));
    await run(lake, 'notification_attempted_daily', { date: DATES[0], flags: { shard: { kind: 'shard', k: 0, n: 2 } } });
    await expect(run(lake, 'notification_attempted_daily', { date: DATES[0], flags: { shard: { kind: 'merge', n: 2 } } })).rejects.toThrow(/shard 1\/2 .* has not run/);
    await run(lake, 'notification_attempted_daily', { date: DATES[0], flags: { shard: { kind: 'shard', k: 1, n: 2 } } });
    writeLayout(lake, [{ stream: 'notification_attempted', hour: '2026-03-01T12', name: 'late.ndjson', lines: ['{}'] }]);
    await expect(run(lake, 'notification_attempted_daily', { date: DATES[0], flags: { shard: { kind: 'merge', n: 2 } } })).rejects.toThrow(/changed after shard 0\/2/);
  } finally {
    await closeLake(lake);
  }
});

test.each([
  [['notification_attempted_daily', '0/4', undefined], { kind: 'shard', k: 0, n: 4 }],
  [['ace_unit_calc_daily', undefined, '7'], { kind: 'merge', n: 7 }],
])('parseShard %p', (args, expected) => {
  const [job, shard, merge] = args as [string, string | undefined, string | undefined];
  expect(parseShard(job, shard, merge)).toEqual(expected);
});

test.each([
  ['dim_customer_daily', '0/2', undefined, /does not run in shards/],
  ['notification_attempted_daily', '2/2', undefined, /0 <= k < N/],
  ['notification_attempted_daily', 'a/b', undefined, /not valid/],
  ['notification_attempted_daily', '0/2', '2', /either/],
  ['notification_attempted_daily', undefined, '0', /1 to 1024/],
])('parseShard refuses %p %p %p', (job, shard, merge, message) => {
  expect(() => parseShard(job, shard, merge)).toThrow(message);
});
