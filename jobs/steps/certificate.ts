/**
 * The month-close certificate an export writes (`_certificate.json` beside each monthly export's
 * manifest): for every date of M and its lookback, the raw files each ingest partition read (key, size,
 * line count, change marker), the run and counts behind it, whether the date's window had closed, and
 * `complete` (no close blocker, jobs/steps/freshness.ts). `npm run certificate` (src/ops/certificate.ts)
 * prints and verifies it.
 */
import { readPointer } from '../../src/lake/publish.js';
import { BillingMonth, addDays, datesBetween, firstDayOf, lastDayOf, windowClosesAt } from '../../src/time/time.js';
import type { Services } from '../../src/run/context.js';
import { MONTH_INPUTS, describeBlocker, monthCloseBlockers } from './freshness.js';
import type { IngestJob } from './ingest.js';

export const CERTIFICATE_FILE = '_certificate.json';

/** The ingest jobs whose partitions the month reads (freshness.ts, MONTH_INPUTS). */
const INGEST: Record<string, IngestJob> = Object.fromEntries(MONTH_INPUTS.map(({ job }) => [job.name, job]));
export const ingestOf = (name: string): IngestJob['ingest'] => {
  const job = INGEST[name];
  if (!job) throw new Error(`${name} is not an ingest job`);
  return job.ingest;
};

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
  const jobsOf = (date: string) => MONTH_INPUTS.filter((i) => date >= first || i.lookback).map((i) => i.job.name);
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

/** The certificate of an export version, as the text of `_certificate.json` (the export job stages it beside its manifest). */
export async function certificateJson(services: Services, month: BillingMonth, now: Date, exported: { job: string; version: number; run_id: string }): Promise<{ text: string; complete: boolean }> {
  const cert = { ...(await buildCertificate(services, month, now)), export: exported };
  return { text: `${JSON.stringify(cert, null, 2)}\n`, complete: cert.complete };
}

