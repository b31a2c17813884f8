/** Pure mapping of query values to JSON (issue 15, section 5): integer bounds, exact decimals, timestamps. */
import { JsonNumberText, isoFromMicros, jsonDecimal, jsonInteger, typedJsonText } from '../../src/engine/jsonValues';
import { athenaJsonValue, isoFromAthenaTimestamp } from '../../src/query/athenaJson';

test.each([
  [0n, 0],
  [9007199254740991n, 9007199254740991],
  [-9007199254740991n, -9007199254740991],
  [9007199254740992n, '9007199254740992'],
  [-9007199254740993n, '-9007199254740993'],
  [170141183460469231731687303715884105727n, '170141183460469231731687303715884105727'],
])('jsonInteger(%s) = %j', (n, expected) => {
  expect(jsonInteger(n)).toBe(expected);
});

test.each([
  ['123.450', '123.450'],
  ['-0.50', '-0.50'],
  ['12345678901234567890.12', '12345678901234567890.12'],
  ['7', '7'],
])('jsonDecimal(%s) is the exact JSON number %s', (text, json) => {
  expect(typedJsonText(jsonDecimal(text))).toBe(json);
});

test('jsonDecimal keeps text that is not a plain decimal as a string', () => {
  expect(jsonDecimal('NaN')).toBe('NaN');
  expect(jsonDecimal('1e5')).toBe('1e5');
});

test.each([
  [0n, '1970-01-01T00:00:00.000Z'],
  [1_772_557_200_123_456n, '2026-03-03T17:00:00.123Z'],
  [-1n, '1969-12-31T23:59:59.999Z'], // sub-milliseconds dropped towards the past
  [-1000n, '1969-12-31T23:59:59.999Z'],
  [9_223_372_036_854_775_807n, null],
])('isoFromMicros(%s) = %s', (micros, iso) => {
  expect(isoFromMicros(micros)).toBe(iso);
});

test.each([
  ['2026-03-03 17:00:00.123', false, '2026-03-03T17:00:00.123Z'],
  ['2026-03-03 17:00:00', false, '2026-03-03T17:00:00.000Z'],
  ['2026-03-03 17:00:00.123456', false, '2026-03-03T17:00:00.123Z'],
  ['2026-03-03 17:00:00.000 UTC', true, '2026-03-03T17:00:00.000Z'],
  ['2026-03-03 12:00:00.000 -05:00', true, '2026-03-03T17:00:00.000Z'],
  ['2026-03-03 12:00:00.000 America/New_York', true, null],
  ['not a time', false, null],
])('isoFromAthenaTimestamp(%s, %s) = %s', (text, withZone, iso) => {
  expect(isoFromAthenaTimestamp(text, withZone)).toBe(iso);
});

test('athenaJsonValue types by the column type; unknown text stays text', () => {
  expect(athenaJsonValue('decimal(10,2)', '12.50')).toEqual(new JsonNumberText('12.50'));
  expect(athenaJsonValue('timestamp(3)', '2026-03-08 07:00:00.000')).toBe('2026-03-08T07:00:00.000Z');
  expect(athenaJsonValue('timestamp(3) with time zone', '2026-03-08 07:00:00.000 UTC')).toBe('2026-03-08T07:00:00.000Z');
  expect(athenaJsonValue('timestamp(3) with time zone', '2026-03-08 02:00:00.000 -05:00')).toBe('2026-03-08T07:00:00.000Z');
  expect(athenaJsonValue('timestamp', '2026-03-08 02:00:00.000 -05:00')).toBe('2026-03-08 02:00:00.000 -05:00');
  expect(athenaJsonValue('date', '2026-03-08')).toBe('2026-03-08');
  expect(athenaJsonValue('bigint', 12)).toBe(12);
  expect(athenaJsonValue('varchar', null)).toBeNull();
  expect(athenaJsonValue('array(varchar)', '[a, b]')).toBe('[a, b]');
});

test('typedJsonText writes objects and arrays with exact numbers; non-finite numbers as strings', () => {
  expect(typedJsonText({ a: [new JsonNumberText('1.10'), null, true, 'x"y'], b: Number.NaN })).toBe('{"a":[1.10,null,true,"x\\"y"],"b":"NaN"}');
});
