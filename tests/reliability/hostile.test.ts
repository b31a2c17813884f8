/**
 * Cases 6, 8 and 10 (issue 6): conflicting duplicates, hostile input lines and files, and schema drift.
 * Each bad line is quarantined with a specific reason, the conservation law holds, and no null or
 * coerced required field reaches Parquet.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { Lake, makeLake, closeLake, writeRaw, writeRawBytes, run, runFailing, attempt, pointer, query, expectConservation } from '../helpers/lake';
import { listFiles } from './helpers';

const A = 'notification_attempted';
const R = 'notification_attempted_rejects';
const JOB = 'notification_attempted_daily';
const D = '2026-03-10';
const REQUIRED = ['event_id', 'notification_id', 'client_id', 'customer_id', 'experience_id', 'channel', 'attempted_at'];

let lake: Lake;
beforeEach(async () => {
  lake = await makeLake();
});
afterEach(async () => {
  await closeLake(lake);
});

const rejects = () => query<{ source_file: string; line: number; reason: string; field: string | null; raw_line: string }>(
  lake,
  `SELECT source_file, line_number::INTEGER AS line, reason, field, raw_line FROM ${R} ORDER BY source_file, line_number`,
);

/** No required column is NULL or empty in the table. */
async function expectNoNullRequired(): Promise<void> {
  const cond = REQUIRED.map((c) => `${c} IS NULL OR ${c}::VARCHAR = ''`).join(' OR ');
  expect(await query(lake, `SELECT event_id FROM ${A} WHERE ${cond}`)).toEqual([]);
}

describe('case 6: conflicting duplicates', () => {
  test('the earliest-arrived copy (arrival hour, then key, then line) is kept, whatever the write order; the others are conflicting_duplicate rejects not counted toward the rate', async () => {
    const base = attempt('1', '2026-03-10T14:00:00Z');
    // Written latest-first, so file creation order (mtime) cannot be what decides.
    writeRaw(lake, A, '2026-03-10T16', 'a.ndjson', [{ ...base, customer_id: 'from-hour-16' }]);
    writeRaw(lake, A, '2026-03-10T15', 'b.ndjson', [{ ...base, customer_id: 'from-15-b' }]);
    writeRaw(lake, A, '2026-03-10T15', 'a.ndjson', [attempt('2', '2026-03-10T15:00:00Z'), { ...base, customer_id: 'from-15-a-line-2' }, { ...base, customer_id: 'from-15-a-line-3' }]);
    const r = await run(lake, JOB, { date: D }, { maxRejectRate: 0 });
    expect(r.status).toBe('succeeded');
    expect(r.details).toMatchObject({ kept: 2, duplicates: 3, conflicting_duplicates: 3, rejected: 0, owned_rejected: 0, reject_rate: 0 });
    expectConservation(r.details);
    expect(await query(lake, `SELECT event_id, customer_id, line_number::INTEGER AS line FROM ${A} ORDER BY event_id`)).toEqual([
      { event_id: 'a-1', customer_id: 'from-15-a-line-2', line: 2 },
      { event_id: 'a-2', customer_id: 'cust-2', line: 1 },
    ]);
    const rj = await rejects();
    expect(rj.map((x) => [x.source_file.split('/').slice(-2).join('/'), x.line, x.reason, x.field])).toEqual([
      ['15/a.ndjson', 3, 'conflicting_duplicate', 'customer_id'],
      ['15/b.ndjson', 1, 'conflicting_duplicate', 'customer_id'],
      ['16/a.ndjson', 1, 'conflicting_duplicate', 'customer_id'],
    ]);
    // Deterministic: a forced rerun keeps the same copy and the same rejects.
    await run(lake, JOB, { date: D, flags: { force: true } }, { maxRejectRate: 0 });
    expect(await query(lake, `SELECT customer_id FROM ${A} WHERE event_id = 'a-1'`)).toEqual([{ customer_id: 'from-15-a-line-2' }]);
    expect((await rejects()).map((x) => x.line)).toEqual(rj.map((x) => x.line));
  });
});

describe('case 8: hostile input', () => {
  const good = (id: string) => attempt(id, '2026-03-10T14:00:00Z');
  const g = (id: string) => JSON.stringify(good(id));
  const body = (id: string) => g(id).slice(1, -1); // the members, to build broken objects around them

  test('a JSON must-reject corpus, numeric ids, non-objects, invalid UTF-8 and NUL bytes: each line quarantined with its reason; conservation holds; no null or coerced field is kept', async () => {
    const cases: [string | Buffer, string, string | null][] = [
      [`{${body('tc')},}`, 'malformed_json', null], // trailing comma in an object
      [`{${body('tca')}, "xs": [1, 2,]}`, 'malformed_json', null], // trailing comma in an array
      [`{${body('sq')}, 'k': 'v'}`, 'malformed_json', null], // single quotes
      [`{'event_id': 'a-sq2'}`, 'malformed_json', null],
      [`{${body('nan')}, "x": NaN}`, 'malformed_json', null],
      [`{${body('inf')}, "x": Infinity}`, 'malformed_json', null],
      [`{${body('ninf')}, "x": -Infinity}`, 'malformed_json', null],
      [`{${body('unterminated')}, "x": "abc}`, 'malformed_json', null],
      [`{"event_id": "a-unterm`, 'malformed_json', null],
      [`{${body('ctl')}, "x": "tab\there"}`, 'malformed_json', null], // unescaped control char in a string
      [`{${body('ctl2')}, "x": "bell\u0007"}`, 'malformed_json', null],
      [`{${body('cmt')}} // comment`, 'malformed_json', null],
      [`{${body('hex')}, "x": 0x10}`, 'malformed_json', null],
      [`{${body('lead0')}, "x": 012}`, 'malformed_json', null],
      [`{${body('unq')}, x: 1}`, 'malformed_json', null], // unquoted key
      [`${g('two')} ${g('objects')}`, 'malformed_json', null], // two values on one line
      ['[1, 2]', 'malformed_json', null],
      ['"a string"', 'malformed_json', null],
      ['42', 'malformed_json', null],
      ['null', 'malformed_json', null],
      ['true', 'malformed_json', null],
      [JSON.stringify({ ...good('num-cust'), customer_id: 12345 }), 'invalid_value', 'customer_id'],
      [JSON.stringify({ ...good('num-client'), client_id: 7.5 }), 'invalid_value', 'client_id'],
      [JSON.stringify({ ...good('x'), event_id: 999 }), 'invalid_value', 'event_id'],
      [JSON.stringify({ ...good('obj'), notification_id: { id: 'n' } }), 'invalid_value', 'notification_id'],
      [JSON.stringify({ ...good('arr'), experience_id: ['e'] }), 'invalid_value', 'experience_id'],
      [JSON.stringify({ ...good('bool'), channel: true }), 'invalid_value', 'channel'],
      [Buffer.concat([Buffer.from(`{${body('utf8')}, "x": "`), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]), 'malformed_json', null], // invalid UTF-8
      [Buffer.concat([Buffer.from(`{${body('nul')}, "x": "a`), Buffer.from([0x00]), Buffer.from('b"}')]), 'malformed_json', null], // raw NUL in a string
    ];
    const lines = [g('ok1'), ...cases.map((c) => c[0]), g('ok2')];
    const bytes = Buffer.concat(lines.map((l) => Buffer.concat([Buffer.isBuffer(l) ? l : Buffer.from(l), Buffer.from('\n')])));
    writeRawBytes(lake, A, '2026-03-10T14', 'hostile.ndjson', bytes);
    const r = await run(lake, JOB, { date: D }, { maxRejectRate: 1 });
    expectConservation(r.details);
    expect(r.details).toMatchObject({ lines_read: lines.length, blank: 0, kept: 2, rejected: cases.length, duplicates: 0, other_date: 0 });
    const rj = await rejects();
    expect(rj.map((x) => [x.line, x.reason, x.field])).toEqual(cases.map((c, i) => [i + 2, c[1], c[2]]));
    expect(await query(lake, `SELECT event_id, line_number::INTEGER AS line FROM ${A} ORDER BY line`)).toEqual([
      { event_id: 'a-ok1', line: 1 },
      { event_id: 'a-ok2', line: lines.length },
    ]);
    await expectNoNullRequired();
    // Nothing that was a number in the input reached the table as text.
    expect(await query(lake, `SELECT event_id FROM ${A} WHERE customer_id IN ('12345') OR client_id IN ('7.5') OR event_id IN ('999')`)).toEqual([]);
  });

  test('duplicate keys in one object: the first occurrence is used (DuckDB JSON), for a required field and for the id', async () => {
    const a = good('dk');
    const line = `{"event_id": "a-dk-first", "event_id": "a-dk-second", "notification_id": "n-dk", "client_id": "c-first", "client_id": "c-second", "customer_id": "u", "customer_id": 5, "experience_id": "e", "channel": "sms", "attempted_at": "${a.attempted_at}"}`;
    const bad = `{"event_id": "a-dk2", "notification_id": "n", "client_id": 5, "client_id": "c-ok", "customer_id": "u", "experience_id": "e", "channel": "sms", "attempted_at": "${a.attempted_at}"}`;
    writeRaw(lake, A, '2026-03-10T14', 'dk.ndjson', [line, bad]);
    const r = await run(lake, JOB, { date: D }, { maxRejectRate: 1 });
    expectConservation(r.details);
    expect(await query(lake, `SELECT event_id, client_id, customer_id FROM ${A}`)).toEqual([{ event_id: 'a-dk-first', client_id: 'c-first', customer_id: 'u' }]);
    expect((await rejects()).map((x) => [x.line, x.reason, x.field])).toEqual([[2, 'invalid_value', 'client_id']]);
  });

  test('escaped strings are unescaped (quotes, backslashes, \\u escapes, surrogate pairs); unescaped text is kept as is', async () => {
    const a = good('esc');
    const line = `{"event_id": "a-esc\\"q\\\\b\\u00e9\\ud83d\\ude00", "notification_id": "n-\\/slash", "client_id": "c-é", "customer_id": "u \\t tab", "experience_id": "e", "channel": "\\u0073ms", "attempted_at": "${a.attempted_at}"}`;
    writeRaw(lake, A, '2026-03-10T14', 'esc.ndjson', [line]);
    const r = await run(lake, JOB, { date: D }, { maxRejectRate: 0 });
    expect(r.details).toMatchObject({ kept: 1, rejected: 0 });
    expect(await query(lake, `SELECT event_id, notification_id, client_id, customer_id, channel FROM ${A}`)).toEqual([
      { event_id: 'a-esc"q\\b\u00e9\u{1F600}', notification_id: 'n-/slash', client_id: 'c-é', customer_id: 'u \t tab', channel: 'sms' },
    ]);
  });

  test('an id is valid only as a JSON string: strings that look like other JSON types are kept, every non-string type is invalid_value', async () => {
    // Strings whose text is what a number, boolean, object or array renders as: the type, not the text, decides.
    const lookalikes = ['123', '-5', '0.5e3', 'true', 'false', '[1]', '{"x":1}', 'null', '.5', '9-x', ' 1'];
    const keptLines = lookalikes.map((s, i) => JSON.stringify({ ...good(`ok${i}`), customer_id: s }));
    const nonStrings: unknown[] = [7, -1, 0.5, 1e400, -0, true, false, [1], ['a'], {}, { a: 'b' }];
    const badLines = nonStrings.map((v, i) =>
      // 1e400 is not representable in JS: write its JSON text by hand.
      JSON.stringify({ ...good(`bad${i}`), customer_id: '@@V@@' }).replace('"@@V@@"', v === 1e400 ? '1e400' : JSON.stringify(v)));
    writeRaw(lake, A, '2026-03-10T14', 'types.ndjson', [...keptLines, ...badLines]);
    const r = await run(lake, JOB, { date: D }, { maxRejectRate: 1 });
    expectConservation(r.details);
    expect(r.details).toMatchObject({ kept: lookalikes.length, rejected: nonStrings.length });
    expect((await query<{ customer_id: string }>(lake, `SELECT customer_id FROM ${A} ORDER BY line_number`)).map((x) => x.customer_id)).toEqual(lookalikes);
    expect((await rejects()).map((x) => [x.line, x.reason, x.field])).toEqual(
      badLines.map((_l, i) => [lookalikes.length + i + 1, 'invalid_value', 'customer_id']));
  });

  test('a line of exactly 1 MiB is read (kept when valid, malformed_json with raw_line cut to 1024 bytes when not); one byte more fails the job naming the file and line', async () => {
    const pad = (line: string, to: number) => line.replace(/"blob": ?"/, (m) => `${m}${'x'.repeat(to - Buffer.byteLength(line))}`);
    const validLong = pad(JSON.stringify({ ...good('long'), blob: '' }), 1024 * 1024);
    const invalidLong = pad(`{${body('longbad')}, "blob": "`, 1024 * 1024);
    expect([Buffer.byteLength(validLong), Buffer.byteLength(invalidLong)]).toEqual([1024 * 1024, 1024 * 1024]);
    writeRaw(lake, A, '2026-03-10T14', 'long.ndjson', [g('before'), validLong, invalidLong, g('after')]);
    const r = await run(lake, JOB, { date: D }, { maxRejectRate: 1 });
    expectConservation(r.details);
    expect(r.details).toMatchObject({ lines_read: 4, kept: 3, rejected: 1 });
    expect(await query(lake, `SELECT event_id, line_number::INTEGER AS line FROM ${A} ORDER BY line`)).toEqual([
      { event_id: 'a-before', line: 1 },
      { event_id: 'a-long', line: 2 },
      { event_id: 'a-after', line: 4 },
    ]);
    const [rj] = await rejects();
    expect([rj.line, rj.reason]).toEqual([3, 'malformed_json']);
    expect(Buffer.byteLength(rj.raw_line)).toBe(1024);

    writeRaw(lake, A, '2026-03-10T15', 'longer.ndjson', [g('x1'), pad(JSON.stringify({ ...good('longer'), blob: '' }), 1024 * 1024 + 1)]);
    const err = await runFailing(lake, JOB, { date: D, flags: { force: true } }, { maxRejectRate: 1 });
    expect(err.message).toContain('line 2 of raw file ');
    expect(err.message).toContain('raw/notification_attempted/2026/03/10/15/longer.ndjson is 1048577 bytes, over the 1 MiB');
    expect(pointer(lake, A, 'dt', D)!.runId).toBe(r.runId);
  });

  test('an empty file and a blank-only file: nothing kept, nothing rejected, the job succeeds', async () => {
    writeRawBytes(lake, A, '2026-03-10T14', 'empty.ndjson', Buffer.alloc(0));
    writeRawBytes(lake, A, '2026-03-10T14', 'empty.ndjson.gz', zlib.gzipSync(Buffer.alloc(0)));
    writeRaw(lake, A, '2026-03-10T14', 'blank.ndjson', ['', '  ', '']);
    writeRaw(lake, A, '2026-03-10T15', 'ok.ndjson', [g('1')]);
    const r = await run(lake, JOB, { date: D }, { maxRejectRate: 0 });
    expectConservation(r.details);
    expect(r.details).toMatchObject({ files: 4, kept: 1, rejected: 0, blank: 3 });
  });

  test('a truncated gzip fails the job naming the file; nothing is published and the previous version stays', async () => {
    writeRaw(lake, A, '2026-03-10T14', 'ok.ndjson', [g('1')]);
    const v1 = await run(lake, JOB, { date: D });
    const full = zlib.gzipSync(Buffer.from(Array.from({ length: 50 }, (_x, i) => g(`t${i}`)).join('\n') + '\n'));
    writeRawBytes(lake, A, '2026-03-10T15', 'cut.ndjson.gz', full.subarray(0, full.length - 10));
    const err = await runFailing(lake, JOB, { date: D });
    expect(err.message).toContain('raw/notification_attempted/2026/03/10/15/cut.ndjson.gz');
    expect((err as { code?: string }).code).toBe('bad_input');
    for (const t of [A, R]) expect(pointer(lake, t, 'dt', D)!.runId).toBe(v1.runId);
    expect(listFiles(lake, `tables/${A}`).filter((k) => !k.includes(v1.runId) && !k.endsWith('_current.json'))).toEqual([]);
  });
});

describe('case 10: schema drift', () => {
  test('customer_id changing type mid-stream (string, then number) is invalid_value, never cast; the strings before and after are kept', async () => {
    // Thousands of string rows first, so any type inference over a sample would settle on VARCHAR or BIGINT.
    const strings = Array.from({ length: 3000 }, (_x, i) => attempt(`s${i}`, '2026-03-10T14:00:00Z', { customer_id: String(1000 + i) }));
    const numbers = Array.from({ length: 5 }, (_x, i) => attempt(`n${i}`, '2026-03-10T14:30:00Z', { customer_id: 5000 + i } as never));
    writeRaw(lake, A, '2026-03-10T14', 'a.ndjson', [...strings, ...numbers, attempt('after', '2026-03-10T14:45:00Z', { customer_id: '77' })]);
    // The drift can also start in a later file.
    writeRaw(lake, A, '2026-03-10T15', 'b.ndjson', [attempt('b1', '2026-03-10T15:00:00Z', { customer_id: 42 } as never), attempt('b2', '2026-03-10T15:00:00Z', { customer_id: 4.2e1 } as never)]);
    const r = await run(lake, JOB, { date: D }, { maxRejectRate: 1 });
    expectConservation(r.details);
    expect(r.details).toMatchObject({ kept: 3001, rejected: 7 });
    expect((await rejects()).map((x) => [x.reason, x.field])).toEqual(Array(7).fill(['invalid_value', 'customer_id']));
    expect(await query(lake, `SELECT typeof(customer_id) AS t, count(*)::INTEGER AS n FROM ${A} GROUP BY ALL`)).toEqual([{ t: 'VARCHAR', n: 3001 }]);
    expect(await query(lake, `SELECT event_id FROM ${A} WHERE customer_id IN ('42', '5000', '5001', '5002', '5003', '5004')`)).toEqual([]);
    expect(await query(lake, `SELECT customer_id FROM ${A} WHERE event_id = 'a-after'`)).toEqual([{ customer_id: '77' }]);
    await expectNoNullRequired();
  });
});

test('the delivered stream: no null, empty or numeric required value reaches Parquet either', async () => {
  const d = { event_id: 'd-1', notification_id: 'n-1', channel: 'sms', delivered_at: '2026-03-10T14:00:00Z' };
  writeRaw(lake, 'notification_delivered', '2026-03-10T14', 'd.ndjson', [d, { ...d, event_id: 'd-2', notification_id: 2 }, { ...d, event_id: 'd-3', notification_id: '' }, { ...d, event_id: 'd-4', delivered_at: null }, `{"event_id": "d-5",}`]);
  const r = await run(lake, 'notification_delivered_daily', { date: D }, { maxRejectRate: 1 });
  expectConservation(r.details);
  expect(r.details).toMatchObject({ kept: 1, rejected: 4 });
  expect(await query(lake, `SELECT event_id, notification_id FROM notification_delivered`)).toEqual([{ event_id: 'd-1', notification_id: 'n-1' }]);
  expect(await query(lake, `SELECT line_number::INTEGER AS line, reason, field FROM notification_delivered_rejects ORDER BY line`)).toEqual([
    { line: 2, reason: 'invalid_value', field: 'notification_id' },
    { line: 3, reason: 'invalid_value', field: 'notification_id' },
    { line: 4, reason: 'missing_field', field: 'delivered_at' },
    { line: 5, reason: 'malformed_json', field: null },
  ]);
  void fs; void path;
});
