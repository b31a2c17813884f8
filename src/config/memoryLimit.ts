/**
 * The default DuckDB memory limit follows the memory the process may use: the container's cgroup limit
 * (cgroup v2 `memory.max`, which on Fargate is the task size; cgroup v1 `memory.limit_in_bytes`), or the
 * machine's memory when there is no limit. A job's peak RSS is the DuckDB limit plus what is allocated
 * outside its buffer pool (Parquet encoding buffers, Node, the allocator's caches): 0.3-0.7 GB at 10M
 * events a day (docs/performance.md, "Memory"), so DuckDB gets half and the rest is headroom.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Share of the container's (or machine's) memory given to DuckDB's buffer pool. */
export const MEMORY_FRACTION = 0.5;
/** Never below this, however small the container. */
export const MIN_MEMORY_LIMIT_MB = 256;

export interface MemorySources {
  /** The cgroup membership file (default /proc/self/cgroup). */
  procCgroup?: string;
  /** Where the cgroup file systems are mounted (default /sys/fs/cgroup). */
  cgroupRoot?: string;
  /** The machine's memory in bytes (default os.totalmem()). */
  totalmem?: number;
}

/** A limit file's value in bytes, or null for "no limit" (`max`, or v1's near-2^63 sentinel) or no file. */
function readLimit(file: string): number | null {
  let raw: string;
  try {
    raw = fs.readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
  if (!/^\d+$/.test(raw)) return null;
  const n = Number(raw);
  return n > 0 && n < 2 ** 60 ? n : null;
}

/**
 * The memory limit of the cgroup this process is in, in bytes, or null when none is set. Tries the
 * process's own cgroup path first (from /proc/self/cgroup), then the mount's root (inside a container
 * with a cgroup namespace the two are the same folder).
 */
export function cgroupMemoryLimit(src: MemorySources = {}): number | null {
  const root = src.cgroupRoot ?? '/sys/fs/cgroup';
  let membership = '';
  try {
    membership = fs.readFileSync(src.procCgroup ?? '/proc/self/cgroup', 'utf8');
  } catch {
    /* no /proc: only the mount's root files can tell */
  }
  const candidates: string[] = [];
  for (const line of membership.split('\n')) {
    const [, controllers, rel] = /^\d+:([^:]*):(.*)$/.exec(line.trim()) ?? [];
    if (rel === undefined) continue;
    if (controllers === '') candidates.push(path.join(root, rel, 'memory.max'));
    else if (controllers.split(',').includes('memory')) candidates.push(path.join(root, 'memory', rel, 'memory.limit_in_bytes'));
  }
  candidates.push(path.join(root, 'memory.max'), path.join(root, 'memory', 'memory.limit_in_bytes'));
  for (const file of candidates) {
    const n = readLimit(file);
    if (n !== null) return n;
  }
  return null;
}

/** Default ACE_DUCKDB_MEMORY_LIMIT: MEMORY_FRACTION of min(cgroup limit, machine memory), in MB. */
export function defaultMemoryLimit(src: MemorySources = {}): string {
  const total = Math.min(cgroupMemoryLimit(src) ?? Infinity, src.totalmem ?? os.totalmem());
  return `${Math.max(MIN_MEMORY_LIMIT_MB, Math.floor((total * MEMORY_FRACTION) / (1024 * 1024)))}MB`;
}
