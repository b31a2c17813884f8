/**
 * The pure half of `parity` (src/ops/parityCompare.ts): the column plan, the comparison SQL run on
 * small in-memory tables, and the classification of units only one side counts (EST = UTC-5).
 */
import os from 'node:os';
import path from 'node:path';
import { Db, Engine } from '../../src/engine/duckdb';
import { UsageError } from '../../src/errors';
import { BillingMonth } from '../../src/time/time';
import { Candidate, checkMap, classifyUnit, comparisonSql, parseMap, planColumns, toCells } from '../../src/ops/parityCompare';

const OURS = ['billing_month', 'client_id', 'client_name', 'billing_account_id', 'is_billable', 'ace_units', 'delivered_notifications', 'attempted_notifications', 'rule_version'];

describe('parity column plan', () => {
  test('--map parses legacy=ours pairs; a malformed pair or a name given twice is a usage error', () => {
    expect([...parseMap('units=ace_units, client = client_id')]).toEqual([['units', 'ace_units'], ['client', 'client_id']]);
    expect(parseMap(undefined).size).toBe(0);
    expect(() => parseMap('units')).toThrow(UsageError);
    expect(() => parseMap('a=b,a=c')).toThrow(/twice/);
  });

  test('columns matched by name after --map; one-sided columns noted; billing_month selects rows, rule_version is ours', () => {
    const plan = planColumns('client', 'legacy.csv', ['billing_month', 'client', 'units', 'is_billable', 'glue_run'], OURS, parseMap('client=client_id,units=ace_units'));
    expect(plan.keys).toEqual([{ legacy: 'client', ours: 'client_id', kind: 'text' }]);
    expect(plan.compared).toEqual([
      { legacy: 'is_billable', ours: 'is_billable', kind: 'boolean' },
      { legacy: 'units', ours: 'ace_units', kind: 'number' },
    ]);
    expect(plan.monthColumn).toBe('billing_month');
    expect(plan.notes.join(' | ')).toMatch(/client_name is not in the legacy file/);
    expect(plan.notes.join(' | ')).toMatch(/legacy column glue_run has no counterpart/);
  });

  test('a missing key column, a --map of an unknown column, two legacy columns for one of ours: usage errors that say what to do', () => {
    expect(() => planColumns('client', 'legacy.csv', ['client', 'ace_units'], OURS, new Map())).toThrow(/has no column client_id .*--map legacy_name=client_id/);
    // One --map for every legacy file: a name must be in one of them, and be one of ours.
    const files = [{ file: 'a.csv', header: ['client_id', 'units'] }, { file: 'b.csv', header: ['client_id', 'chan'] }];
    expect(() => checkMap(parseMap('units=ace_units,chan=channel'), files, [...OURS, 'channel'])).not.toThrow();
    expect(() => checkMap(parseMap('unit=ace_units'), files, OURS)).toThrow(/--map names unit, which is not a column of the legacy files \(a.csv: client_id, units; b.csv/);
    expect(() => checkMap(parseMap('units=nope'), files, OURS)).toThrow(/--map names nope, which is not a column of this system's exports/);
    expect(() => planColumns('client', 'legacy.csv', ['client_id', 'units', 'ace_units'], OURS, parseMap('units=ace_units'))).toThrow(/two columns for ace_units/);
  });
});

describe('parity comparison SQL', () => {
  let engine: Engine;
  let db: Db;
  beforeAll(async () => {
    engine = await Engine.open({ memoryLimit: '256MB', tempDir: path.join(os.tmpdir(), 'ace-unit-test-duckdb'), threads: 1 });
    db = await engine.connect();
  });
  afterAll(() => {
    db.close();
    engine.close();
  });

  const table = async (name: string, header: string[], rows: (string | null)[][]) => {
    const values = rows.map((r) => `(${r.map((v) => (v === null ? 'NULL' : `'${v.replace(/'/g, "''")}'`)).join(', ')})`).join(', ');
    await db.run(`CREATE OR REPLACE TABLE ${name} AS SELECT * FROM (VALUES ${values}) t(${header.join(', ')})`);
  };

  test('numbers compare as numbers (141 = 141.0), booleans case-free, text exactly; difference = ace-unit − legacy; a key on one side only', async () => {
    await table('ours', ['billing_month', 'client_id', 'client_name', 'is_billable', 'ace_units'], [
      ['2026-03', 'c01', 'Acme, Inc.', 'true', '141'],
      ['2026-03', 'c02', 'Beta', 'false', '10'],
      ['2026-03', 'c03', 'Gamma', 'true', '7'],
    ]);
    await table('legacy', ['billing_month', 'client_id', 'client_name', 'is_billable', 'units'], [
      ['2026-03', 'c01', 'Acme, Inc.', 'True', '141.0'],
      ['2026-03', 'c02', 'Beta AG', 'false', '12'],
      ['2026-03', 'c04', 'Delta', 'true', '3'],
      ['2026-02', 'c03', 'Gamma', 'true', '7'],
    ]);
    const plan = planColumns('client', 'legacy.csv', ['billing_month', 'client_id', 'client_name', 'is_billable', 'units'], ['billing_month', 'client_id', 'client_name', 'is_billable', 'ace_units'], parseMap('units=ace_units'));
    const cells = toCells(plan, await db.all(comparisonSql(plan, 'ours', 'legacy'), { month: '2026-03' }));
    const brief = cells.map((c) => [c.keys[0], c.column, c.legacy, c.ours, c.difference, c.status]);
    expect(brief).toEqual([
      ['c01', 'client_name', 'Acme, Inc.', 'Acme, Inc.', null, 'equal'],
      ['c01', 'is_billable', 'True', 'true', null, 'equal'],
      ['c01', 'ace_units', '141.0', '141', 0, 'equal'],
      ['c02', 'client_name', 'Beta AG', 'Beta', null, 'differs'],
      ['c02', 'is_billable', 'false', 'false', null, 'equal'],
      ['c02', 'ace_units', '12', '10', -2, 'differs'],
      // The legacy row of c03 is of another month: c03 is this system's only.
      ['c03', 'client_name', null, 'Gamma', null, 'only_ours'],
      ['c03', 'is_billable', null, 'true', null, 'only_ours'],
      ['c03', 'ace_units', null, '7', 7, 'only_ours'],
      ['c04', 'client_name', 'Delta', null, null, 'only_legacy'],
      ['c04', 'is_billable', 'true', null, null, 'only_legacy'],
      ['c04', 'ace_units', '3', null, -3, 'only_legacy'],
    ]);
  });

  test('a legacy number that is not a number differs, with no difference', async () => {
    await table('ours', ['client_id', 'ace_units'], [['c01', '5']]);
    await table('legacy', ['client_id', 'ace_units'], [['c01', 'n/a']]);
    const plan = planColumns('client', 'l.csv', ['client_id', 'ace_units'], ['client_id', 'ace_units'], new Map());
    const [cell] = toCells(plan, await db.all(comparisonSql(plan, 'ours', 'legacy')));
    expect(cell).toMatchObject({ column: 'ace_units', legacy: 'n/a', ours: '5', difference: null, status: 'differs' });
  });
});

describe('parity: why one side counts a unit', () => {
  const cand = (over: Partial<Candidate>): Candidate => ({
    notification_id: 'n1',
    attempt_event_id: 'a1',
    attempted_ms: Date.parse('2026-03-10T15:00:00Z'),
    attempt_dt: '2026-03-10',
    delivery_event_id: 'd1',
    delivered_ms: Date.parse('2026-03-10T15:01:00Z'),
    delivery_dt: '2026-03-10',
    engaged: true,
    conflicting_duplicate: false,
    ...over,
  });
  const M = '2026-03' as BillingMonth;
  const A = '2026-04' as BillingMonth;
  const cases: [string, 'legacy' | 'ours', BillingMonth, Candidate[], number, string[]][] = [
    // 00:30 EDT on April 1 is 23:30 EST on March 31: the legacy counts it in March.
    ['legacy only: delivered 00:00-01:00 EDT on the 1st of next month', 'legacy', M, [cand({ attempted_ms: Date.parse('2026-04-01T04:20:00Z'), attempt_dt: '2026-04-01', delivered_ms: Date.parse('2026-04-01T04:30:00Z'), delivery_dt: '2026-04-01', engaged: false })], 0, ['est_date_boundary']],
    ['legacy only: 05:00Z on April 1 is April in EST too', 'legacy', M, [cand({ delivered_ms: Date.parse('2026-04-01T05:00:00Z'), delivery_dt: '2026-04-01', engaged: false })], 0, ['unknown']],
    ['ace-unit only: its one engagement is 00:30 EDT on April 1, March 31 in EST', 'ours', A, [cand({ attempted_ms: Date.parse('2026-04-01T04:20:00Z'), attempt_dt: '2026-04-01', delivered_ms: Date.parse('2026-04-01T04:30:00Z'), delivery_dt: '2026-04-01' })], 0, ['est_date_boundary']],
    ['ace-unit only: one engagement on the boundary and one well inside: unknown', 'ours', A, [cand({ delivered_ms: Date.parse('2026-04-01T04:30:00Z'), delivery_dt: '2026-04-01', attempted_ms: Date.parse('2026-04-01T04:20:00Z') }), cand({ delivered_ms: Date.parse('2026-04-10T15:00:00Z'), attempted_ms: Date.parse('2026-04-10T14:00:00Z') })], 0, ['unknown']],
    ['legacy only: attempted 4 days before a March delivery, unattributed here', 'legacy', M, [cand({ attempt_dt: '2026-02-26', attempted_ms: Date.parse('2026-02-26T15:00:00Z'), delivery_dt: '2026-03-02', delivered_ms: Date.parse('2026-03-02T15:00:00Z'), engaged: false })], 0, ['lookback']],
    ['legacy only: attempted 3 days before (inside the lookback) but not engaged: unknown', 'legacy', M, [cand({ attempt_dt: '2026-02-27', attempted_ms: Date.parse('2026-02-27T15:00:00Z'), delivery_dt: '2026-03-02', delivered_ms: Date.parse('2026-03-02T15:00:00Z'), engaged: false })], 0, ['unknown']],
    // Attempt at 00:30 EDT on D-3 (23:30 EST on D-4): inside this lookback, outside one counted in EST dates.
    ['ace-unit only: inside the ET lookback, outside it in EST dates', 'ours', A, [cand({ attempted_ms: Date.parse('2026-04-07T04:30:00Z'), attempt_dt: '2026-04-07', delivered_ms: Date.parse('2026-04-10T15:00:00Z'), delivery_dt: '2026-04-10' })], 0, ['lookback']],
    ['legacy only: a conflicting duplicate carried the unit', 'legacy', M, [], 1, ['dedup']],
    ['ace-unit only: its engagement\'s attempt had a conflicting duplicate', 'ours', M, [cand({ conflicting_duplicate: true })], 0, ['dedup']],
    ['legacy only: nothing here about the unit', 'legacy', M, [], 0, ['unknown']],
    ['ace-unit only: an ordinary engagement', 'ours', M, [cand({})], 0, ['unknown']],
  ];
  test.each(cases)('%s', (_name, side, month, candidates, rejected, causes) => {
    const c = classifyUnit(side, month, 3, candidates, rejected);
    expect(c.causes).toEqual(causes);
    expect(c.details.length).toBeGreaterThan(0);
  });
});
