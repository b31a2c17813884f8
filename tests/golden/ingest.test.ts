/**
 * Golden datasets for the raw-stream ingest jobs (SPEC.md "Raw input"): tiny hand-written raw files,
 * one behaviour each, and the exact rows and counts expected. Business date 2026-03-10 (EDT) is the
 * default: window [2026-03-10T04:00Z, 2026-03-11T04:00Z), read hours 2026-03-10T03 … 2026-03-13T03.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import {
  Lake, makeLake, closeLake, writeRaw, writeRawBytes, clearRaw, run, runFailing, query, pointer, attempt, delivery, ISO_US, expectConservation,
} from '../helpers/lake';

const A = 'notification_attempted';
const JOB = 'notification_attempted_daily';
const D = '2026-03-10';
const key = (hour: string, file: string) => `raw/${A}/${hour.slice(0, 4)}/${hour.slice(5, 7)}/${hour.slice(8, 10)}/${hour.slice(11, 13)}/${file}`;

interface Kept {
  event_id: string;
  source_file: string;
  line_number: string;
  dt: string;
}

const keptSql = (dt: string, extra = '') =>
  `SELECT event_id, source_file, line_number::VARCHAR AS line_number, dt::VARCHAR AS dt${extra} FROM ${A} WHERE dt = DATE '${dt}' ORDER BY event_id`;
const rejectsSql = (dt: string) =>
  `SELECT source_file, line_number::VARCHAR AS line_number, reason, field, raw_line FROM ${A}_rejects WHERE dt = DATE '${dt}' ORDER BY source_file, TRY_CAST(line_number AS BIGINT)`;


let lake: Lake;
beforeEach(async () => {
  lake = await makeLake();
});
afterEach(async () => {
  await closeLake(lake);
});

describe('exact duplicates', () => {
  test('the earliest-arrived copy is kept (arrival hour, then key, then line) with its own line number', async () => {
    // Copies of a-1: 14/a line 1 and 3, 14/b line 1, 12/z line 2 (earliest hour, despite the later key name),
    // and 3/11's own hour 11T14 (read by 3/10 as a late copy).
    writeRaw(lake, A, '2026-03-10T14', 'a.ndjson', [attempt('1', '2026-03-10T12:00:00Z'), attempt('2', '2026-03-10T14:05:00Z'), attempt('1', '2026-03-10T12:00:00Z')]);
    writeRaw(lake, A, '2026-03-10T14', 'b.ndjson', [attempt('1', '2026-03-10T12:00:00Z')]);
    writeRaw(lake, A, '2026-03-10T12', 'z.ndjson', [attempt('3', '2026-03-10T12:30:00Z'), attempt('1', '2026-03-10T12:00:00Z')]);
    writeRaw(lake, A, '2026-03-11T14', 'a.ndjson', [attempt('2', '2026-03-10T14:05:00Z')]);
    const r = await run(lake, JOB, { date: D });
    expect(r.details).toMatchObject({ lines_read: 7, blank: 0, rejected: 0, duplicates: 4, other_date: 0, kept: 3, conflicting_duplicates: 0 });
    expectConservation(r.details);
    expect(await query<Kept>(lake, keptSql(D))).toEqual([
      { event_id: 'a-1', source_file: key('2026-03-10T12', 'z.ndjson'), line_number: '2', dt: D },
      { event_id: 'a-2', source_file: key('2026-03-10T14', 'a.ndjson'), line_number: '2', dt: D },
      { event_id: 'a-3', source_file: key('2026-03-10T12', 'z.ndjson'), line_number: '1', dt: D },
    ]);
    expect(await query(lake, rejectsSql(D))).toEqual([]);
  });

  test('within one file, the first line wins', async () => {
    writeRaw(lake, A, '2026-03-10T14', 'a.ndjson', [attempt('1', '2026-03-10T14:00:00Z', { note: 'extra fields are ignored' }), attempt('1', '2026-03-10T14:00:00Z')]);
    const r = await run(lake, JOB, { date: D });
    expect(r.details).toMatchObject({ lines_read: 2, duplicates: 1, kept: 1 });
    expect(await query<Kept>(lake, keptSql(D))).toEqual([{ event_id: 'a-1', source_file: key('2026-03-10T14', 'a.ndjson'), line_number: '1', dt: D }]);
  });

  test('gzip and plain files are read alike, and the hour folder, not the file name, orders arrival', async () => {
    writeRaw(lake, A, '2026-03-10T15', 'a.ndjson', [attempt('1', '2026-03-10T14:00:00Z')]);
    writeRaw(lake, A, '2026-03-10T14', 'z.ndjson.gz', ['', attempt('1', '2026-03-10T14:00:00Z')]);
    const r = await run(lake, JOB, { date: D });
    expect(r.details).toMatchObject({ lines_read: 3, blank: 1, duplicates: 1, kept: 1 });
    expect(await query<Kept>(lake, keptSql(D))).toEqual([{ event_id: 'a-1', source_file: key('2026-03-10T14', 'z.ndjson.gz'), line_number: '2', dt: D }]);
  });
});

describe('conflicting duplicates', () => {
  test('a later copy with different required fields is a conflicting_duplicate reject that does not count toward the reject rate', async () => {
    const first = attempt('1', '2026-03-10T14:00:00Z');
    writeRaw(lake, A, '2026-03-10T14', 'a.ndjson', [first]);
    writeRaw(lake, A, '2026-03-10T15', 'a.ndjson', [
      { ...first, attempted_at: '2026-03-10T10:00:00-04:00' }, // the same instant: an exact duplicate
      { ...first, customer_id: 'someone-else' },
      { ...first, client_id: 'c9', channel: 'email', attempted_at: '2026-03-10T14:00:01Z' }, // several differ: the first in table order is named
      attempt('2', '2026-03-10T15:00:00Z'),
    ]);
    // A zero tolerance proves the conflicts are not counted toward the rate.
    const r = await run(lake, JOB, { date: D }, { maxRejectRate: 0 });
    expect(r.status).toBe('succeeded');
    expect(r.details).toMatchObject({ lines_read: 5, rejected: 0, duplicates: 3, kept: 2, owned_rejected: 0, conflicting_duplicates: 2, reject_rate: 0 });
    expectConservation(r.details);
    const kept = await query<Kept & { customer_id: string }>(lake, keptSql(D, ', customer_id'));
    expect(kept.map((k) => [k.event_id, k.customer_id, k.source_file])).toEqual([
      ['a-1', 'cust-1', key('2026-03-10T14', 'a.ndjson')],
      ['a-2', 'cust-2', key('2026-03-10T15', 'a.ndjson')],
    ]);
    const rejects = await query<{ source_file: string; line_number: string; reason: string; field: string }>(lake, rejectsSql(D));
    expect(rejects.map(({ raw_line: _r, ...x }: Record<string, unknown>) => x)).toEqual([
      { source_file: key('2026-03-10T15', 'a.ndjson'), line_number: '2', reason: 'conflicting_duplicate', field: 'customer_id' },
      { source_file: key('2026-03-10T15', 'a.ndjson'), line_number: '3', reason: 'conflicting_duplicate', field: 'client_id' },
    ]);
  });

  test('the earliest copy decides the partition even when a later conflicting copy is stamped in another date', async () => {
    // a-1 first arrives stamped 2026-03-09 23:30 ET, then again stamped on 3/10: it belongs to 3/9 only.
    writeRaw(lake, A, '2026-03-10T05', 'a.ndjson', [attempt('1', '2026-03-10T03:30:00Z')]);
    writeRaw(lake, A, '2026-03-10T06', 'a.ndjson', [attempt('1', '2026-03-10T06:00:00Z')]);
    const r10 = await run(lake, JOB, { date: D });
    expect(r10.details).toMatchObject({ kept: 0, other_date: 1, duplicates: 1, conflicting_duplicates: 1 });
    expect(await query(lake, keptSql(D))).toEqual([]);
    expect((await query<{ reason: string; field: string }>(lake, rejectsSql(D))).map((x) => [x.reason, x.field])).toEqual([['conflicting_duplicate', 'attempted_at']]);

    const r9 = await run(lake, JOB, { date: '2026-03-09' });
    expect(r9.details).toMatchObject({ kept: 1, duplicates: 1, conflicting_duplicates: 0 });
    expect((await query<Kept>(lake, keptSql('2026-03-09'))).map((k) => [k.event_id, k.source_file])).toEqual([['a-1', key('2026-03-10T05', 'a.ndjson')]]);
    // 3/9 does not own hour 10T06, so it records no reject for the conflicting copy.
    expect(await query(lake, rejectsSql('2026-03-09'))).toEqual([]);
  });
});

describe('late arrivals and producer clocks', () => {
  test('within lateness: the event lands in its own date when that date runs; the hour owner skips it as other_date', async () => {
    // 2026-03-10 16:00 ET arriving 2026-03-12T10Z (30 h after the window closed, lateness 48 h).
    writeRaw(lake, A, '2026-03-12T10', 'late.ndjson', [attempt('1', '2026-03-10T20:00:00Z'), attempt('2', '2026-03-12T09:00:00Z')]);
    const r10 = await run(lake, JOB, { date: D });
    expect(r10.details).toMatchObject({ lines_read: 2, kept: 1, other_date: 1, too_late: 0 });
    expect((await query<Kept>(lake, keptSql(D))).map((k) => k.event_id)).toEqual(['a-1']);
    const r12 = await run(lake, JOB, { date: '2026-03-12' });
    expect(r12.details).toMatchObject({ lines_read: 2, kept: 1, other_date: 1, too_late: 0 });
    expect((await query<Kept>(lake, keptSql('2026-03-12'))).map((k) => k.event_id)).toEqual(['a-2']);
  });

  test('the last hour within lateness is read; the first hour after it is too_late for the hour owner', async () => {
    // end(3/10) + 48 h = 2026-03-13T04:00Z. Hour 13T03 is the last 3/10 reads; 13T04 is owned by 3/13.
    writeRaw(lake, A, '2026-03-13T03', 'in.ndjson', [attempt('in', '2026-03-10T20:00:00Z')]);
    writeRaw(lake, A, '2026-03-13T04', 'out.ndjson', [attempt('out', '2026-03-10T20:00:00Z'), attempt('ok', '2026-03-11T20:00:00Z')]);
    const r10 = await run(lake, JOB, { date: D });
    expect(r10.details).toMatchObject({ lines_read: 1, kept: 1, too_late: 0 });
    expect((await query<Kept>(lake, keptSql(D))).map((k) => k.event_id)).toEqual(['a-in']);

    // 3/13 owns hour 13T04: a-out (3/10, window closed) is too_late; a-ok (3/11, window open until 14T04) is not.
    const r13 = await run(lake, JOB, { date: '2026-03-13' });
    expect(r13.details).toMatchObject({ lines_read: 3, kept: 0, other_date: 3, too_late: 1 });
    expect(r13.warnings.join(' ')).toMatch(/1 notification_attempted events arrived after their date's window had closed/);
    // 3/12 also reads hour 13T04 (not its own): it never reports too_late for it.
    const r12 = await run(lake, JOB, { date: '2026-03-12' });
    expect(r12.details).toMatchObject({ too_late: 0 });
    // 3/11 reads it and keeps a-ok.
    const r11 = await run(lake, JOB, { date: '2026-03-11' });
    expect(r11.details).toMatchObject({ kept: 1, too_late: 0 });
  });

  test('lateness is configurable', async () => {
    writeRaw(lake, A, '2026-03-11T06', 'late.ndjson', [attempt('1', '2026-03-10T20:00:00Z')]);
    const r0 = await run(lake, JOB, { date: D }, { latenessHours: 2 });
    expect(r0.details).toMatchObject({ lines_read: 0, kept: 0 });
    const r3 = await run(lake, JOB, { date: D }, { latenessHours: 3 });
    expect(r3.details).toMatchObject({ lines_read: 1, kept: 1 });
    const owner = await run(lake, JOB, { date: '2026-03-11' }, { latenessHours: 2 });
    expect(owner.details).toMatchObject({ too_late: 1 });
  });

  test('an early producer clock: an event stamped in D in the hour before start(D) is read by D', async () => {
    // Hour 10T03Z is 2026-03-09 23:00 ET (owned by 3/9); the event is 3/10 00:10 ET.
    writeRaw(lake, A, '2026-03-10T03', 'early.ndjson', [attempt('1', '2026-03-10T04:10:00Z')]);
    const r10 = await run(lake, JOB, { date: D });
    expect(r10.details).toMatchObject({ lines_read: 1, kept: 1 });
    expect((await query<Kept>(lake, keptSql(D))).map((k) => [k.event_id, k.source_file])).toEqual([['a-1', key('2026-03-10T03', 'early.ndjson')]]);
    const r9 = await run(lake, JOB, { date: '2026-03-09' });
    expect(r9.details).toMatchObject({ lines_read: 1, kept: 0, other_date: 1, too_late: 0 });
    // Two hours early is out of D's read window.
    clearRaw(lake);
    writeRaw(lake, A, '2026-03-10T02', 'early.ndjson', [attempt('1', '2026-03-10T04:10:00Z')]);
    expect((await run(lake, JOB, { date: D })).details).toMatchObject({ lines_read: 0 });
  });
});

describe('business dates around DST', () => {
  /** Writes each event into the hour folder of its own timestamp. */
  function writeEach(events: [string, string][]): void {
    for (const [id, ts] of events) writeRaw(lake, A, new Date(ts).toISOString().slice(0, 13), `${id}.ndjson`, [attempt(id, ts)]);
  }

  test('2026-03-08 (spring forward) is 23 hours: [05:00Z, 03-09T04:00Z)', async () => {
    writeEach([
      ['before', '2026-03-08T04:59:59.999Z'], // 3/7 23:59:59.999 EST
      ['start', '2026-03-08T05:00:00Z'], // 3/8 00:00 EST
      ['gap', '2026-03-08T07:30:00Z'], // 3/8 03:30 EDT (02:00–03:00 does not exist)
      ['offset', '2026-03-08T23:59:59.999999-04:00'], // 3/9T03:59:59.999999Z: still 3/8
      ['next', '2026-03-09T04:00:00Z'], // 3/9 00:00 EDT
    ]);
    const r = await run(lake, JOB, { date: '2026-03-08' });
    expect(r.details).toMatchObject({ kept: 3 });
    expect(await query(lake, `SELECT event_id, ${ISO_US('attempted_at', 'at')} FROM ${A} WHERE dt = DATE '2026-03-08' ORDER BY attempted_at`)).toEqual([
      { event_id: 'a-start', at: '2026-03-08T05:00:00.000000Z' },
      { event_id: 'a-gap', at: '2026-03-08T07:30:00.000000Z' },
      { event_id: 'a-offset', at: '2026-03-09T03:59:59.999999Z' },
    ]);
    // The date owns 23 arrival hours: one line per owned hour gives 23 owned lines.
    clearRaw(lake);
    for (let h = 0; h < 30; h++) {
      const hour = new Date(Date.parse('2026-03-08T02:00:00Z') + h * 3_600_000).toISOString();
      writeRaw(lake, A, hour.slice(0, 13), 'h.ndjson', [attempt(`h${h}`, hour)]);
    }
    const owned = await run(lake, JOB, { date: '2026-03-08' });
    expect(owned.details).toMatchObject({ owned_nonblank: 23, kept: 23 });
    // The day before reads back to its own start(-1h) and keeps its 3 hours 02Z–04Z.
    expect((await run(lake, JOB, { date: '2026-03-07' })).details).toMatchObject({ kept: 3 });
  });

  test('2026-11-01 (fall back) is 25 hours: [04:00Z, 11-02T05:00Z), both 01:30s belong to it', async () => {
    writeEach([
      ['before', '2026-11-01T03:59:59Z'], // 10/31 23:59:59 EDT
      ['start', '2026-11-01T04:00:00Z'], // 11/1 00:00 EDT
      ['edt0130', '2026-11-01T05:30:00Z'], // 01:30 EDT
      ['est0130', '2026-11-01T01:30:00-05:00'], // 01:30 EST = 06:30Z
      ['last', '2026-11-02T04:59:59.999Z'], // 11/1 23:59:59.999 EST
      ['next', '2026-11-02T05:00:00Z'], // 11/2 00:00 EST
      ['oct', '2026-10-31T23:30:00-04:00'], // 11/1T03:30Z: still 10/31
    ]);
    const r = await run(lake, JOB, { date: '2026-11-01' });
    expect(r.details).toMatchObject({ kept: 4 });
    expect(await query(lake, `SELECT event_id, ${ISO_US('attempted_at', 'at')} FROM ${A} WHERE dt = DATE '2026-11-01' ORDER BY attempted_at`)).toEqual([
      { event_id: 'a-start', at: '2026-11-01T04:00:00.000000Z' },
      { event_id: 'a-edt0130', at: '2026-11-01T05:30:00.000000Z' },
      { event_id: 'a-est0130', at: '2026-11-01T06:30:00.000000Z' },
      { event_id: 'a-last', at: '2026-11-02T04:59:59.999000Z' },
    ]);
    expect((await run(lake, JOB, { date: '2026-10-31' })).details).toMatchObject({ kept: 2 });
    expect((await run(lake, JOB, { date: '2026-11-02' })).details).toMatchObject({ kept: 1 });

    clearRaw(lake);
    for (let h = 0; h < 30; h++) {
      const hour = new Date(Date.parse('2026-11-01T02:00:00Z') + h * 3_600_000).toISOString();
      writeRaw(lake, A, hour.slice(0, 13), 'h.ndjson', [attempt(`h${h}`, hour)]);
    }
    expect((await run(lake, JOB, { date: '2026-11-01' })).details).toMatchObject({ owned_nonblank: 25, kept: 25 });
  });
});

test('offsets are converted to UTC instants and sub-millisecond digits are kept', async () => {
  writeRaw(lake, A, '2026-03-10T14', 'a.ndjson', [
    attempt('1', '2026-03-10T10:00:00.123456-04:00'),
    attempt('2', '2026-03-10T23:30:00-04:00'), // 3/11T03:30Z, still 3/10 in ET
    attempt('3', '2026-03-11T00:30:00+01:00'), // 3/10T23:30Z
    attempt('4', '2026-03-10T19:35:00.5+05:30'),
    attempt('5', '2026-03-11T00:00:00-04:00'), // end(3/10): 3/11
  ]);
  const r = await run(lake, JOB, { date: D });
  expect(r.details).toMatchObject({ kept: 4, other_date: 1 });
  expect(await query(lake, `SELECT event_id, ${ISO_US('attempted_at', 'at')}, epoch_us(attempted_at)::VARCHAR AS us FROM ${A} ORDER BY event_id`)).toEqual([
    { event_id: 'a-1', at: '2026-03-10T14:00:00.123456Z', us: String(Date.parse('2026-03-10T14:00:00.123Z') * 1000 + 456) },
    { event_id: 'a-2', at: '2026-03-11T03:30:00.000000Z', us: String(Date.parse('2026-03-11T03:30:00Z') * 1000) },
    { event_id: 'a-3', at: '2026-03-10T23:30:00.000000Z', us: String(Date.parse('2026-03-10T23:30:00Z') * 1000) },
    { event_id: 'a-4', at: '2026-03-10T14:05:00.500000Z', us: String(Date.parse('2026-03-10T14:05:00.5Z') * 1000) },
  ]);
});

describe('rejects', () => {
  const good = attempt('g', '2026-03-10T14:00:00Z');
  const without = (k: string) => Object.fromEntries(Object.entries(good).filter(([f]) => f !== k));
  const cases: [string, string, string | null][] = [];
  const lines: string[] = [];
  const add = (line: string | Record<string, unknown>, reason: string, field: string | null) => {
    lines.push(typeof line === 'string' ? line : JSON.stringify(line));
    cases.push([lines[lines.length - 1], reason, field]);
  };
  add('{"event_id": "a-x", "notification_id": ', 'malformed_json', null);
  add('not json at all', 'malformed_json', null);
  add(without('client_id'), 'missing_field', 'client_id');
  add({ ...good, event_id: 'a-null', customer_id: null }, 'missing_field', 'customer_id');
  add({ ...good, event_id: 123 }, 'invalid_value', 'event_id');
  add({ ...good, event_id: 'a-empty', notification_id: '' }, 'invalid_value', 'notification_id');
  add({ ...good, event_id: 'a-bool', experience_id: true }, 'invalid_value', 'experience_id');
  add({ ...good, event_id: 'a-fax', channel: 'fax' }, 'invalid_value', 'channel');
  add({ ...good, event_id: 'a-SMS', channel: 'SMS' }, 'invalid_value', 'channel');
  add({ ...good, event_id: 'a-nozone', attempted_at: '2026-03-10T14:00:00' }, 'invalid_value', 'attempted_at');
  add({ ...good, event_id: 'a-feb30', attempted_at: '2026-02-30T14:00:00Z' }, 'invalid_value', 'attempted_at');
  add({ ...good, event_id: 'a-h25', attempted_at: '2026-03-10T25:00:00Z' }, 'invalid_value', 'attempted_at');
  add({ ...good, event_id: 'a-space', attempted_at: '2026-03-10 14:00:00Z' }, 'invalid_value', 'attempted_at');
  add({ ...good, event_id: 'a-nocolon', attempted_at: '2026-03-10T14:00:00+0400' }, 'invalid_value', 'attempted_at');
  add({ ...good, event_id: 'a-epoch', attempted_at: 1773151200000 }, 'invalid_value', 'attempted_at');
  add({ ...good, event_id: 'a-date', attempted_at: '2026-03-10' }, 'invalid_value', 'attempted_at');
  // Several wrong fields: the first in the table's order is named, whatever the JSON key order.
  add({ channel: 'fax', attempted_at: 'x', customer_id: 'u', notification_id: 'n', client_id: 'c', experience_id: 'e' }, 'missing_field', 'event_id');
  add({ attempted_at: 'bad', channel: 'fax', customer_id: null, client_id: 5, notification_id: 'n', event_id: 'a-multi', experience_id: 'e' }, 'invalid_value', 'client_id');
  add({ ...good, event_id: 'a-multi2', channel: 'fax', attempted_at: 'bad' }, 'invalid_value', 'channel');

  test('each reason and the first wrong field in table order; good lines are kept', async () => {
    writeRaw(lake, A, '2026-03-10T14', 'bad.ndjson', [good, ...lines]);
    const r = await run(lake, JOB, { date: D }, { maxRejectRate: 1 });
    expect(r.details).toMatchObject({ lines_read: lines.length + 1, rejected: lines.length, owned_rejected: lines.length, owned_nonblank: lines.length + 1, kept: 1 });
    expectConservation(r.details);
    const rejects = await query<{ source_file: string; line_number: string; reason: string; field: string | null; raw_line: string }>(lake, rejectsSql(D));
    expect(rejects.map((x) => [x.raw_line, x.reason, x.field])).toEqual(cases);
    expect(rejects.map((x) => x.line_number)).toEqual(lines.map((_l, i) => String(i + 2)));
    expect(new Set(rejects.map((x) => x.source_file))).toEqual(new Set([key('2026-03-10T14', 'bad.ndjson')]));
    expect((await query<Kept>(lake, keptSql(D))).map((k) => k.event_id)).toEqual(['a-g']);
  });

  test('the delivered stream validates its own fields', async () => {
    const g = delivery('g', '2026-03-10T14:00:00Z');
    writeRaw(lake, 'notification_delivered', '2026-03-10T14', 'd.ndjson', [
      g,
      { ...g, event_id: 'd-1', delivered_at: null },
      { ...g, event_id: 'd-2', channel: 'pigeon' },
      { event_id: 'd-3', channel: 'sms', delivered_at: '2026-03-10T14:00:00Z' },
    ]);
    const r = await run(lake, 'notification_delivered_daily', { date: D }, { maxRejectRate: 1 });
    expect(r.details).toMatchObject({ kept: 1, rejected: 3 });
    expect(await query(lake, `SELECT line_number::INTEGER AS line, reason, field FROM notification_delivered_rejects ORDER BY line`)).toEqual([
      { line: 2, reason: 'missing_field', field: 'delivered_at' },
      { line: 3, reason: 'invalid_value', field: 'channel' },
      { line: 4, reason: 'missing_field', field: 'notification_id' },
    ]);
  });

  test('blank lines are skipped, not counted toward the rate, and line numbers stay physical', async () => {
    writeRaw(lake, A, '2026-03-10T14', 'blanks.ndjson', ['', attempt('1', '2026-03-10T14:00:00Z'), '   ', '\t', 'oops', '', attempt('2', '2026-03-10T14:00:00Z')]);
    const r = await run(lake, JOB, { date: D }, { maxRejectRate: 1 });
    expect(r.details).toMatchObject({ lines_read: 7, blank: 4, rejected: 1, kept: 2, owned_nonblank: 3, owned_rejected: 1 });
    expect(r.details.reject_rate).toBeCloseTo(1 / 3);
    expectConservation(r.details);
    expect((await query<Kept>(lake, keptSql(D))).map((k) => [k.event_id, k.line_number])).toEqual([['a-1', '2'], ['a-2', '7']]);
    expect((await query<{ line_number: string; reason: string }>(lake, rejectsSql(D))).map((x) => [x.line_number, x.reason])).toEqual([['5', 'malformed_json']]);
  });

  test('a line that is not UTF-8 is malformed_json and the following line numbers stay right', async () => {
    const ok1 = Buffer.from(JSON.stringify(attempt('1', '2026-03-10T14:00:00Z')) + '\n');
    const bad = Buffer.concat([Buffer.from('{"event_id": "a-bad\xff'.slice(0, 14)), Buffer.from([0xff, 0xfe]), Buffer.from('"}\n')]);
    const ok2 = Buffer.from(JSON.stringify(attempt('2', '2026-03-10T14:00:00Z')) + '\n');
    writeRawBytes(lake, A, '2026-03-10T14', 'bin.ndjson', Buffer.concat([ok1, bad, Buffer.from('\n'), ok2]));
    const r = await run(lake, JOB, { date: D }, { maxRejectRate: 1 });
    expect(r.details).toMatchObject({ lines_read: 4, blank: 1, rejected: 1, kept: 2 });
    expect((await query<Kept>(lake, keptSql(D))).map((k) => [k.event_id, k.line_number])).toEqual([['a-1', '1'], ['a-2', '4']]);
    expect((await query<{ line_number: string; reason: string }>(lake, rejectsSql(D))).map((x) => [x.line_number, x.reason])).toEqual([['2', 'malformed_json']]);
  });

  test('CRLF line ends are read like LF: same line numbers, the \\r is part of neither the line nor its JSON', async () => {
    writeRaw(lake, A, '2026-03-10T14', 'crlf.ndjson', [`${JSON.stringify(attempt('1', '2026-03-10T14:00:00Z'))}\r`, '\r', '{"event_id": "a-bad",\r', `${JSON.stringify(attempt('2', '2026-03-10T14:00:00Z'))}\r`]);
    const r = await run(lake, JOB, { date: D }, { maxRejectRate: 1 });
    expect(r.details).toMatchObject({ lines_read: 4, blank: 1, rejected: 1, kept: 2 });
    expectConservation(r.details);
    expect((await query<Kept>(lake, keptSql(D))).map((k) => [k.event_id, k.line_number])).toEqual([['a-1', '1'], ['a-2', '4']]);
    expect((await query<{ line_number: string; reason: string; raw_line: string }>(lake, `SELECT line_number::VARCHAR AS line_number, reason, raw_line FROM ${A}_rejects`))).toEqual([
      { line_number: '3', reason: 'malformed_json', raw_line: '{"event_id": "a-bad",' },
    ]);
  });

  test('raw_line is cut to at most 1024 bytes at a UTF-8 boundary', async () => {
    const long = `{"event_id": "${'x'.repeat(2000)}`; // ASCII, malformed
    const accented = `{"event_id": "${'é'.repeat(2000)}`;
    writeRaw(lake, A, '2026-03-10T14', 'long.ndjson', [long, accented]);
    await run(lake, JOB, { date: D }, { maxRejectRate: 1 });
    const rows = await query<{ raw_line: string }>(lake, rejectsSql(D));
    expect(rows.map((x) => x.raw_line)).toEqual([long.slice(0, 1024), expect.any(String)]);
    const cut = rows[1].raw_line;
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(1024);
    expect(accented.startsWith(cut)).toBe(true);
  });

  test('raw_line keeps the longest UTF-8 prefix that fits in 1024 bytes (multi-byte lines are cut to half)', async () => {
    const accented = `{"event_id": "${'é'.repeat(2000)}`;
    writeRaw(lake, A, '2026-03-10T14', 'long.ndjson', [accented]);
    await run(lake, JOB, { date: D }, { maxRejectRate: 1 });
    const [row] = await query<{ raw_line: string }>(lake, rejectsSql(D));
    // 14 ASCII bytes + 505 two-byte characters = 1024 bytes.
    expect(Buffer.byteLength(row.raw_line)).toBe(1024);
  });

  test('only the owner date records a bad line; other readers count it as rejected but not toward their rate', async () => {
    writeRaw(lake, A, '2026-03-10T14', 'bad.ndjson', ['oops', attempt('1', '2026-03-10T14:00:00Z')]);
    // 3/9 reads hour 10T14 (within its lateness) but does not own it: zero tolerance still succeeds.
    const r9 = await run(lake, JOB, { date: '2026-03-09' }, { maxRejectRate: 0 });
    expect(r9.details).toMatchObject({ lines_read: 2, rejected: 1, other_date: 1, owned_nonblank: 0, owned_rejected: 0 });
    expectConservation(r9.details);
    expect(await query(lake, rejectsSql('2026-03-09'))).toEqual([]);
    const r10 = await run(lake, JOB, { date: D }, { maxRejectRate: 1 });
    expect(r10.details).toMatchObject({ owned_nonblank: 2, owned_rejected: 1 });
    expect((await query<{ line_number: string }>(lake, `SELECT line_number::VARCHAR AS line_number, dt::VARCHAR AS dt FROM ${A}_rejects`))).toEqual([{ line_number: '1', dt: D }]);
  });
});

describe('reject rate', () => {
  const hundred = (bad: number) => [
    ...Array.from({ length: 100 - bad }, (_x, i) => attempt(String(i), '2026-03-10T14:00:00Z')),
    ...Array.from({ length: bad }, () => 'not json'),
  ];

  test('exactly at the threshold (1 of 100 = 1%) succeeds', async () => {
    writeRaw(lake, A, '2026-03-10T14', 'a.ndjson', hundred(1));
    const r = await run(lake, JOB, { date: D });
    expect(r.details).toMatchObject({ kept: 99, owned_rejected: 1, reject_rate: 0.01 });
  });

  test('over the threshold fails, publishes nothing, and the previous version stays current', async () => {
    writeRaw(lake, A, '2026-03-10T14', 'a.ndjson', hundred(0));
    const v1 = await run(lake, JOB, { date: D });
    const before = pointer(lake, A, 'dt', D);
    const rejectsBefore = pointer(lake, `${A}_rejects`, 'dt', D);
    expect(before!.runId).toBe(v1.runId);

    writeRaw(lake, A, '2026-03-10T15', 'b.ndjson', ['oops', '{"event_id": 1}', attempt('x', '2026-03-10T15:00:00Z')]);
    const err = await runFailing(lake, JOB, { date: D });
    expect(err.message).toMatch(/2 of 103 notification_attempted lines .* were rejected \(1\.94% > ACE_MAX_REJECT_RATE 1\.00%\); nothing was published/);
    expect(err.message).toContain('15/b.ndjson:1 malformed_json');
    expect((err as { code?: string }).code).toBe('bad_input');
    expect(pointer(lake, A, 'dt', D)).toEqual(before);
    expect(pointer(lake, `${A}_rejects`, 'dt', D)).toEqual(rejectsBefore);
    const rows = await query<{ n: number; runs: number }>(lake, `SELECT count(*)::INTEGER AS n, count(DISTINCT run_id)::INTEGER AS runs FROM ${A}`);
    expect(rows).toEqual([{ n: 100, runs: 1 }]);
  });
});

test('a truncated .gz fails the job naming the file, and nothing is published', async () => {
  writeRaw(lake, A, '2026-03-10T14', 'good.ndjson.gz', [attempt('1', '2026-03-10T14:00:00Z')]);
  const full = zlib.gzipSync(Buffer.from(Array.from({ length: 200 }, (_x, i) => JSON.stringify(attempt(`t${i}`, '2026-03-10T15:00:00Z'))).join('\n') + '\n'));
  writeRawBytes(lake, A, '2026-03-10T15', 'cut.ndjson.gz', full.subarray(0, Math.floor(full.length / 2)));
  const err = await runFailing(lake, JOB, { date: D });
  expect(err.message).toContain(key('2026-03-10T15', 'cut.ndjson.gz'));
  expect(pointer(lake, A, 'dt', D)).toBeNull();
  expect(pointer(lake, `${A}_rejects`, 'dt', D)).toBeNull();
});

// Regression: DuckDB's gzip reader returns the lines before the cut without an error, so a large file
// cut in half used to succeed and silently lose the rest (1 reject in ~2500 lines, 0.04% < 1%).
test('a large truncated .gz fails as unreadable instead of silently losing its tail', async () => {
  const full = zlib.gzipSync(Buffer.from(Array.from({ length: 5000 }, (_x, i) => JSON.stringify(attempt(`t${i}`, '2026-03-10T15:00:00Z'))).join('\n') + '\n'));
  writeRawBytes(lake, A, '2026-03-10T15', 'cut.ndjson.gz', full.subarray(0, Math.floor(full.length / 2)));
  const err = await runFailing(lake, JOB, { date: D });
  expect(err.message).toMatch(/cannot read raw file .*cut\.ndjson\.gz/);
  expect(pointer(lake, A, 'dt', D)).toBeNull();
});

test('an empty day publishes an empty partition that replaces a stale one', async () => {
  writeRaw(lake, A, '2026-03-10T14', 'a.ndjson', [attempt('1', '2026-03-10T14:00:00Z')]);
  await run(lake, JOB, { date: D });
  expect(await query(lake, `SELECT count(*)::INTEGER AS n FROM ${A}`)).toEqual([{ n: 1 }]);
  clearRaw(lake);
  const r = await run(lake, JOB, { date: D });
  expect(r).toMatchObject({ status: 'succeeded', rows: 0, details: { lines_read: 0, files: 0 } });
  expect(r.published).toEqual(expect.arrayContaining([{ table: A, partition: `dt=${D}`, rows: 0 }]));
  expect(pointer(lake, A, 'dt', D)).toMatchObject({ runId: r.runId, rows: 0 });
  expect(await query(lake, `SELECT count(*)::INTEGER AS n FROM ${A}`)).toEqual([{ n: 0 }]);
  // The empty partition is a real, typed Parquet file.
  const files = pointer(lake, A, 'dt', D)!.files;
  expect(files).toHaveLength(1);
  expect(fs.existsSync(path.join(lake.root, files[0]))).toBe(true);
});

test('a rerun replaces the partition and never appends duplicates', async () => {
  writeRaw(lake, A, '2026-03-10T14', 'a.ndjson', [attempt('1', '2026-03-10T14:00:00Z'), 'bad', attempt('2', '2026-03-10T14:00:00Z')]);
  const first = await run(lake, JOB, { date: D }, { maxRejectRate: 1 });
  // A plain rerun on unchanged inputs may be a no-op; either way the rows stay the same.
  const plain = await run(lake, JOB, { date: D }, { maxRejectRate: 1 });
  expect([first.runId, plain.runId]).toContain(pointer(lake, A, 'dt', D)!.runId);
  expect(await query(lake, `SELECT event_id FROM ${A} ORDER BY event_id`)).toEqual([{ event_id: 'a-1' }, { event_id: 'a-2' }]);
  const second = await run(lake, JOB, { date: D, flags: { force: true } }, { maxRejectRate: 1 });
  expect(await query(lake, `SELECT event_id, run_id FROM ${A} ORDER BY event_id`)).toEqual([
    { event_id: 'a-1', run_id: second.runId },
    { event_id: 'a-2', run_id: second.runId },
  ]);
  expect(await query(lake, `SELECT line_number::INTEGER AS line, run_id FROM ${A}_rejects`)).toEqual([{ line: 2, run_id: second.runId }]);
});

test('a rerun on unchanged raw files is a no-op; a new raw file makes it run again', async () => {
  writeRaw(lake, A, '2026-03-10T14', 'a.ndjson', [attempt('1', '2026-03-10T14:00:00Z')]);
  const first = await run(lake, JOB, { date: D });
  const again = await run(lake, JOB, { date: D });
  expect(again.status).toBe('up_to_date');
  expect(pointer(lake, A, 'dt', D)!.runId).toBe(first.runId);
  writeRaw(lake, A, '2026-03-11T01', 'b.ndjson', [attempt('2', '2026-03-10T20:00:00Z')]);
  const third = await run(lake, JOB, { date: D });
  expect(third).toMatchObject({ status: 'succeeded', rows: 2 });
  expect(pointer(lake, A, 'dt', D)!.runId).toBe(third.runId);
});
