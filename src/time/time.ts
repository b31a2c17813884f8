/**
 * Pure time rules of SPEC.md "Time": business dates and billing months in America/New_York
 * (DST-aware, half-open windows) and the arrival-hour folders a run reads or owns.
 * Nothing here reads the host time zone: offsets come from Intl with an explicit zone.
 */

export const BILLING_TZ = 'America/New_York';
const HOUR_MS = 3_600_000;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MONTH_RE = /^(\d{4})-(\d{2})$/;

/** A business date `YYYY-MM-DD` (a calendar date in America/New_York). */
export type BusinessDate = string & { readonly __brand: 'BusinessDate' };
/** A billing month `YYYY-MM`. */
export type BillingMonth = string & { readonly __brand: 'BillingMonth' };

export interface Window {
  startUtc: Date;
  endUtc: Date;
}

/** Parses `YYYY-MM-DD`, rejecting impossible dates (2026-02-30); returns null when invalid. */
export function parseBusinessDate(text: string): BusinessDate | null {
  const m = DATE_RE.exec(text);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const probe = new Date(Date.UTC(y, mo - 1, d));
  if (probe.getUTCFullYear() !== y || probe.getUTCMonth() !== mo - 1 || probe.getUTCDate() !== d) return null;
  if (y < 1970 || y > 9999) return null;
  return text as BusinessDate;
}

/** Parses `YYYY-MM`; returns null when invalid. */
export function parseBillingMonth(text: string): BillingMonth | null {
  const m = MONTH_RE.exec(text);
  if (!m) return null;
  const mo = Number(m[2]);
  if (mo < 1 || mo > 12 || Number(m[1]) < 1970) return null;
  return text as BillingMonth;
}

function ymd(date: BusinessDate): [number, number, number] {
  const [y, m, d] = date.split('-').map(Number);
  return [y, m, d];
}

function fmtDate(y: number, m: number, d: number): BusinessDate {
  const probe = new Date(Date.UTC(y, m - 1, d));
  return probe.toISOString().slice(0, 10) as BusinessDate;
}

/** The date `days` calendar days after (or before, when negative) `date`. */
export function addDays(date: BusinessDate, days: number): BusinessDate {
  const [y, m, d] = ymd(date);
  return fmtDate(y, m, d + days);
}

/** Inclusive list of dates from `from` to `to`; empty when to < from. */
export function datesBetween(from: BusinessDate, to: BusinessDate): BusinessDate[] {
  const out: BusinessDate[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(d);
  return out;
}

const offsetFormatter = new Intl.DateTimeFormat('en-US', {
  timeZone: BILLING_TZ,
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

/** Wall-clock parts of an instant in the billing zone. */
function zonedParts(instant: Date): { y: number; m: number; d: number; h: number; mi: number; s: number } {
  const parts = Object.fromEntries(offsetFormatter.formatToParts(instant).map((p) => [p.type, p.value]));
  return { y: +parts.year, m: +parts.month, d: +parts.day, h: +parts.hour, mi: +parts.minute, s: +parts.second };
}

/** Offset (ms) of the billing zone from UTC at an instant: local = utc + offset. */
export function offsetAt(instant: Date): number {
  const p = zonedParts(instant);
  const asUtc = Date.UTC(p.y, p.m - 1, p.d, p.h, p.mi, p.s);
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

/** The instant of local midnight starting `date` in the billing zone. */
export function startOfDate(date: BusinessDate): Date {
  const [y, m, d] = ymd(date);
  const naive = Date.UTC(y, m - 1, d);
  // Two passes settle the offset even when midnight sits next to a transition.
  let guess = naive - offsetAt(new Date(naive));
  guess = naive - offsetAt(new Date(guess));
  return new Date(guess);
}

/** [D 00:00 ET, D+1 00:00 ET) as UTC instants: 23 h on spring-forward, 25 h on fall-back. */
export function windowOf(date: BusinessDate): Window {
  return { startUtc: startOfDate(date), endUtc: startOfDate(addDays(date, 1)) };
}

/** The business date (ET calendar date) of an instant. */
export function businessDateOf(instant: Date): BusinessDate {
  const p = zonedParts(instant);
  return fmtDate(p.y, p.m, p.d);
}

export function monthOf(date: BusinessDate): BillingMonth {
  return date.slice(0, 7) as BillingMonth;
}

export function firstDayOf(month: BillingMonth): BusinessDate {
  return `${month}-01` as BusinessDate;
}

export function lastDayOf(month: BillingMonth): BusinessDate {
  const [y, m] = month.split('-').map(Number);
  return fmtDate(y, m + 1, 0);
}

export function previousMonth(month: BillingMonth): BillingMonth {
  const [y, m] = month.split('-').map(Number);
  return fmtDate(y, m - 1, 1).slice(0, 7) as BillingMonth;
}

/** [M-01 00:00 ET, next month 00:00 ET). */
export function monthWindow(month: BillingMonth): Window {
  return { startUtc: startOfDate(firstDayOf(month)), endUtc: windowOf(lastDayOf(month)).endUtc };
}

/** UTC hour folders (their start instants) in [from, to), both aligned down to the hour. */
export function hoursBetween(from: Date, to: Date): Date[] {
  const out: Date[] = [];
  const first = Math.ceil(from.getTime() / HOUR_MS) * HOUR_MS;
  for (let t = first; t < to.getTime(); t += HOUR_MS) out.push(new Date(t));
  return out;
}

/** The arrival-hour folders the run for `date` reads: start(D) − 1 h ≤ H < end(D) + lateness. */
export function readHours(date: BusinessDate, latenessHours: number): Date[] {
  const w = windowOf(date);
  return hoursBetween(new Date(w.startUtc.getTime() - HOUR_MS), new Date(w.endUtc.getTime() + latenessHours * HOUR_MS));
}

/** The arrival hours owned by `date`: start(D) ≤ H < end(D). */
export function ownedHours(date: BusinessDate): Date[] {
  const w = windowOf(date);
  return hoursBetween(w.startUtc, w.endUtc);
}

/** The date that owns arrival hour H (the D with start(D) ≤ H < end(D)). */
export function ownerOf(hour: Date): BusinessDate {
  return businessDateOf(hour);
}

/**
 * For a file in arrival hour H: events with a timestamp before this instant arrived after their own
 * date's window closed (H ≥ end(date) + lateness), so they are `too_late`. Equals start(etDate(H − lateness)).
 */
export function tooLateBefore(hour: Date, latenessHours: number): Date {
  return startOfDate(businessDateOf(new Date(hour.getTime() - latenessHours * HOUR_MS)));
}

/** The end instant of the date's arrival window (end(D) + lateness): after it, D's inputs are final. */
export function windowClosesAt(date: BusinessDate, latenessHours: number): Date {
  return new Date(windowOf(date).endUtc.getTime() + latenessHours * HOUR_MS);
}

/** Folder path `YYYY/MM/DD/HH` of an arrival hour. */
export function hourPath(hour: Date): string {
  const iso = hour.toISOString();
  return `${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}/${iso.slice(11, 13)}`;
}

/** ISO-8601 UTC with milliseconds and `Z`, as exports print instants. */
export function isoUtc(instant: Date): string {
  return instant.toISOString();
}
