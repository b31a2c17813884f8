import { BenchUsageError, parseBenchArgs } from '../../bench/args';

describe('npm run bench arguments', () => {
  test('defaults: one day, 2026-04-01, month part at 300k a day, one run', () => {
    const a = parseBenchArgs(['--events', '1000000']);
    expect(a).toMatchObject({ events: [1_000_000], days: 1, date: '2026-04-01', naive: false, keep: false, monthEvents: 300_000, repeat: 1 });
  });

  test('sizes as a list with suffixes, flags and --name=value', () => {
    const a = parseBenchArgs(['--events=1M,10M', '--days', '30', '--naive', '--keep', '--month-events', '0', '--repeat', '3', '--date', '2026-05-01']);
    expect(a).toMatchObject({ events: [1_000_000, 10_000_000], days: 30, naive: true, keep: true, monthEvents: 0, repeat: 3, date: '2026-05-01' });
    expect(parseBenchArgs(['--events', '300k']).events).toEqual([300_000]);
  });

  test('usage errors name the flag', () => {
    expect(() => parseBenchArgs([])).toThrow(/--events is required/);
    expect(() => parseBenchArgs(['--events', 'many'])).toThrow(BenchUsageError);
    expect(() => parseBenchArgs(['--events', '10', '--days', '0'])).toThrow(/--days must be at least 1/);
    expect(() => parseBenchArgs(['--events', '10', '--date', '2026-04-02'])).toThrow(/first day of a month/);
    expect(() => parseBenchArgs(['--events', '10', '--fast'])).toThrow(/unknown argument "--fast"/);
  });
});
