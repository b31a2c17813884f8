/** A job's period (a tagged union, never a bag of optional fields) and how a task takes part in it. */
import type { BillingMonth, BusinessDate } from '../time/time.js';

/** A job's period: one business date or one billing month. */
export type Period = { kind: 'date'; date: BusinessDate } | { kind: 'month'; month: BillingMonth };

export function periodValue(period: Period): string {
  switch (period.kind) {
    case 'date':
      return period.date;
    case 'month':
      return period.month;
    default: {
      const never: never = period;
      throw new Error(`unknown period ${JSON.stringify(never)}`);
    }
  }
}

/**
 * How one task takes part in a period: the whole of it; routing its raw lines into N shards (`--route N`,
 * the ingest jobs: src/run/route.ts; the date's window, or with `hour` that one arrival hour); one
 * shard; or the merge of N shards.
 */
export type ShardMode = { kind: 'single' } | { kind: 'route'; n: number; hour?: Date } | { kind: 'shard'; k: number; n: number } | { kind: 'merge'; n: number };
