/**
 * Named fault points for the reliability tests: when ACE_FAULT_POINT names one, the process kills
 * itself there with SIGKILL (no cleanup, exactly like an OOM kill or a lost container). Unset in
 * production; the names are listed so tests and docs/reliability.md can refer to them.
 */
export const FAULT_POINTS = ['after-data-before-pointer', 'after-first-partition'] as const;
export type FaultPoint = (typeof FAULT_POINTS)[number];

export function faultPoint(name: FaultPoint): void {
  if (process.env.ACE_FAULT_POINT === name) process.kill(process.pid, 'SIGKILL');
}
