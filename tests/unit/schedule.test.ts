/**
 * Which dates a scheduled daily run processes (src/graph/schedule.ts), locally and in production:
 * every complete date after the last successful run's `closed_through`, through yesterday.
 */
import fc from 'fast-check';
import {
  DAILY_STATE_KEY,
  closedMonth,
  closedThrough,
  dailyRunState,
  parseDailyRunState,
  scheduledDates,
  scheduledDatesSql,
} from '../../src/graph/schedule';
import { BusinessDate, addDays, businessDateOf, windowClosesAt, windowOf } from '../../src/time/time';

const d = (s: string) => s as BusinessDate;
const at = (iso: string) => new Date(iso);

describe('closedThrough: the newest date whose window (end + lateness) had closed', () => {
  test.each([
    // [instant, lateness, closed through]
    ['2026-03-04T09:15:00Z', 48, '2026-03-01'], // 04:15 EST: today-3
    ['2026-03-10T08:15:00Z', 48, '2026-03-07'], // 04:15 EDT, after the spring-forward day
    // 2026-03-08 has 23 hours: 2026-03-07 closes at start(03-08) + 48 h = 03-10T05:00Z (01:00 EDT).
    ['2026-03-10T05:00:00Z', 48, '2026-03-07'],
    ['2026-03-10T04:59:59.999Z', 48, '2026-03-06'],
    // 2026-03-08 itself closes at start(03-09) + 48 h = 03-11T04:00Z.
    ['2026-03-11T04:00:00Z', 48, '2026-03-08'],
    ['2026-03-11T03:59:59.999Z', 48, '2026-03-07'],
    // 2026-11-01 has 25 hours: 2026-10-31 closes at 11-01T04:00Z + 48 h; 11-01 at 11-02T05:00Z + 48 h.
    ['2026-11-03T04:00:00Z', 48, '2026-10-31'],
    ['2026-11-03T03:59:59.999Z', 48, '2026-10-30'],
    ['2026-11-04T05:00:00Z', 48, '2026-11-01'],
    ['2026-11-04T04:59:59.999Z', 48, '2026-10-31'],
    // Lateness edges: 0 h (a date closes at its own end), 1 h, 72 h.
    ['2026-03-04T09:15:00Z', 0, '2026-03-03'],
    ['2026-03-04T05:00:00Z', 0, '2026-03-03'],
    ['2026-03-04T04:59:59.999Z', 0, '2026-03-02'],
    ['2026-03-04T05:59:59.999Z', 1, '2026-03-02'],
    ['2026-03-04T06:00:00Z', 1, '2026-03-03'],
    ['2026-03-04T09:15:00Z', 72, '2026-02-28'],
  ])('at %s with lateness %d h: %s', (instant, lateness, expected) => {
    expect(closedThrough(at(instant), lateness)).toBe(expected);
  });

  test('agrees with windowClosesAt for any instant and lateness', () => {
    fc.assert(
      fc.property(fc.date({ min: at('2025-01-01T00:00:00Z'), max: at('2028-12-31T00:00:00Z'), noInvalidDate: true }), fc.integer({ min: 0, max: 744 }), (t, l) => {
        const c = closedThrough(t, l);
        expect(windowClosesAt(c, l).getTime()).toBeLessThanOrEqual(t.getTime());
        expect(windowClosesAt(addDays(c, 1), l).getTime()).toBeGreaterThan(t.getTime());
      }),
      { numRuns: 500 },
    );
  });
});

test.each([
  ['2026-03-31', '2026-03'],
  ['2026-03-30', '2026-02'],
  ['2026-04-01', '2026-03'],
  ['2026-01-01', '2025-12'],
  ['2026-02-28', '2026-02'],
  ['2028-02-28', '2028-01'], // leap year: 02-29 still open
])('closedMonth(%s) = %s', (closed, month) => {
  expect(closedMonth(d(closed))).toBe(month);
});

describe('scheduledDates', () => {
  const state = (instant: string, lateness = 48) => dailyRunState(at(instant), lateness, []);
  test.each([
    // [case, now, lateness, last successful run (instant) or null, dates]
    ['no earlier run: yesterday and the two days before', '2026-03-04T09:15:00Z', 48, null, ['2026-03-01', '2026-03-02', '2026-03-03']],
    ['the run of the day before succeeded', '2026-03-04T09:15:00Z', 48, '2026-03-03T09:15:00Z', ['2026-03-01', '2026-03-02', '2026-03-03']],
    // Last success on 03-05; the runs of 03-06 … 03-09 did not happen or failed (an outage of 4 days).
    [
      'an outage of 4 days: every date whose window closed since the last success',
      '2026-03-10T08:15:00Z',
      48,
      '2026-03-05T09:15:00Z',
      ['2026-03-03', '2026-03-04', '2026-03-05', '2026-03-06', '2026-03-07', '2026-03-08', '2026-03-09'],
    ],
    ['a second run the same morning: only the dates still open', '2026-03-04T10:00:00Z', 48, '2026-03-04T09:15:00Z', ['2026-03-02', '2026-03-03']],
    ['lateness 0: yesterday only', '2026-03-04T09:15:00Z', 0, null, ['2026-03-03']],
    ['lateness 72: four dates', '2026-03-04T09:15:00Z', 72, null, ['2026-02-28', '2026-03-01', '2026-03-02', '2026-03-03']],
    ['across the spring-forward day', '2026-03-09T08:15:00Z', 48, '2026-03-08T08:15:00Z', ['2026-03-06', '2026-03-07', '2026-03-08']],
    ['across the fall-back day', '2026-11-03T09:15:00Z', 48, '2026-11-02T09:15:00Z', ['2026-10-31', '2026-11-01', '2026-11-02']],
    ['a month close morning (the 3rd): the last day of the month is included', '2026-04-03T08:15:00Z', 48, '2026-04-02T08:15:00Z', ['2026-03-31', '2026-04-01', '2026-04-02']],
    ['just after midnight ET: yesterday is complete', '2026-03-04T05:00:00Z', 48, '2026-03-03T09:15:00Z', ['2026-03-01', '2026-03-02', '2026-03-03']],
  ])('%s', (_case, now, lateness, last, expected) => {
    expect(scheduledDates(at(now), lateness, last === null ? null : state(last, lateness))).toEqual(expected);
  });

  test('SPEC: exactly the complete dates whose window is open now or closed after the last successful run', () => {
    fc.assert(
      fc.property(
        fc.date({ min: at('2025-06-01T00:00:00Z'), max: at('2027-06-01T00:00:00Z'), noInvalidDate: true }),
        fc.integer({ min: 0, max: 30 * 24 }),
        fc.integer({ min: 0, max: 200 }),
        (now, gapHours, lateness) => {
          const last = new Date(now.getTime() - gapHours * 3_600_000);
          const expected: BusinessDate[] = [];
          for (let day = addDays(businessDateOf(now), -60); day <= businessDateOf(now); day = addDays(day, 1)) {
            if (windowOf(day).endUtc <= now && windowClosesAt(day, lateness) > last) expected.push(day);
          }
          expect(scheduledDates(now, lateness, { closed_through: closedThrough(last, lateness) })).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('the stored state', () => {
  test('dailyRunState records the plan time, closed_through and closed_month', () => {
    expect(dailyRunState(at('2026-04-03T08:15:00Z'), 48, [d('2026-03-31')])).toEqual({
      at: '2026-04-03T08:15:00.000Z',
      closed_through: '2026-03-31',
      closed_month: '2026-03',
      dates: ['2026-03-31'],
    });
    expect(dailyRunState(at('2026-04-02T08:15:00Z'), 48, []).closed_month).toBe('2026-02');
  });

  test('parse: absent, current, the earlier {at, dates} form, and an unreadable object: stale, with a warning naming the key', () => {
    const warnings: string[] = [];
    const warn = (m: string) => warnings.push(m);
    expect(parseDailyRunState(null, 48, warn)).toBeNull();
    expect(parseDailyRunState('{"at":"2026-04-03T08:15:00.000Z","closed_through":"2026-03-31","closed_month":"2026-03","dates":[]}', 48, warn)).toEqual({ closed_through: '2026-03-31' });
    expect(parseDailyRunState('{"at":"2026-03-04T09:15:00.000Z","dates":["2026-03-03"]}', 48, warn)).toEqual({ closed_through: '2026-03-01' });
    expect(warnings).toEqual([]);
    for (const text of ['', 'null', '{"closed_through":"yesterday"}']) expect(parseDailyRunState(text, 48, warn)).toBeNull();
    expect(warnings).toHaveLength(3);
    for (const w of warnings) expect(w).toMatch(/_state\/daily_last_run\.json is not a scheduled-run state .* treated as absent \(stale\)/);
  });
});

describe('the same rule in Athena SQL (the state machine plans with it)', () => {
  test('from the stored closed_through (one execution parameter) or, without one, from 24 hours ago', () => {
    const fromState = scheduledDatesSql(48, true);
    expect(fromState.match(/\?/g)).toHaveLength(1);
    expect(fromState).toContain("CAST(? AS date) AS after");
    expect(fromState).toContain("INTERVAL '48' HOUR) AT TIME ZONE 'America/New_York' AS date)");
    const fresh = scheduledDatesSql(72, false);
    expect(fresh).not.toContain('?');
    expect(fresh).toContain("(current_timestamp - INTERVAL '24' HOUR - INTERVAL '72' HOUR) AT TIME ZONE 'America/New_York'");
    for (const sql of [fromState, fresh]) {
      expect(sql).toMatch(/AS dates, .* AS closed_through, .* AS closed_month FROM/);
      expect(sql).toContain('d -> d > p.after AND d <= p.yesterday'); // never counts down
    }
  });
});
