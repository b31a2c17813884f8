/**
 * The month-close certificate (`_certificate.json` beside each monthly export's manifest, and
 * `npm run certificate`): for every date of M and its lookback, the raw files each ingest partition
 * read (key, size, line count, change marker), the run and counts behind it, whether the date's window
 * had closed, and `complete` (built by the export, jobs/steps/certificate.ts). `--verify` lists the
 * landing zone again and names every file added, changed or removed in those windows since.
 */
import { BadInputError, NotReadyError } from '../errors.js';
import { readJson } from '../lake/json.js';
import { MONTHLY_JOBS } from '../graph/graph.js';
import { BillingMonth, BusinessDate } from '../time/time.js';
import type { Services } from '../run/context.js';
import { listRawFiles, RawFile } from '../run/raw.js';
import { CERTIFICATE_FILE, Certificate, CertifiedFile, ingestOf } from '../../jobs/steps/certificate.js';

export type { Certificate };

/** The certificate beside the current version of the month's first monthly export. */
export async function readCertificate(services: Services, month: BillingMonth): Promise<Certificate> {
  const key = `${MONTHLY_JOBS[0]}/billing_month=${month}/${CERTIFICATE_FILE}`;
  const cert = await readJson<Certificate>(services.exportStore, key);
  if (!cert) {
    throw new NotReadyError(`no certificate for ${month} at ${services.exportStore.describe(key)}: the month was not exported since certificates exist; run \`npm run pipeline -- monthly --month ${month}\` first`, { month });
  }
  return cert;
}

export interface FileChange {
  change: 'added' | 'changed' | 'removed';
  key: string;
  /** e.g. `size 120 → 180` for a change. */
  detail: string;
}

/** Pure: the files of one window as recorded against the files listed now (key order). */
export function diffFiles(recorded: CertifiedFile[], now: { key: string; size: number; version: string }[]): FileChange[] {
  const before = new Map(recorded.map((f) => [f.key, f]));
  const after = new Map(now.map((f) => [f.key, f]));
  const out: FileChange[] = [];
  for (const f of now) {
    const r = before.get(f.key);
    if (!r) out.push({ change: 'added', key: f.key, detail: `${f.size} bytes` });
    else if (r.size !== f.size) out.push({ change: 'changed', key: f.key, detail: `size ${r.size} → ${f.size}` });
    else if (r.version !== f.version) out.push({ change: 'changed', key: f.key, detail: `rewritten (${r.version} → ${f.version}), same size` });
  }
  for (const r of recorded) if (!after.has(r.key)) out.push({ change: 'removed', key: r.key, detail: `${r.size} bytes` });
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

export interface Verification {
  /** Windows checked (one per ingest partition with recorded files). */
  windows: number;
  files: number;
  changes: FileChange[];
  /** Partitions whose files were not recorded (built before certificates), so not verifiable. */
  unrecorded: string[];
}

/** Lists the landing zone again for every window the certificate names and compares it file by file. */
export async function verifyCertificate(services: Services, cert: Certificate): Promise<Verification> {
  const seen = new Map<string, FileChange>();
  const unrecorded: string[] = [];
  let windows = 0;
  const keys = new Set<string>();
  // Windows overlap (each hour is read by several dates): list every (stream, hour) folder once.
  const wanted = new Map<string, Map<number, Date>>();
  const hoursOf = (job: string, date: string) => ingestOf(job).hours(date as BusinessDate, cert.lateness_hours).read;
  for (const d of cert.dates) {
    for (const p of d.partitions) {
      if (p.files === null) continue;
      const m = wanted.get(p.stream) ?? new Map<number, Date>();
      for (const h of hoursOf(p.job, d.date)) m.set(h.getTime(), h);
      wanted.set(p.stream, m);
    }
  }
  const byHour = new Map<string, RawFile[]>();
  for (const [stream, hours] of wanted) {
    const sorted = [...hours.values()].sort((a, b) => a.getTime() - b.getTime());
    for (const f of await listRawFiles(services.raw, stream, sorted, [])) {
      const k = `${stream} ${f.arrivalHour.getTime()}`;
      byHour.set(k, [...(byHour.get(k) ?? []), f]);
    }
  }
  for (const d of cert.dates) {
    for (const p of d.partitions) {
      if (p.state === 'missing' && p.files === null) continue;
      if (p.files === null) {
        unrecorded.push(`${p.job} ${d.date}`);
        continue;
      }
      const listed = hoursOf(p.job, d.date).flatMap((h) => byHour.get(`${p.stream} ${h.getTime()}`) ?? []);
      windows++;
      for (const f of listed) keys.add(f.sourceFile);
      for (const c of diffFiles(p.files, listed.map((f) => ({ key: f.sourceFile, size: f.size, version: f.version })))) seen.set(`${c.change} ${c.key}`, c);
    }
  }
  const changes = [...seen.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { windows, files: keys.size, changes, unrecorded };
}

/** Throws (exit 4) naming every change when the verification found one. */
export function assertVerified(cert: Certificate, v: Verification): void {
  if (v.changes.length === 0 && v.unrecorded.length === 0) return;
  const parts: string[] = [];
  if (v.changes.length > 0) parts.push(`${v.changes.length} raw file(s) of its windows changed since the certificate of ${cert.generated_at}: ${v.changes.map((c) => `${c.change} ${c.key} (${c.detail})`).join('; ')}`);
  if (v.unrecorded.length > 0) parts.push(`the files of ${v.unrecorded.join(', ')} were not recorded (built before certificates); rerun those jobs with --force`);
  throw new BadInputError(
    `certificate of ${cert.billing_month} does not hold: ${parts.join('; ')}. The month's numbers may change: run \`npm run status -- --month ${cert.billing_month}\`, restate the month (\`npm run pipeline -- restate --month ${cert.billing_month}\`) and export it again`,
    { month: cert.billing_month },
  );
}

/** The certificate for a person: one line per date and stream. */
export function certificateText(cert: Certificate): string {
  const lines: string[] = [];
  lines.push(`Certificate of ${cert.billing_month}: ${cert.complete ? 'COMPLETE' : 'NOT COMPLETE'}`);
  if (cert.export) lines.push(`  export ${cert.export.job} version ${cert.export.version} (run ${cert.export.run_id}), generated ${cert.generated_at}`);
  else lines.push(`  generated ${cert.generated_at}`);
  lines.push(`  lateness ${cert.lateness_hours} h, attribution lookback ${cert.attribution_days} days`);
  for (const b of cert.blockers) lines.push(`  blocker: ${b}`);
  lines.push('');
  const header = ['date', 'window', 'stream', 'state', 'files', 'lines', 'kept', 'rejected', 'duplicates', 'too_late', 'run_id'];
  const rows: string[][] = [header];
  for (const d of cert.dates) {
    for (const p of d.partitions) {
      const c = p.counts;
      rows.push([
        d.date + (d.lookback ? '*' : ''),
        d.window_closed ? 'closed' : 'open',
        p.stream,
        p.state,
        p.files === null ? '?' : String(p.files.length),
        c ? String(c.lines_read) : '',
        c ? String(c.kept) : '',
        c ? String(c.rejected) : '',
        c ? String(c.duplicates) : '',
        c ? String(c.too_late) : '',
        p.run_id ?? '',
      ]);
    }
  }
  const widths = header.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) lines.push(r.map((v, i) => (i === r.length - 1 ? v : v.padEnd(widths[i]))).join('  ').trimEnd());
  lines.push('');
  lines.push('* lookback date (attempts only). Files per partition: `npm run certificate -- --month M --format json`.');
  return `${lines.join('\n')}\n`;
}

