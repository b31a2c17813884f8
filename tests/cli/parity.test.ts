/**
 * `npm run parity` through the real CLI, on a lake built from the sample month
 * (tests/fixtures/sample-month, run as its README says) with three planted cases in its raw files:
 * - dedup: a later copy of one unit's only attempt with another customer (a conflicting duplicate:
 *   this system keeps the first copy, a legacy that kept the last counts the other customer);
 * - EST date boundary: a new customer engaged at 00:30 EDT on 2026-04-01 (23:30 EST on March 31);
 * - lookback: a new customer attempted on 2026-02-26 and delivered on 2026-03-02 (4 days: unattributed).
 * None changes this system's March exports, so legacy files copied from expected/ agree with them; the
 * differences are planted in those legacy files.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { bash, cliCommand, shq } from './helpers';
import { parseCsv, parseCsvObjects } from '../helpers/csv';
import { attempt, delivery, writeRaw } from '../helpers/lake';

const MONTH = '2026-03';
const FIXTURE = path.resolve(__dirname, '../fixtures/sample-month');
const EXPECTED = path.join(FIXTURE, 'expected');

/** Every line of every raw file of a stream in the fixture, parsed, with its file's hour folder. */
function fixtureLines(stream: string): { hour: string; line: Record<string, string> }[] {
  const out: { hour: string; line: Record<string, string> }[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else {
        let bytes = fs.readFileSync(p);
        if (p.endsWith('.gz')) bytes = zlib.gunzipSync(bytes);
        const [y, m, d, h] = path.relative(path.join(FIXTURE, 'raw', stream), p).split(path.sep);
        for (const text of bytes.toString('utf8').split('\n')) {
          try {
            const line = JSON.parse(text);
            if (line && typeof line === 'object') out.push({ hour: `${y}-${m}-${d}T${h}`, line });
          } catch {
            // blank or malformed: not an event
          }
        }
      }
    }
  };
  walk(path.join(FIXTURE, 'raw', stream));
  return out;
}

/** Line n (1-based) of a raw file of the lake, as the producer wrote it (gunzipped, without its line end). */
function rawLine(lake: string, sourceFile: string, n: number): string {
  let bytes = fs.readFileSync(path.join(lake, sourceFile));
  if (sourceFile.endsWith('.gz')) bytes = zlib.gunzipSync(bytes);
  return bytes.toString('utf8').split('\n')[n - 1].replace(/\r$/, '');
}

const nextHour = (hour: string) => new Date(Date.parse(`${hour}:00:00Z`) + 3_600_000).toISOString().slice(0, 13);

describe('npm run parity (sample month)', () => {
  let lake: string;
  let legacyDir: string;
  /** The unit whose only attempt gets a conflicting later copy, and the customer of that copy. */
  let dedup: { client_id: string; customer_id: string; event_id: string };
  const DUP_CUSTOMER = 'dup-copy-customer';

  const parity = (args: string[], cwd?: string) => bash(lake, `${cwd ? `cd ${shq(cwd)} && ` : ''}${cliCommand('parity', ['--month', MONTH, ...args])}`);
  const ok = (name: string, args: string[], env: Record<string, string> = {}) => {
    const r = bash(lake, cliCommand(name, args), { ACE_MAX_REJECT_RATE: '0.02', ...env });
    if (r.status !== 0) throw new Error(`${name} ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-2000)}`);
    return r.stdout;
  };
  /** A legacy file: expected/<name> with `edit` applied to its parsed rows (header first), written as CSV. */
  const legacyFile = (name: string, out: string, edit: (rows: string[][]) => string[][] = (r) => r): string => {
    const rows = edit(parseCsv(fs.readFileSync(path.join(EXPECTED, name), 'utf8')));
    const field = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
    const file = path.join(legacyDir, out);
    fs.writeFileSync(file, rows.map((r) => r.map(field).join(',')).join('\n') + '\n');
    return file;
  };
  const legacyUnits = () => legacyFile('ace_units_2026-03.csv', 'units-equal.csv');
  const legacyByOutcome = () => legacyFile('ace_units_by_outcome_experience_2026-03.csv', 'by-outcome-equal.csv');
  const readCsv = (file: string) => parseCsvObjects(fs.readFileSync(file, 'utf8'));

  beforeAll(() => {
    lake = fs.mkdtempSync(path.join(os.tmpdir(), 'ace-parity-'));
    legacyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ace-parity-legacy-'));
    fs.cpSync(path.join(FIXTURE, 'raw'), path.join(lake, 'raw'), { recursive: true });

    // dedup: the first unit (mid-month) with one engagement whose notification has a single attempt event.
    const attempts = fixtureLines('notification_attempted');
    const audit = parseCsvObjects(fs.readFileSync(path.join(EXPECTED, 'ace_unit_audit_2026-03.csv'), 'utf8'));
    for (const u of audit) {
      if (u.engagements !== '1' || u.first_engaged_date < '2026-03-10' || u.first_engaged_date > '2026-03-20') continue;
      const copies = attempts.filter((a) => a.line.notification_id === u.first_notification_id);
      if (new Set(copies.map((c) => c.line.event_id)).size !== 1) continue;
      const last = copies.map((c) => c.hour).sort().pop()!;
      writeRaw(lake, 'notification_attempted', nextHour(last), 'legacy-kept-this-copy.json', [{ ...copies[0].line, customer_id: DUP_CUSTOMER }]);
      dedup = { client_id: u.client_id, customer_id: u.customer_id, event_id: copies[0].line.event_id };
      break;
    }
    if (!dedup) throw new Error('no unit of the sample month fits the dedup case');
    // EST date boundary: 00:20 / 00:30 EDT on April 1 = 23:20 / 23:30 EST on March 31.
    writeRaw(lake, 'notification_attempted', '2026-04-01T04', 'est.json', [attempt('est', '2026-04-01T04:20:00.000Z', { client_id: 'c02', customer_id: 'est-boundary', experience_id: 'exp01' })]);
    writeRaw(lake, 'notification_delivered', '2026-04-01T04', 'est.json', [delivery('est', '2026-04-01T04:30:00.000Z')]);
    // Lookback: attempted 2026-02-26, delivered 2026-03-02 (4 dates later; the lookback is 3).
    writeRaw(lake, 'notification_attempted', '2026-02-26T15', 'old.json', [attempt('old', '2026-02-26T15:00:00.000Z', { client_id: 'c03', customer_id: 'late-receipt', experience_id: 'exp01' })]);
    writeRaw(lake, 'notification_delivered', '2026-03-02T15', 'old.json', [delivery('old', '2026-03-02T15:00:00.000Z')]);

    const v1 = { ACE_WAREHOUSE_URL: `file://${FIXTURE}/dim_customer_v1.csv` };
    for (const date of ['2026-02-26', '2026-02-27', '2026-02-28']) {
      for (const job of ['notification_attempted_daily', 'notification_delivered_daily', 'outcome_experience_lookup_daily', 'dim_customer_daily']) ok('job', [job, '--date', date], v1);
    }
    // Through April 1: its deliveries are where the EST boundary case shows.
    ok('pipeline', ['daily', '--from', '2026-03-01', '--to', '2026-04-01'], { ACE_WAREHOUSE_URL: `file://${FIXTURE}/dim_customer_v2.csv` });
    ok('pipeline', ['monthly', '--month', MONTH]);
  }, 900_000);

  afterAll(() => {
    for (const dir of [lake, legacyDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('equal files: exit 0, both values and the difference per client, parity_M.csv in the current folder with every value equal', () => {
    const cwd = fs.mkdtempSync(path.join(legacyDir, 'cwd-'));
    const r = parity(['--legacy', legacyUnits(), '--legacy-outcome', legacyByOutcome()], cwd);
    expect(r.stderr).not.toMatch(/^error/m);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^ {2}c03 +ace_units +153 +153 +0$/m);
    expect(r.stdout).toMatch(/12 keys, 72 values compared: all equal/);
    expect(r.stdout).toMatch(/per client, outcome, experience and channel: .*\n {2}\d+ keys, \d+ values compared: all equal/);
    const cells = readCsv(path.join(cwd, `parity_${MONTH}.csv`));
    const byOutcome = parseCsvObjects(fs.readFileSync(path.join(EXPECTED, 'ace_units_by_outcome_experience_2026-03.csv'), 'utf8'));
    // 12 clients × 6 columns, and per group: client_name, outcome_name, experience_name, ace_units, engagements.
    expect(cells).toHaveLength(12 * 6 + byOutcome.length * 5);
    expect(cells.every((c) => c.status === 'equal')).toBe(true);
    expect(cells.find((c) => c.level === 'outcome' && c.column === 'engagements')).toMatchObject({ difference: '0' });
  });

  test('a changed number: exit 4 naming the client and the column, the row in parity_M.csv', () => {
    const out = fs.mkdtempSync(path.join(legacyDir, 'out-'));
    const file = legacyFile('ace_units_2026-03.csv', 'units-changed.csv', (rows) => {
      const units = rows[0].indexOf('ace_units');
      return rows.map((r) => (r[1] === 'c03' ? r.map((v, i) => (i === units ? String(Number(v) - 1) : v)) : r));
    });
    const r = parity(['--legacy', file, '--out', out]);
    expect(r.status).toBe(4);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('error'));
    expect(errors).toEqual([expect.stringMatching(/^error: parity 2026-03: 1 value differs? from the legacy: c03 ace_units \(legacy 152, ace-unit 153\)/)]);
    expect(r.stdout).toMatch(/^ {2}c03 +ace_units +152 +153 +\+1 +differs$/m);
    const cells = readCsv(path.join(out, `parity_${MONTH}.csv`));
    expect(cells.filter((c) => c.status !== 'equal')).toEqual([
      { level: 'client', client_id: 'c03', outcome_id: '', experience_id: '', channel: '', column: 'ace_units', legacy: '152', ace_unit: '153', difference: '1', status: 'differs' },
    ]);
  });

  test('renamed legacy columns (and Spark-style 141.0 / True values) agree with --map; without it, exit 2 naming the missing key', () => {
    const rename = (names: Record<string, string>) => (rows: string[][]) => [rows[0].map((h) => names[h] ?? h), ...rows.slice(1)];
    const units = legacyFile('ace_units_2026-03.csv', 'units-renamed.csv', (rows) => {
      const renamed = rename({ client_id: 'customer_code', ace_units: 'billable_units', is_billable: 'billable' })(rows);
      const [n, b] = [renamed[0].indexOf('billable_units'), renamed[0].indexOf('billable')];
      return [renamed[0], ...renamed.slice(1).map((r) => r.map((v, i) => (i === n ? `${v}.0` : i === b ? (v === 'true' ? 'True' : 'False') : v)))];
    });
    const byOutcome = legacyFile('ace_units_by_outcome_experience_2026-03.csv', 'by-outcome-renamed.csv', rename({ client_id: 'customer_code', channel: 'delivery_channel', ace_units: 'billable_units' }));
    const out = fs.mkdtempSync(path.join(legacyDir, 'out-'));
    const r = parity(['--legacy', units, '--legacy-outcome', byOutcome, '--map', 'customer_code=client_id,billable_units=ace_units,billable=is_billable,delivery_channel=channel', '--out', out]);
    expect(r.stderr).not.toMatch(/^error/m);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^ {2}c01 +ace_units +141\.0 +141 +0$/m);
    expect(readCsv(path.join(out, `parity_${MONTH}.csv`)).every((c) => c.status === 'equal')).toBe(true);

    const without = parity(['--legacy', units, '--out', out]);
    expect(without.status).toBe(2);
    expect(without.stderr.trim()).toMatch(/^error: parity: the legacy file .*units-renamed\.csv has no column client_id .*name it with --map legacy_name=client_id$/);
  });

  test('a legacy audit: units only one side counts, each with this system\'s evidence and its cause (dedup, EST date boundary, lookback)', () => {
    const audit = parseCsvObjects(fs.readFileSync(path.join(EXPECTED, 'ace_unit_audit_2026-03.csv'), 'utf8'));
    const units = [
      ...audit.filter((u) => !(u.client_id === dedup.client_id && u.customer_id === dedup.customer_id)).map((u) => [u.client_id, u.customer_id]),
      [dedup.client_id, DUP_CUSTOMER],
      ['c02', 'est-boundary'],
      ['c03', 'late-receipt'],
    ];
    const file = path.join(legacyDir, 'legacy-audit.csv');
    fs.writeFileSync(file, ['client_id,customer_id', ...units.map((u) => u.join(','))].join('\n') + '\n');
    const out = fs.mkdtempSync(path.join(legacyDir, 'out-'));
    const r = parity(['--legacy', legacyUnits(), '--legacy-audit', file, '--out', out]);
    expect(r.status).toBe(4);
    expect(r.stderr).toMatch(/^error: parity 2026-03: 4 units counted by one side only: /m);
    expect(r.stdout).toMatch(/units: .*legacy-audit\.csv \(\d+ units\) vs this system's audit \(\d+ units\): 3 counted by the legacy only, 1 by ace-unit only/);

    const listed = readCsv(path.join(out, `parity_units_${MONTH}.csv`));
    expect(listed.map((u) => [u.client_id, u.customer_id, u.counted_by, u.cause])).toEqual([
      [dedup.client_id, DUP_CUSTOMER, 'legacy', 'dedup'],
      ['c02', 'est-boundary', 'legacy', 'est_date_boundary'],
      ['c03', 'late-receipt', 'legacy', 'lookback'],
      [dedup.client_id, dedup.customer_id, 'ace-unit', 'dedup'],
    ].sort((a, b) => (a[2] === b[2] ? (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1) : a[2] === 'legacy' ? -1 : 1))); // legacy-only first, then by client and customer
    const est = listed.find((u) => u.customer_id === 'est-boundary')!;
    expect(est.detail).toContain('delivered 2026-04-01T04:30:00.000Z: 2026-04-01 in America/New_York, 2026-03-31 in fixed EST');
    expect(est.evidence).toContain('raw/notification_delivered/2026/04/01/04/est.json:1');
    expect(listed.find((u) => u.customer_id === 'late-receipt')!.detail).toContain('delivered 2026-03-02, attempted 2026-02-26 (4 days before; the lookback is 3)');

    // Evidence: every raw line printed is the raw file's line; the ace-unit-only unit is explained as `explain` does.
    const printed = [...r.stdout.matchAll(/^ {2}raw line (\S+):(\d+):\n(.*)$/gm)];
    expect(printed.length).toBeGreaterThanOrEqual(6);
    for (const [, file, n, line] of printed) expect(line).toBe(rawLine(lake, file, Number(n)));
    const section = r.stdout.split(/^== /m).find((s) => s.startsWith(`client ${dedup.client_id}, customer ${dedup.customer_id}: counted by ace-unit only; cause: dedup`))!;
    expect(section).toBeDefined();
    for (const title of ['Export row', 'Audit row', 'First-touch engagement', 'Delivery', 'Attempt']) expect(section).toMatch(new RegExp(`^${title}`, 'm'));
    expect(section).toContain(`"event_id": "${dedup.event_id}"`);
    const copy = r.stdout.split(/^== /m).find((s) => s.startsWith(`client ${dedup.client_id}, customer ${DUP_CUSTOMER}:`))!;
    expect(copy).toContain('notification_attempted conflicting duplicate');
    expect(copy).toContain(`"customer_id":"${DUP_CUSTOMER}"`); // as the planted line was written (JSON.stringify)
  });

  test('a raw file gone since ingest: the unit is still listed and classified, its evidence says why it cannot be read', () => {
    const file = path.join(legacyDir, 'legacy-audit-est.csv');
    const audit = parseCsvObjects(fs.readFileSync(path.join(EXPECTED, 'ace_unit_audit_2026-03.csv'), 'utf8'));
    fs.writeFileSync(file, ['client_id,customer_id', ...audit.map((u) => `${u.client_id},${u.customer_id}`), 'c02,est-boundary'].join('\n') + '\n');
    fs.renameSync(path.join(lake, 'raw/notification_delivered/2026/04/01/04/est.json'), path.join(legacyDir, 'est.json'));
    try {
      const out = fs.mkdtempSync(path.join(legacyDir, 'out-'));
      const r = parity(['--legacy', legacyUnits(), '--legacy-audit', file, '--out', out]);
      expect(r.status).toBe(4);
      expect(r.stdout).toMatch(/== client c02, customer est-boundary: counted by legacy only; cause: est_date_boundary .*\n(.*\n)*? {2}its evidence cannot be read: .*est\.json.* is gone/);
      expect(readCsv(path.join(out, `parity_units_${MONTH}.csv`)).map((u) => [u.customer_id, u.cause])).toEqual([['est-boundary', 'est_date_boundary']]);
    } finally {
      fs.renameSync(path.join(legacyDir, 'est.json'), path.join(lake, 'raw/notification_delivered/2026/04/01/04/est.json'));
    }
  });

  test('bad arguments exit 2 with one line: a missing file, a malformed --map, a bad month', () => {
    for (const [args, message] of [
      [['--legacy', path.join(legacyDir, 'nope.csv')], /--legacy .*nope\.csv: no such file/],
      [['--legacy', legacyUnits(), '--map', 'units'], /--map "units" is not valid/],
      [['--legacy', legacyUnits(), '--legacy-outcome', legacyByOutcome(), '--map', 'units=ace_units'], /--map names units, which is not a column of the legacy file/],
    ] as [string[], RegExp][]) {
      const r = parity(args);
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(message)]);
    }
    const month = bash(lake, cliCommand('parity', ['--month', '2026-13', '--legacy', legacyUnits()]));
    expect(month.status).toBe(2);
    expect(month.stderr).toMatch(/not a valid month/);
  });

  test('a month that was never exported exits 4 naming the export to run', () => {
    const r = bash(lake, cliCommand('parity', ['--month', '2026-04', '--legacy', legacyUnits()]));
    expect(r.status).toBe(4);
    expect(r.stderr.trim()).toMatch(/no export of 2026-04 to compare: .*_manifest\.json is missing; run `npm run pipeline -- monthly --month 2026-04` first/);
  });
});
