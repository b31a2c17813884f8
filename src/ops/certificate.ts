/**
 * The month-close certificate (`_certificate.json` beside each monthly export's manifest, and
 * `npm run certificate`): for every date of M and its lookback, the raw files each ingest partition
 * read (key, size, line count, change marker), the run and counts behind it, whether the date's window
 * had closed, and `complete` (no close blocker, src/runtime/status.ts). `--verify` lists the landing
 * zone again and names every file added, changed or removed in those windows since.
 */
import { JOBS } from '../../jobs/index.js';
import { BadInputError, NotReadyError } from '../errors.js';
import { readJson } from '../lake/json.js';
import { readPointer } from '../lake/publish.js';
import { MONTHLY_JOBS } from '../graph/graph.js';
import { BillingMonth, BusinessDate, addDays, datesBetween, firstDayOf, lastDayOf, windowClosesAt } from '../time/time.js';
import type { Services } from '../runtime/context.js';
import { listRawFiles, RawFile } from '../runtime/ingest.js';
import { describeBlocker, monthCloseBlockers } from '../runtime/status.js';
import type { StreamSpec } from '../sql/ingest.js';
import type { TableDef } from '../rules/tables.js';

export const CERTIFICATE_FILE = '_certificate.json';

/** The ingest jobs whose partitions the month reads: attempts over the lookback too, the others over M. */
const INGEST_JOBS = ['notification_attempted_daily', 'notification_delivered_daily', 'outcome_experience_lookup_daily'] as const;
type IngestJobName = (typeof INGEST_JOBS)[number];
type IngestDecl = { spec: StreamSpec; table: TableDef; hours: (d: BusinessDate, lateness: number) => { read: Date[]; owned: Date[] } };
const ingestOf = (name: IngestJobName) => (JOBS[name] as unknown as { ingest: IngestDecl }).ingest;

export interface CertifiedFile {
  key: string;
  size: number;
  /** Physical lines read (blank ones included). */
  lines: number;
  /** The landing zone's change marker: the ETag on S3, the mtime (ms) locally. */
  version: string;
}

export interface CertifiedPartition {
  job: string;
  stream: string;
  /** current, stale (its window's files changed since it was built) or missing (never built). */
  state: 'current' | 'stale' | 'missing';
  run_id: string | null;
  counts: { lines_read: number; kept: number; rejected: number; duplicates: number; too_late: number } | null;
  /** The raw files of its window; null when the partition was built before files were recorded. */
  files: CertifiedFile[] | null;
}

export interface CertifiedDate {
  date: string;
  /** A lookback date (before M-01), read only for attempts. */
  lookback: boolean;
  window_closes_at: string;
  window_closed: boolean;
  partitions: CertifiedPartition[];
}

export interface Certificate {
  billing_month: string;
  complete: boolean;
  /** Why it is not complete (the month close's blockers), one line each. */
  blockers: string[];
  generated_at: string;
  lateness_hours: number;
  attribution_days: number;
  /** The export this certificate belongs to (set by the export job). */
  export?: { job: string; version: number; run_id: string };
  dates: CertifiedDate[];
}

/** Builds the certificate of `month` at `now` from the current ingest partitions and the close blockers. */
export async function buildCertificate(services: Services, month: BillingMonth, now: Date): Promise<Certificate> {
  const { latenessHours, attributionDays } = services.config;
  const first = firstDayOf(month);
  const blockers = await monthCloseBlockers(services, month, now);
  const stateOf = (job: string, date: string): CertifiedPartition['state'] => {
    const b = blockers.find((x) => x.job === job && x.periods.includes(date) && (x.state === 'stale' || x.state === 'missing'));
    return b ? (b.state as 'stale' | 'missing') : 'current';
  };
  const dates: CertifiedDate[] = [];
  const all = datesBetween(addDays(first, -attributionDays), lastDayOf(month));
  const jobsOf = (date: string) => INGEST_JOBS.filter((job) => date >= first || job === 'notification_attempted_daily');
  // The pointers are small objects: read them side by side (on S3 each is a round trip).
  const pointers = new Map(
    await Promise.all(all.flatMap((date) => jobsOf(date).map(async (job) => [`${job} ${date}`, await readPointer(services.store, ingestOf(job).table, date)] as const))),
  );
  for (const date of all) {
    const lookback = date < first;
    const partitions: CertifiedPartition[] = [];
    for (const job of jobsOf(date)) {
      const { spec } = ingestOf(job);
      const pointer = pointers.get(`${job} ${date}`) ?? null;
      const c = (pointer?.meta.counts ?? null) as Record<string, number> | null;
      const files = (pointer?.meta.raw_files ?? null) as CertifiedFile[] | null;
      partitions.push({
        job,
        stream: spec.stream,
        state: pointer ? stateOf(job, date) : 'missing',
        run_id: pointer?.runId ?? null,
        counts: c ? { lines_read: c.lines_read ?? 0, kept: c.kept ?? 0, rejected: c.rejected ?? 0, duplicates: c.duplicates ?? 0, too_late: c.too_late ?? 0 } : null,
        files,
      });
    }
    const closes = windowClosesAt(date, latenessHours);
    dates.push({ date, lookback, window_closes_at: closes.toISOString(), window_closed: now >= closes, partitions });
  }
  const complete = blockers.length === 0 && dates.every((d) => d.window_closed);
  return { billing_month: month, complete, blockers: blockers.map(describeBlocker), generated_at: now.toISOString(), lateness_hours: latenessHours, attribution_days: attributionDays, dates };
}

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
  const hoursOf = (job: string, date: string) => ingestOf(job as IngestJobName).hours(date as BusinessDate, cert.lateness_hours).read;
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

/** The certificate of an export version, as the text of `_certificate.json` (the export job stages it beside its manifest). */
export async function certificateJson(services: Services, month: BillingMonth, now: Date, exported: { job: string; version: number; run_id: string }): Promise<{ text: string; complete: boolean }> {
  const cert = { ...(await buildCertificate(services, month, now)), export: exported };
  return { text: `${JSON.stringify(cert, null, 2)}\n`, complete: cert.complete };
}
