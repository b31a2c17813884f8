/**
 * The default DuckDB memory limit follows the container (issue 16): half of the cgroup's memory limit
 * (v2 memory.max, v1 memory.limit_in_bytes), else half of the machine's memory. Fake cgroup trees.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cgroupMemoryLimit, defaultMemoryLimit } from '../../src/config/memoryLimit';
import { loadConfig } from '../../src/config/config';

const GiB = 2 ** 30;
let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ace-cgroup-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function put(rel: string, text: string): string {
  const p = path.join(dir, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
  return p;
}
const src = (membership: string, totalmem = 64 * GiB) => ({ procCgroup: put('proc/self/cgroup', membership), cgroupRoot: path.join(dir, 'cg'), totalmem });

test('cgroup v2: the process cgroup memory.max (a 4 GB Fargate task) gives 2048MB', () => {
  put('cg/ecs/task-1/memory.max', `${4 * GiB}\n`);
  const s = src('0::/ecs/task-1\n');
  expect(cgroupMemoryLimit(s)).toBe(4 * GiB);
  expect(defaultMemoryLimit(s)).toBe('2048MB');
});

test('cgroup v2 inside a namespace: memory.max at the mount root; 8 GB gives 4096MB', () => {
  put('cg/memory.max', `${8 * GiB}\n`);
  expect(defaultMemoryLimit(src('0::/\n'))).toBe('4096MB');
});

test('cgroup v2 "max" (no limit) falls back to the machine memory', () => {
  put('cg/memory.max', 'max\n');
  expect(cgroupMemoryLimit(src('0::/\n'))).toBeNull();
  expect(defaultMemoryLimit(src('0::/\n', 6 * GiB))).toBe('3072MB');
});

test('cgroup v1: memory.limit_in_bytes of the memory controller path; the unlimited sentinel is no limit', () => {
  put('cg/memory/job/memory.limit_in_bytes', `${3 * GiB}\n`);
  expect(defaultMemoryLimit(src('4:memory:/job\n3:cpu,cpuacct:/job\n0::/\n'))).toBe('1536MB');
  put('cg/memory/free/memory.limit_in_bytes', '9223372036854771712\n');
  expect(cgroupMemoryLimit(src('4:cpuacct,memory:/free\n'))).toBeNull();
});

test('the smaller of the cgroup limit and the machine memory; never below 256MB', () => {
  put('cg/memory.max', `${16 * GiB}\n`);
  expect(defaultMemoryLimit(src('0::/\n', 2 * GiB))).toBe('1024MB');
  put('cg/memory.max', `${256 * 2 ** 20}\n`);
  expect(defaultMemoryLimit(src('0::/\n'))).toBe('256MB');
});

test('no cgroup files at all: half of the machine memory', () => {
  expect(defaultMemoryLimit({ procCgroup: path.join(dir, 'none'), cgroupRoot: path.join(dir, 'none'), totalmem: 10 * GiB })).toBe('5120MB');
});

test('loadConfig: ACE_DUCKDB_MEMORY_LIMIT wins over the derived default', () => {
  expect(loadConfig({ ACE_DUCKDB_MEMORY_LIMIT: '1GB' }).duckdb.memoryLimit).toBe('1GB');
  expect(loadConfig({}).duckdb.memoryLimit).toBe(defaultMemoryLimit());
});
