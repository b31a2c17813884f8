/**
 * `npm run certificate` through the real CLI, on a small generated lake (2 dates of March 2026,
 * exported partial): the `_certificate.json` beside each manifest lists the raw files each window
 * read, with sizes and line counts checked here against the files themselves; `--verify` holds on an
 * untouched landing zone and exits 4 naming a file added, one changed and one removed; the
 * restatement that follows writes version 2 with a new certificate and keeps version 1's.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { bash, cliCommand, emptyLake } from './helpers';
import { attempt, delivery } from '../helpers/lake';

const MONTH = '2026-03';
const EXPORT = `exports/ace_unit_monthly_output/billing_month=${MONTH}`;

interface Cert {
  billing_month: string;
  complete: boolean;
  blockers: string[];
  export: { job: string; version: number; run_id: string };
  dates: { date: string; lookback: boolean; window_closed: boolean; partitions: { job: string; stream: string; state: string; run_id: string | null; counts: Record<string, number> | null; files: { key: string; size: number; lines: number; version: string }[] | null }[] }[];
}

/** Physical lines of a raw file, counted independently of src/ (a last line without `\n` counts). */
function lineCount(abs: string): number {
  let bytes = fs.readFileSync(abs);
  if (abs.endsWith('.gz')) bytes = zlib.gunzipSync(bytes);
  if (bytes.length === 0) return 0;
  let n = 0;
  for (const b of bytes) if (b === 10) n++;
  return bytes[bytes.length - 1] === 10 ? n : n + 1;
}

describe('npm run certificate', () => {
  let lake: string;
  const ok = (script: string) => {
    const r = bash(lake, script);
    if (r.status !== 0) throw new Error(`${script} exited ${r.status}: ${r.stderr.slice(-2000)}`);
    return r.stdout;
  };
  const readCert = (rel = `${EXPORT}/_certificate.json`): Cert => JSON.parse(fs.readFileSync(path.join(lake, rel), 'utf8')) as Cert;

  beforeAll(() => {
    lake = emptyLake();
    ok(cliCommand('generate', ['--root', lake, '--from', '2026-02-27', '--to', '2026-03-03', '--events-per-day', '40', '--seed', '5']));
    ok(cliCommand('pipeline', ['daily', '--from', '2026-03-01', '--to', '2026-03-02']));
    ok(cliCommand('pipeline', ['monthly', '--month', MONTH, '--allow-partial']));
  });

  afterAll(() => fs.rmSync(lake, { recursive: true, force: true }));

  test('_certificate.json beside both manifests: every date of M and the lookback, the files read with their sizes and line counts, not complete', () => {
    for (const job of ['ace_unit_monthly_output', 'ace_unit_monthly_outcome_experience_output']) {
      const dir = `exports/${job}/billing_month=${MONTH}`;
      const manifest = JSON.parse(fs.readFileSync(path.join(lake, dir, '_manifest.json'), 'utf8'));
      expect(manifest.certificate).toEqual({ file: '_certificate.json', complete: false });
      expect(readCert(`${dir}/_certificate.json`).export).toMatchObject({ job, version: 1, run_id: manifest.run_id });
    }
    const cert = readCert();
    expect(cert.complete).toBe(false);
    expect(cert.blockers.join('\n')).toContain('2026-03-31');
    expect(cert.dates.map((d) => d.date)).toEqual(['2026-02-26', '2026-02-27', '2026-02-28', ...Array.from({ length: 31 }, (_, i) => `2026-03-${String(i + 1).padStart(2, '0')}`)]);
    expect(cert.dates.filter((d) => d.lookback).map((d) => d.partitions.map((p) => p.stream))).toEqual([['notification_attempted'], ['notification_attempted'], ['notification_attempted']]);
    const d1 = cert.dates.find((d) => d.date === '2026-03-01')!;
    expect(d1.window_closed).toBe(true);
    expect(d1.partitions.map((p) => p.stream)).toEqual(['notification_attempted', 'notification_delivered', 'experience_config']);
    for (const p of d1.partitions) {
      expect(p.state).toBe('current');
      expect(p.run_id).toMatch(/^\d{8}T\d{9}Z-[0-9a-f]{8}$/);
      if (p.stream !== 'experience_config') expect(p.files!.length).toBeGreaterThan(0);
      for (const f of p.files!) {
        const abs = path.join(lake, f.key);
        expect(f.size).toBe(fs.statSync(abs).size);
        expect(f.lines).toBe(lineCount(abs));
      }
      expect(p.counts!.lines_read).toBe(p.files!.reduce((a, f) => a + f.lines, 0));
    }
    // The listed files are exactly the window's files on disk.
    const onDisk = (stream: string, day: string) => (fs.existsSync(path.join(lake, 'raw', stream, day)) ? fs.readdirSync(path.join(lake, 'raw', stream, day), { recursive: true }).map(String).filter((f) => /\.[a-z]+$/.test(f)) : []);
    const attempted = d1.partitions[0].files!.map((f) => f.key);
    for (const f of onDisk('notification_attempted', '2026/03/02')) expect(attempted).toContain(`raw/notification_attempted/2026/03/02/${f}`);
    // A date never built is missing, with no files.
    expect(cert.dates.find((d) => d.date === '2026-03-20')!.partitions.every((p) => p.state === 'missing' && p.files === null)).toBe(true);
  });

  test('prints the certificate (text and json); --verify holds on an untouched landing zone', () => {
    const text = ok(cliCommand('certificate', ['--month', MONTH]));
    expect(text.split('\n')[0]).toBe(`Certificate of ${MONTH}: NOT COMPLETE`);
    expect(text).toMatch(/^2026-03-01\s+closed\s+notification_attempted\s+current\s+\d+/m);
    expect(JSON.parse(ok(cliCommand('certificate', ['--month', MONTH, '--format', 'json'])))).toEqual(readCert());
    const v = bash(lake, cliCommand('certificate', ['--month', MONTH, '--verify']));
    expect(v.stderr).not.toContain('error');
    expect(v.status).toBe(0);
    expect(v.stdout).toMatch(/^certificate of 2026-03 holds: \d+ raw files in \d+ windows unchanged/);
    // The container's entrypoint (the job CLI) runs it too, as the month-close state machine does.
    const viaJob = bash(lake, cliCommand('job', ['certificate', '--month', MONTH, '--verify']));
    expect([viaJob.status, viaJob.stdout]).toEqual([0, v.stdout]);
  });

  test('--verify exits 4 naming a file added, one changed and one removed; the restatement writes version 2 with a new certificate', () => {
    const cert = readCert();
    const files = cert.dates.find((d) => d.date === '2026-03-02')!.partitions.find((p) => p.stream === 'notification_delivered')!.files!.filter((f) => f.lines > 0);
    const [changed, removed] = [files[0].key, files[files.length - 1].key];
    expect(changed).not.toBe(removed);
    // A late pair for a new customer: a new unit, so the restatement changes a number.
    const added = 'raw/notification_attempted/2026/03/02/16/late-arrival.json';
    const addedDelivery = 'raw/notification_delivered/2026/03/02/16/late-arrival.json';
    fs.mkdirSync(path.dirname(path.join(lake, added)), { recursive: true });
    fs.mkdirSync(path.dirname(path.join(lake, addedDelivery)), { recursive: true });
    fs.writeFileSync(path.join(lake, added), `${JSON.stringify(attempt('late-1', '2026-03-02T15:00:00.000Z', { client_id: 'c01', customer_id: 'u-late' }))}\n`);
    fs.writeFileSync(path.join(lake, addedDelivery), `${JSON.stringify(delivery('late-1', '2026-03-02T15:01:00.000Z'))}\n`);
    const abs = path.join(lake, changed);
    const body = changed.endsWith('.gz') ? zlib.gunzipSync(fs.readFileSync(abs)) : fs.readFileSync(abs);
    const shorter = body.subarray(0, body.lastIndexOf(10, body.length - 2) + 1);
    fs.writeFileSync(abs, changed.endsWith('.gz') ? zlib.gzipSync(shorter) : shorter);
    fs.rmSync(path.join(lake, removed));

    const r = bash(lake, cliCommand('certificate', ['--month', MONTH, '--verify']));
    expect(r.status).toBe(4);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('certificate of 2026-03 does not hold: 4 raw file(s)');
    expect(r.stderr).toContain(`added ${added}`);
    expect(r.stderr).toContain(`added ${addedDelivery}`);
    expect(r.stderr).toContain(`changed ${changed} (size `);
    expect(r.stderr).toContain(`removed ${removed}`);
    expect(r.stdout.trim().split('\n').sort()).toEqual([`added\t${added}`, `added\t${addedDelivery}`, `changed\t${changed}`, `removed\t${removed}`].sort().map((s) => expect.stringContaining(s)));

    // The restatement: rebuild, export again; version 2 carries a new certificate that holds, version 1's is kept.
    ok(cliCommand('pipeline', ['daily', '--from', '2026-03-01', '--to', '2026-03-02', '--restart']));
    ok(cliCommand('pipeline', ['monthly', '--month', MONTH, '--allow-partial']));
    const v2 = readCert();
    expect(v2.export.version).toBe(2);
    expect(readCert(`${EXPORT}/versions/v1/_certificate.json`)).toEqual(cert);
    const keys = v2.dates.flatMap((d) => d.partitions.flatMap((p) => (p.files ?? []).map((f) => f.key)));
    expect(keys).toContain(added);
    expect(keys).not.toContain(removed);
    expect(bash(lake, cliCommand('certificate', ['--month', MONTH, '--verify'])).status).toBe(0);
  });

  test('a month never exported: exit 4 saying what to run', () => {
    const r = bash(lake, cliCommand('certificate', ['--month', '2026-04']));
    expect(r.status).toBe(4);
    expect(r.stderr).toContain('npm run pipeline -- monthly --month 2026-04');
  });
});
