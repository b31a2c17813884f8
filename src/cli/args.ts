/** Pure argv validation shared by the CLIs: strict patterns before any value is used. */
import { UsageError } from '../errors.js';
import { BillingMonth, BusinessDate, parseBillingMonth, parseBusinessDate } from '../time/time.js';

export function requireDate(value: string | undefined, flag: string, job?: string): BusinessDate {
  if (value === undefined) throw new UsageError(`${job ? `${job}: ` : ''}${flag} YYYY-MM-DD is required`);
  const d = parseBusinessDate(value);
  if (!d) throw new UsageError(`${job ? `${job}: ` : ''}${flag} ${JSON.stringify(value)} is not a valid date; use YYYY-MM-DD, e.g. 2026-03-08`);
  return d;
}

export function requireMonth(value: string | undefined, flag: string, job?: string): BillingMonth {
  if (value === undefined) throw new UsageError(`${job ? `${job}: ` : ''}${flag} YYYY-MM is required`);
  const m = parseBillingMonth(value);
  if (!m) throw new UsageError(`${job ? `${job}: ` : ''}${flag} ${JSON.stringify(value)} is not a valid month; use YYYY-MM, e.g. 2026-03`);
  return m;
}
