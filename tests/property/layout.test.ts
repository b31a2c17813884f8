/**
 * Property tests (SPEC.md "Raw input", STYLE.md "Tests" 3): the order of lines in a file, splitting a
 * file into several files of the same hour, and identical copies arriving later change neither the
 * notification_attempted/notification_delivered partitions (by their fields) nor the calc results.
 * One end-to-end example of each through the real jobs on two temp lakes; the same invariants run over
 * many examples on the dedup transform itself (tests/property/dedup-transform.test.ts).
 */
import fc from 'fast-check';
import { makeLake, closeLake, Lake } from '../helpers/lake';
import {
  RawEvent, RawFileSpec, canonicalLayout, datasetArb, isEvent, layoutIndependentResults, runPipeline, shuffled, writeLayout,
} from '../helpers/arb';

const RUNS = 1;

async function resultsOf(files: RawFileSpec[]): Promise<Record<string, unknown[]>> {
  let lake: Lake | undefined;
  try {
    lake = await makeLake();
    writeLayout(lake, files);
    await runPipeline(lake);
    return await layoutIndependentResults(lake);
  } finally {
    await closeLake(lake);
  }
}

async function expectSameResults(events: RawEvent[], transformed: RawFileSpec[]): Promise<void> {
  const base = await resultsOf(canonicalLayout(events));
  const other = await resultsOf(transformed);
  expect(other).toEqual(base);
}

test('shuffling the lines of each file changes nothing', async () => {
  await fc.assert(
    fc.asyncProperty(datasetArb, fc.integer(), async (events, seed) => {
      const files = canonicalLayout(events).map((f, i) => ({ ...f, lines: shuffled(f.lines, seed + i) }));
      await expectSameResults(events, files);
    }),
    { numRuns: RUNS },
  );
});

test('splitting a file into several files (plain or gzip) within the same hour folder changes nothing', async () => {
  await fc.assert(
    fc.asyncProperty(datasetArb, fc.integer({ min: 2, max: 4 }), fc.integer(), async (events, parts, seed) => {
      const files = canonicalLayout(events).flatMap((f, i) => {
        const lines = shuffled(f.lines, seed + i);
        const names = shuffled(['a', 'b', 'm', 'z'], seed - i).slice(0, parts);
        return names.map((n, k) => ({ ...f, name: `${n}-${k}.ndjson${k % 2 ? '.gz' : ''}`, lines: lines.filter((_l, j) => j % parts === k) })).filter((x) => x.lines.length > 0);
      });
      await expectSameResults(events, files);
    }),
    { numRuns: RUNS },
  );
});

test('identical copies arriving later (same file, a later file, a later hour) change nothing', async () => {
  await fc.assert(
    fc.asyncProperty(datasetArb, fc.array(fc.record({ pick: fc.nat(), where: fc.constantFrom('same', 'later-file', 'later-hour'), hours: fc.integer({ min: 1, max: 30 }) }), { minLength: 1, maxLength: 6 }), async (events, copies) => {
      const files = canonicalLayout(events).map((f) => ({ ...f, lines: [...f.lines] }));
      const extra: RawFileSpec[] = [];
      const valid = files.flatMap((f) => f.lines.filter(isEvent).map((line) => ({ f, line })));
      for (const c of copies) {
        const { f, line } = valid[c.pick % valid.length];
        if (c.where === 'same') f.lines.push(line);
        else if (c.where === 'later-file') extra.push({ ...f, name: 'zz-copy.ndjson', lines: [line] });
        else {
          const later = new Date(Date.parse(`${f.hour}:00:00Z`) + c.hours * 3_600_000).toISOString().slice(0, 13);
          extra.push({ ...f, hour: later, name: `copy-${extra.length}.ndjson.gz`, lines: [line] });
        }
      }
      await expectSameResults(events, [...files, ...extra]);
    }),
    { numRuns: RUNS },
  );
});
