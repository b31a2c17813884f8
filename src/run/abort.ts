/**
 * Stopping on SIGTERM (ECS stops a task with SIGTERM, then SIGKILL after its stopTimeout). Nothing may
 * be published after the signal. The CLI's handler (src/cli/main.ts) records the signal here; outside
 * the publish phase it exits at once, since nothing of this run is visible yet. Inside it (see
 * `publishing`), the runtime stops at its next `throwIfShuttingDown()`, before the next partition.
 */
import { AceError } from '../errors.js';

let signal: NodeJS.Signals | null = null;
let publishDepth = 0;
let publishedPartitions = 0;

/** The run was stopped by a signal; `published` partitions had been made current before it. */
export class ShutdownError extends AceError {
  constructor(
    readonly signal: NodeJS.Signals,
    readonly published: number,
  ) {
    super('internal', shutdownMessage(signal, published));
  }
}

export function shutdownMessage(sig: NodeJS.Signals, published: number): string {
  return published === 0
    ? `stopped by ${sig}, nothing published`
    : `stopped by ${sig} after ${published} partition(s) had been published (they stay current); nothing more published, rerun to complete`;
}

/** True once SIGTERM (or SIGINT) was received. */
export function shutdownRequested(): boolean {
  return signal !== null;
}

/** Throws a ShutdownError when a stop was requested: call it before each step that makes data visible. */
export function throwIfShuttingDown(): void {
  if (signal) throw new ShutdownError(signal, publishedPartitions);
}

/** Records the signal (the CLI handler calls this). */
export function requestShutdown(sig: NodeJS.Signals): void {
  signal ??= sig;
}

/** True while a publish phase runs: the handler then lets it stop at its next check instead of exiting. */
export function isPublishing(): boolean {
  return publishDepth > 0;
}

/** Partitions made current by this process so far (counted with `notePublished`). */
export function publishedCount(): number {
  return publishedPartitions;
}

/** Counts one partition made current, so a stop message can say what is already visible. */
export function notePublished(): void {
  publishedPartitions++;
}

/** Runs a publish phase: a SIGTERM inside it is handled by `throwIfShuttingDown()` between partitions. */
export async function publishing<T>(fn: () => Promise<T>): Promise<T> {
  throwIfShuttingDown();
  publishDepth++;
  try {
    return await fn();
  } finally {
    publishDepth--;
  }
}

/** For tests only: forget any signal and counts. */
export function resetShutdownState(): void {
  signal = null;
  publishDepth = 0;
  publishedPartitions = 0;
}
