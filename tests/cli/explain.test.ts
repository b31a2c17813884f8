/**
 * `npm run explain` through the real CLI, on a small generated lake (2 dates of March 2026, exported
 * partial) plus hand-written CRLF raw files: every raw line it prints is read back here from the raw
 * file itself (gunzip, split on '\n', the '\r' of a CRLF line end dropped) and compared byte for byte.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { bash, cliCommand, emptyLake } from './helpers';
import { parseCsvObjects } from '../helpers/csv';
import { attempt, delivery } from '../helpers/lake';

const MONTH = '2026-03';

/** Line n (1-based) of a raw file, as bytes, read independently of src/. */
function rawLineBytes(lake: string, sourceFile: string, n: number): Buffer {
  let bytes = fs.readFileSync(path.join(lake, sourceFile));
  if (sourceFile.endsWith('.gz')) bytes = zlib.gunzipSync(bytes);
  const lines: Buffer[] = [];
  let start = 0;
  for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, start)) {
    lines.push(bytes.subarray(start, i));
    start = i + 1;
  }
  if (start < bytes.length) lines.push(bytes.subarray(start));
  const line = lines[n - 1];
  return line[line.length - 1] === 13 ? line.subarray(0, line.length - 1) : line;
}

/** A plain raw file with CRLF line ends. */
function writeCrlf(lake: string, stream: string, hour: string, file: string, lines: object[]): string {
  const rel = `raw/${stream}/${hour}/${file}`;
  fs.mkdirSync(path.join(lake, path.dirname(rel)), { recursive: true });
  fs.writeFileSync(path.join(lake, rel), lines.map((l) => `${JSON.stringify(l)}\r\n`).join(''));
  return rel;
}

interface Evidence {
  event_id: string;
  source_file: string;
  line_number: number;
  raw_line: string;
  [k: string]: unknown;
}
interface Explained {
  unit: Record<string, unknown>;
  export: { version: number; row: Record<string, string> };
  audit: Record<string, unknown>;
  engagement: Record<string, unknown>;
  delivery: Evidence;
  attempt: Evidence;
}

describe('npm run explain', () => {
  let lake: string;
  const sh = (args: string[]) => bash(lake, cliCommand('explain', ['--month', MONTH, ...args]));
  const ok = (script: string) => {
    const r = bash(lake, script);
    if (r.status !== 0) throw new Error(`${script} exited ${r.status}: ${r.stderr.slice(-2000)}`);
    return r.stdout;
  };
  const explainJson = (client: string, customer: string, extra: string[] = []): Explained => {
    const r = sh(['--client', client, '--customer', customer, '--format', 'json', ...extra]);
    if (r.status !== 0) throw new Error(`explain exited ${r.status}: ${r.stderr}`);
    return JSON.parse(r.stdout) as Explained;
  };
  const exportRow = (client: string) =>
    parseCsvObjects(fs.readFileSync(path.join(lake, `exports/ace_unit_monthly_output/billing_month=${MONTH}/ace_units_${MONTH}.csv`), 'utf8')).find((r) => r.client_id === client);
  let unit: { client_id: string; customer_id: string };
  /** The JSON explanation of `unit`, taken once. */
  let explained: Explained;

  beforeAll(() => {
    lake = emptyLake();
    ok(cliCommand('generate', ['--root', lake, '--from', '2026-02-27', '--to', '2026-03-03', '--events-per-day', '40', '--seed', '7']));
    // A CRLF producer: the unit's attempt on line 2, its delivery on line 1 (2026-03-02, ET afternoon).
    writeCrlf(lake, 'notification_attempted', '2026/03/02/15', 'crlf-attempts.json', [
      attempt('crlf-other', '2026-03-02T15:01:00.000Z', { client_id: 'c01' }),
      attempt('crlf', '2026-03-02T15:02:00.000Z', { client_id: 'c01', customer_id: 'u-crlf' }),
    ]);
    writeCrlf(lake, 'notification_delivered', '2026/03/02/15', 'crlf-deliveries.json', [delivery('crlf', '2026-03-02T15:03:00.000Z')]);
    ok(cliCommand('pipeline', ['daily', '--from', '2026-03-01', '--to', '2026-03-02']));
    ok(cliCommand('pipeline', ['monthly', '--month', MONTH, '--allow-partial']));
    const audit = JSON.parse(ok(cliCommand('query', ['--format', 'json', `select client_id, customer_id from ace_unit_audit where billing_month = '${MONTH}' and customer_id like 'u0%' order by client_id, customer_id limit 1`])));
    unit = audit[0];
    explained = explainJson(unit.client_id, unit.customer_id);
  });

  afterAll(() => fs.rmSync(lake, { recursive: true, force: true }));

  test('JSON: export row, audit row, engagement, delivery and attempt; every raw line equals the raw file line, byte for byte', () => {
    const e = explained;
    expect(Object.keys(e)).toEqual(['unit', 'export', 'audit', 'engagement', 'delivery', 'attempt']);
    expect(e.export.row).toEqual(exportRow(unit.client_id));
    expect(e.audit).toMatchObject({ billing_month: MONTH, client_id: unit.client_id, customer_id: unit.customer_id });
    expect(e.engagement).toMatchObject({ notification_id: e.audit.first_notification_id, dt: e.audit.first_engaged_date, attempt_event_id: e.attempt.event_id });
    expect(e.delivery).toMatchObject({ notification_id: e.audit.first_notification_id, delivered_at: e.engagement.engaged_at });
    for (const ev of [e.delivery, e.attempt]) {
      expect(ev.source_file).toMatch(/\.gz$/);
      expect(Buffer.from(ev.raw_line, 'utf8').equals(rawLineBytes(lake, ev.source_file, ev.line_number))).toBe(true);
      expect(JSON.parse(ev.raw_line).event_id).toBe(ev.event_id);
    }
  });

  test('text: one section per link, each raw line printed exactly as it is, on its own line', () => {
    const r = sh(['--client', unit.client_id, '--customer', unit.customer_id]);
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    for (const title of ['Export row', 'Audit row', 'First-touch engagement', 'Delivery', 'Attempt']) expect(lines.some((l) => l.startsWith(title))).toBe(true);
    const e = explained;
    for (const ev of [e.delivery, e.attempt]) {
      const i = lines.indexOf(`  raw line ${ev.source_file}:${ev.line_number}:`);
      expect(i).toBeGreaterThan(0);
      expect(Buffer.from(lines[i + 1], 'utf8').equals(rawLineBytes(lake, ev.source_file, ev.line_number))).toBe(true);
    }
  });

  test('a CRLF raw file: the line comes back without its \\r, at the line number the ingest gave it', () => {
    const e = explainJson('c01', 'u-crlf');
    expect(e.attempt).toMatchObject({ event_id: 'a-crlf', source_file: 'raw/notification_attempted/2026/03/02/15/crlf-attempts.json', line_number: 2 });
    expect(e.delivery).toMatchObject({ event_id: 'd-crlf', line_number: 1 });
    for (const ev of [e.delivery, e.attempt]) {
      expect(fs.readFileSync(path.join(lake, ev.source_file)).includes('\r\n')).toBe(true);
      expect(ev.raw_line).not.toContain('\r');
      expect(Buffer.from(ev.raw_line, 'utf8').equals(rawLineBytes(lake, ev.source_file, ev.line_number))).toBe(true);
    }
    const text = sh(['--client', 'c01', '--customer', 'u-crlf']).stdout;
    expect(text).not.toContain('\r');
    expect(text.split('\n')).toContain(e.attempt.raw_line);
  });

  test('a unit that does not exist exits 4 naming the client\'s unit count', () => {
    const r = sh(['--client', 'c01', '--customer', 'no-such-customer']);
    expect(r.status).toBe(4);
    expect(r.stdout).toBe('');
    const units = exportRow('c01')!.ace_units;
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`client c01 has ${units} units`);
  });

  test('--version N: a unit restated into version 2 was not in version 1 (exit 4, saying so); a version-1 unit is explained from version 1\'s files', () => {
    const before = explained;
    // A late attempt and delivery for a new customer of c01 on 2026-03-02, arriving inside its window.
    writeCrlf(lake, 'notification_attempted', '2026/03/03/12', 'late.json', [attempt('late', '2026-03-02T16:00:00.000Z', { client_id: 'c01', customer_id: 'u-late' })]);
    writeCrlf(lake, 'notification_delivered', '2026/03/03/12', 'late.json', [delivery('late', '2026-03-02T16:01:00.000Z')]);
    ok(cliCommand('pipeline', ['restate', '--month', MONTH, '--allow-partial']));

    const late = explainJson('c01', 'u-late');
    expect(late.export.version).toBe(2);
    expect(late.attempt).toMatchObject({ event_id: 'a-late', source_file: 'raw/notification_attempted/2026/03/03/12/late.json' });
    const notInV1 = sh(['--client', 'c01', '--customer', 'u-late', '--version', '1']);
    expect(notInV1.status).toBe(4);
    const v1Units = parseCsvObjects(fs.readFileSync(path.join(lake, `exports/ace_unit_monthly_output/billing_month=${MONTH}/versions/v1/ace_units_${MONTH}.csv`), 'utf8')).find((r) => r.client_id === 'c01')!.ace_units;
    expect(notInV1.stderr).toContain(`export version 1 (current: 2): client c01 has ${v1Units} units in it; the current audit counts it`);
    expect(Number(exportRow('c01')!.ace_units)).toBe(Number(v1Units) + 1);

    const v1 = explainJson(unit.client_id, unit.customer_id, ['--version', '1']);
    expect(v1.export.version).toBe(1);
    expect(v1.export.row).toEqual(before.export.row);
    expect(v1.audit.run_id).toBe(before.audit.run_id);
    for (const ev of [v1.delivery, v1.attempt]) expect(Buffer.from(ev.raw_line, 'utf8').equals(rawLineBytes(lake, ev.source_file, ev.line_number))).toBe(true);

    // The audit rebuilt after the last export: the explanation says the export counted an older audit.
    ok(cliCommand('job', ['ace_unit_calc_daily', '--date', '2026-03-02', '--force']));
    const newer = explainJson('c01', 'u-late');
    expect(newer.unit.notes).toEqual([expect.stringContaining('is newer than the one export version 2 counted')]);
  });

  test('a month that was never exported exits 4; a bad --format or --version exits 2', () => {
    expect(bash(lake, cliCommand('explain', ['--month', '2026-04', '--client', 'c01', '--customer', 'u-crlf'])).status).toBe(4);
    expect(sh(['--client', 'c01', '--customer', 'u-crlf', '--format', 'xml']).status).toBe(2);
    expect(sh(['--client', 'c01', '--customer', 'u-crlf', '--version', '0']).status).toBe(2);
    expect(sh(['--client', 'c01', '--customer', 'u-crlf', '--version', '9']).status).toBe(2);
  });
});

describe('npm run explain with pseudonymised customer ids (ACE_CUSTOMER_ID_KEY)', () => {
  let lake: string;
  const env = { ACE_CUSTOMER_ID_KEY: 'k'.repeat(40) };
  const run = (name: string, args: string[]) => bash(lake, cliCommand(name, args), env);
  const ok = (name: string, args: string[]) => {
    const r = run(name, args);
    if (r.status !== 0) throw new Error(`${name} exited ${r.status}: ${r.stderr.slice(-2000)}`);
    return r.stdout;
  };

  beforeAll(() => {
    lake = emptyLake();
    ok('generate', ['--root', lake, '--from', '2026-02-28', '--to', '2026-03-02', '--events-per-day', '20', '--seed', '5']);
    ok('pipeline', ['daily', '--date', '2026-03-01']);
    ok('pipeline', ['monthly', '--month', MONTH, '--allow-partial']);
  });

  afterAll(() => fs.rmSync(lake, { recursive: true, force: true }));

  test('the raw customer id (from the raw line) finds the unit by its pseudonym; the pseudonym works as is', () => {
    const [unit] = JSON.parse(ok('query', ['--format', 'json', `select client_id, customer_id from ace_unit_audit order by client_id, customer_id limit 1`])) as { client_id: string; customer_id: string }[];
    expect(unit.customer_id).toMatch(/^[0-9a-f]{64}$/);
    const byPseudonym = JSON.parse(ok('explain', ['--month', MONTH, '--client', unit.client_id, '--customer', unit.customer_id, '--format', 'json'])) as Explained;
    expect(byPseudonym.unit.notes).toEqual([]);
    const rawId = JSON.parse(byPseudonym.attempt.raw_line).customer_id as string;
    expect(rawId).not.toBe(unit.customer_id);
    const byRawId = JSON.parse(ok('explain', ['--month', MONTH, '--client', unit.client_id, '--customer', rawId, '--format', 'json'])) as Explained;
    expect(byRawId.audit).toEqual(byPseudonym.audit);
    expect(byRawId.unit.notes).toEqual([`customer ${rawId} is ${unit.customer_id} in the tables (pseudonymised with ACE_CUSTOMER_ID_KEY)`]);
  });
});
