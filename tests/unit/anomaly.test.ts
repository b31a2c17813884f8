/** The pure anomaly math (src/ops/anomaly.ts): median, MAD, which history a date is judged against, and the flags. */
import { bandFor, describeAnomaly, detect, mad, median, Series } from '../../src/rules/anomaly';
import { BusinessDate, addDays } from '../../src/time/time';

/** Values for `n` consecutive dates ending the day before `date`, from f(i) with i = 1 for the day before. */
function history(date: string, n: number, f: (i: number) => number): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = n; i >= 1; i--) m.set(addDays(date as BusinessDate, -i), f(i));
  return m;
}

describe('median and MAD', () => {
  test.each([
    { xs: [5], median: 5, mad: 0 },
    { xs: [1, 2, 3, 4], median: 2.5, mad: 1 },
    { xs: [3, 1, 2], median: 2, mad: 1 },
    { xs: [10, 10, 10, 1000], median: 10, mad: 0 },
    { xs: [1, 1, 2, 2, 4, 6, 9], median: 2, mad: 1 },
  ])('$xs → median $median, MAD $mad', ({ xs, median: m, mad: d }) => {
    expect(median(xs)).toBe(m);
    expect(mad(xs)).toBe(d);
  });
});

describe('bandFor: which history, which band', () => {
  const D = '2026-03-18' as BusinessDate; // a Wednesday
  test.each([
    { name: '13 dates of history: no band (too little history)', values: history(D, 13, () => 100), expected: null },
    { name: '14 dates: the last 28 days (only 2 same weekdays yet)', values: history(D, 14, () => 100), expected: { basis: 'last28', n: 14, median: 100 } },
    { name: '27 dates: still the last 28 days (3 same weekdays)', values: history(D, 27, () => 100), expected: { basis: 'last28', n: 27, median: 100 } },
    { name: '28 dates: the same weekday (4 of the last 8 weeks)', values: history(D, 28, () => 100), expected: { basis: 'weekday', n: 4, median: 100 } },
    { name: '70 dates: the same weekday over 8 weeks only', values: history(D, 70, () => 100), expected: { basis: 'weekday', n: 8, median: 100 } },
    {
      name: 'weekday basis follows the weekly pattern: Wednesdays are 500, other days 100',
      values: history(D, 56, (i) => (i % 7 === 0 ? 500 : 100)),
      expected: { basis: 'weekday', n: 8, median: 500 },
    },
  ])('$name', ({ values, expected }) => {
    const band = bandFor(D, values, 5, 'count');
    if (expected === null) return expect(band).toBeNull();
    expect(band).toMatchObject({ basis: expected.basis, median: expected.median });
    expect(band!.history).toHaveLength(expected.n);
  });

  test.each([
    { name: 'a count: √median (10) is above the MAD (5)', values: [90, 95, 100, 105, 110], k: 5, kind: 'count', floor: 0, low: 50, high: 150 },
    { name: 'a count: the MAD when it is the largest', values: [50, 100, 150], k: 5, kind: 'count', floor: 0, low: -150, high: 350 },
    { name: 'a flat count: √median', values: [200], k: 5, kind: 'count', floor: 0, low: 200 - 5 * Math.sqrt(200), high: 200 + 5 * Math.sqrt(200) },
    { name: 'a flat large count: 5% of the median', values: [10000], k: 5, kind: 'count', floor: 0, low: 7500, high: 12500 },
    { name: 'a flat count of zeros: at least 1', values: [0], k: 5, kind: 'count', floor: 0, low: -5, high: 5 },
    { name: 'k = 3', values: [90, 95, 100, 105, 110], k: 3, kind: 'count', floor: 0, low: 70, high: 130 },
    { name: 'a flat share: its floor', values: [0.02], k: 5, kind: 'share', floor: 0.005, low: -0.005, high: 0.045 },
  ] as const)('band: $name', ({ values, k, kind, floor, low, high }) => {
    // 14 dates (a band exists, over the last 28 days) cycling through the values.
    const band = bandFor(D, history(D, 14, (i) => values[i % values.length]), k, kind, floor)!;
    expect(band.low).toBeCloseTo(low);
    expect(band.high).toBeCloseTo(high);
  });
});

describe('detect', () => {
  const series = (values: Map<string, number>): Series => ({ scope: 'client', subject: 'c07', metric: 'delivered', kind: 'count', floor: 0, values });

  test('a 90% drop on one date is the one flag; the other dates are inside their band', () => {
    const values = history('2026-03-21', 20, (i) => 100 + ((i * 7) % 11) - 5);
    values.set('2026-03-18', 10);
    const flags = detect([series(values)], [...values.keys()], 5);
    expect(flags).toEqual([expect.objectContaining({ date: '2026-03-18', subject: 'c07', metric: 'delivered', value: 10, basis: 'last28' })]);
    expect(describeAnomaly(flags[0], 5)).toMatch(/^anomaly: client c07 delivered on 2026-03-18 = 10, outside \[\d+(\.\d+)?, \d+(\.\d+)?\] \(median \d+(\.\d+)? ± 5·MAD/);
  });

  test('no flag before 14 dates of history, however far off the value', () => {
    const values = history('2026-03-14', 13, () => 100);
    values.set('2026-03-14', 0);
    expect(detect([series(values)], ['2026-03-14'], 5)).toEqual([]);
  });

  test('a rise is flagged as well as a drop; a date without a value is not judged', () => {
    const values = history('2026-03-20', 19, () => 100);
    values.set('2026-03-20', 1000);
    expect(detect([series(values)], ['2026-03-20', '2026-03-25'], 5).map((f) => [f.date, f.value])).toEqual([['2026-03-20', 1000]]);
  });
});
