import {
  addDays, businessDateOf, lastDayOf, monthWindow, ownedHours, parseBillingMonth, parseBusinessDate,
  readHours, tooLateBefore, windowOf, BusinessDate, BillingMonth, ownerOf,
} from '../../src/time/time';

const d = (s: string) => parseBusinessDate(s) as BusinessDate;
const hours = (w: { startUtc: Date; endUtc: Date }) => (w.endUtc.getTime() - w.startUtc.getTime()) / 3_600_000;

describe('business date windows (America/New_York)', () => {
  test.each([
    ['2026-03-07', '2026-03-07T05:00:00.000Z', '2026-03-08T05:00:00.000Z', 24],
    ['2026-03-08', '2026-03-08T05:00:00.000Z', '2026-03-09T04:00:00.000Z', 23],
    ['2026-03-09', '2026-03-09T04:00:00.000Z', '2026-03-10T04:00:00.000Z', 24],
    ['2026-11-01', '2026-11-01T04:00:00.000Z', '2026-11-02T05:00:00.000Z', 25],
    ['2026-12-31', '2026-12-31T05:00:00.000Z', '2027-01-01T05:00:00.000Z', 24],
    ['2024-02-29', '2024-02-29T05:00:00.000Z', '2024-03-01T05:00:00.000Z', 24],
  ])('%s is [%s, %s), %d hours', (date, start, end, h) => {
    const w = windowOf(d(date));
    expect(w.startUtc.toISOString()).toBe(start);
    expect(w.endUtc.toISOString()).toBe(end);
    expect(hours(w)).toBe(h);
  });

  test.each([
    ['2026-03-08T04:59:59.999Z', '2026-03-07'],
    ['2026-03-08T05:00:00.000Z', '2026-03-08'],
    ['2026-03-09T03:59:59.999Z', '2026-03-08'],
    ['2026-03-09T04:00:00.000Z', '2026-03-09'],
    ['2026-11-02T04:59:59.999Z', '2026-11-01'],
    ['2026-11-02T05:00:00.000Z', '2026-11-02'],
  ])('instant %s has business date %s', (instant, date) => {
    expect(businessDateOf(new Date(instant))).toBe(date);
  });

  test('month edges', () => {
    expect(lastDayOf('2026-02' as BillingMonth)).toBe('2026-02-28');
    expect(lastDayOf('2024-02' as BillingMonth)).toBe('2024-02-29');
    expect(lastDayOf('2026-12' as BillingMonth)).toBe('2026-12-31');
    const w = monthWindow('2026-03' as BillingMonth);
    expect(w.startUtc.toISOString()).toBe('2026-03-01T05:00:00.000Z');
    expect(w.endUtc.toISOString()).toBe('2026-04-01T04:00:00.000Z');
    expect(addDays(d('2026-03-01'), -3)).toBe('2026-02-26');
  });

  test.each(['2026-02-30', '2026-13-01', '26-03-01', '2026-3-1', '', '2026-03-01T00:00'])('rejects %p', (s) => {
    expect(parseBusinessDate(s)).toBeNull();
  });
  test.each(['2026-00', '2026-13', '2026-3', 'x'])('rejects month %p', (s) => expect(parseBillingMonth(s)).toBeNull());
});

describe('arrival hours', () => {
  test('a 24-hour date reads 1 h before to 48 h after, owns its 24 hours', () => {
    const r = readHours(d('2026-03-10'), 48);
    expect(r[0].toISOString()).toBe('2026-03-10T03:00:00.000Z');
    expect(r[r.length - 1].toISOString()).toBe('2026-03-13T03:00:00.000Z');
    expect(r).toHaveLength(1 + 24 + 48);
    expect(ownedHours(d('2026-03-10'))).toHaveLength(24);
  });
  test('spring-forward owns 23 hours, fall-back 25, and each hour has one owner', () => {
    expect(ownedHours(d('2026-03-08'))).toHaveLength(23);
    expect(ownedHours(d('2026-11-01'))).toHaveLength(25);
    for (const date of ['2026-03-07', '2026-03-08', '2026-03-09', '2026-10-31', '2026-11-01']) {
      for (const h of ownedHours(d(date))) expect(ownerOf(h)).toBe(date);
    }
  });
  test('too-late cutoff: an event of D is too late from hour end(D)+48h on', () => {
    // end(2026-03-10) = 2026-03-11T04:00Z; + 48 h = 2026-03-13T04:00Z.
    const e = new Date('2026-03-10T12:00:00Z');
    expect(e < tooLateBefore(new Date('2026-03-13T03:00:00Z'), 48)).toBe(false);
    expect(e < tooLateBefore(new Date('2026-03-13T04:00:00Z'), 48)).toBe(true);
  });
});
