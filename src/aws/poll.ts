/**
 * Waiting on asynchronous AWS work (Athena queries, Redshift Data API statements, Glue crawlers):
 * poll with exponential backoff up to a deadline. The clock is injectable so tests never sleep.
 */

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface PollOptions {
  /** First wait between two checks. */
  initialDelayMs: number;
  /** Longest wait between two checks. */
  maxDelayMs: number;
  /** Give up after this long (measured from the first check). */
  timeoutMs: number;
  clock?: Clock;
}

export type PollResult<T> = { done: true; value: T } | { done: false; state: string };

/**
 * Calls `check` until it reports done, waiting initialDelayMs, then twice as long each time (at most
 * maxDelayMs). On the deadline, throws what `onTimeout` builds from the last state seen.
 */
export async function pollUntil<T>(check: () => Promise<PollResult<T>>, options: PollOptions, onTimeout: (lastState: string, waitedMs: number) => Error): Promise<T> {
  const clock = options.clock ?? realClock;
  const started = clock.now();
  let delay = options.initialDelayMs;
  for (;;) {
    const result = await check();
    if (result.done) return result.value;
    const waited = clock.now() - started;
    if (waited >= options.timeoutMs) throw onTimeout(result.state, waited);
    await clock.sleep(Math.min(delay, Math.max(0, options.timeoutMs - waited)));
    delay = Math.min(options.maxDelayMs, delay * 2);
  }
}
