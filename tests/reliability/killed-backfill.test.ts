/**
 * Issue 13 point 16: a backfill killed (SIGKILL, the whole process group) at random moments, not only at
 * the named fault points, and resumed each time with the same command, ends with the same month as an
 * uninterrupted run: every table's rows (without run ids) and both export CSVs. The kill moments come
 * from a seeded generator (ACE_KILL_SEED to replay one); nothing is asserted about when a kill lands or
 * how far a run got, only that every run either completes or dies by our kill, and the final state.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/config';
import { silentLogger } from '../../src/log';
import { openServices } from '../../src/run/services';
import { TABLES } from '../../src/rules/tables';
import { Lake, query } from '../helpers/lake';
import { mulberry32 } from '../../src/gen/prng';
import { REPO, TSX, cliEnv } from './helpers';


const FROM = '2026-03-01';
const TO = '2026-03-04';
const MONTH = '2026-03';
const DATES = 4;
const KILLS = 10;
const SEED = Number(process.env.ACE_KILL_SEED ?? 1613);

const envFor = (root: string): NodeJS.ProcessEnv => cliEnv(root, { ACE_MAX_REJECT_RATE: '0.05' });

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  killed: boolean;
}

/** `npm run pipeline -- args` (through tsx) in its own process group; killed with the whole group after `killAfterMs`. */
function pipeline(root: string, args: string[], killAfterMs?: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const child: ChildProcess = spawn(TSX, [path.join(REPO, 'src/cli/pipeline.ts'), ...args], { cwd: REPO, env: envFor(root), detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let killed = false;
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = killAfterMs === undefined ? null : setTimeout(() => {
      killed = true;
      try {
        process.kill(-child.pid!, 'SIGKILL'); // tsx runs the script in a child process: kill the group
      } catch {
        // already gone
      }
    }, killAfterMs);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stderr, killed: killed && code !== 0 });
    });
  });
}

const ok = (o: Outcome, what: string) => {
  if (o.code !== 0) throw new Error(`${what} exited ${o.code ?? o.signal}: ${o.stderr.split('\n').filter((l) => l.startsWith('error')).join(' | ') || o.stderr.slice(-2000)}`);
};

async function openLake(root: string): Promise<Lake> {
  const config = loadConfig({ ACE_LAKE_ROOT: root, ACE_DUCKDB_MEMORY_LIMIT: '512MB', ACE_DUCKDB_TEMP_DIR: path.join(root, '_duckdb_tmp'), LOG_FORMAT: 'json' });
  return { root, services: await openServices(config, silentLogger()) };
}

/** Every table the daily graph writes, as rows without run ids, in a stable order. */
async function monthTables(root: string): Promise<Record<string, unknown[]>> {
  const lake = await openLake(root);
  try {
    const out: Record<string, unknown[]> = {};
    for (const t of Object.values(TABLES)) {
      if (t.name === 'runs' || !fs.existsSync(path.join(root, 'tables', t.name))) continue;
      const cols = t.columns.map((c) => c.name).filter((c) => c !== 'run_id');
      out[t.name] = await query(lake, `SELECT ${cols.map((c) => `"${c}"`).join(', ')} FROM ${t.name} ORDER BY ALL`);
    }
    return out;
  } finally {
    lake.services.engine.close();
  }
}

function exportCsvs(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.csv')) out[path.relative(root, p)] = fs.readFileSync(p, 'utf8');
    }
  };
  walk(path.join(root, 'exports'));
  return out;
}

let work: string;
let template: string;
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'ace-killed-backfill-'));
  template = path.join(work, 'template');
  const g = spawnSync(TSX, [path.join(REPO, 'src/cli/generate.ts'), '--root', template, '--seed', '13', '--from', '2026-02-25', '--to', '2026-03-06', '--events-per-day', '250'], { cwd: REPO, env: envFor(template), encoding: 'utf8' });
  if (g.status !== 0) throw new Error(`generate failed: ${g.stderr}`);
});
afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

const copyOf = (name: string) => {
  const root = path.join(work, name);
  fs.cpSync(template, root, { recursive: true });
  return root;
};

test(`a backfill SIGKILLed at ${KILLS} random moments and resumed with the same command each time ends with the same month as an uninterrupted run`, async () => {
  const args = ['daily', '--from', FROM, '--to', TO];
  const reference = copyOf('reference');
  const started = Date.now();
  ok(await pipeline(reference, args), 'the uninterrupted backfill');
  // Kill moments are drawn over the length of a whole run, measured here (only to spread them, never asserted).
  const span = Date.now() - started;
  ok(await pipeline(reference, ['monthly', '--month', MONTH, '--allow-partial']), 'the reference monthly run');

  const killedLake = copyOf('killed');
  const next = mulberry32(SEED); // seeded, so a failing sequence of kill moments can be replayed
  const history: string[] = [];
  let completed = false;
  // Spread each kill over the time the remaining dates should take, so that most kills land before the end.
  const progress = path.join(killedLake, `_state/backfill/${FROM}_${TO}.json`);
  const remaining = () => {
    const done = fs.existsSync(progress) ? (JSON.parse(fs.readFileSync(progress, 'utf8')) as { completed: string[] }).completed.length : 0;
    return Math.max(1, DATES - done);
  };
  for (let i = 0; i < KILLS && !completed; i++) {
    const delay = Math.round(next() * span * (remaining() / DATES));
    const o = await pipeline(killedLake, args, delay);
    history.push(`${delay} ms: ${o.killed ? 'killed' : `exit ${o.code}`}`);
    if (o.killed) continue;
    // A run that was not killed must complete: failing on what an earlier kill left is the defect.
    ok(o, `run ${i + 1} after kills at [${history.join(', ')}] (ACE_KILL_SEED=${SEED})`);
    completed = true;
  }
  ok(await pipeline(killedLake, args), `the resumed backfill after kills at [${history.join(', ')}] (ACE_KILL_SEED=${SEED})`);
  ok(await pipeline(killedLake, ['monthly', '--month', MONTH, '--allow-partial']), 'the monthly run after the killed backfill');

  if (process.env.ACE_KILL_VERBOSE) process.stderr.write(`kills (seed ${SEED}, span ${span} ms): ${history.join(', ')}\n`);

  const expected = await monthTables(reference);
  expect(expected.ace_unit_audit.length).toBeGreaterThan(0);
  expect(expected.notification_attempted.length).toBeGreaterThan(0);
  expect(await monthTables(killedLake)).toEqual(expected);
  const csvs = exportCsvs(killedLake);
  expect(Object.keys(csvs).length).toBe(2);
  expect(csvs).toEqual(exportCsvs(reference));
});

test('an unreadable backfill progress record is ignored with a warning naming it; the backfill completes and rewrites it', async () => {
  const root = copyOf('progress');
  const key = path.join(root, `_state/backfill/${FROM}_${FROM}.json`);
  fs.mkdirSync(path.dirname(key), { recursive: true });
  fs.writeFileSync(key, '{"completed":["2026-03');
  const o = await pipeline(root, ['daily', '--from', FROM, '--to', FROM]);
  ok(o, 'the backfill');
  expect(o.stderr).toContain(`cannot read ${key}: it is not valid JSON`);
  expect(o.stderr).toContain('treated as absent (stale)');
  expect(JSON.parse(fs.readFileSync(key, 'utf8'))).toEqual({ completed: [FROM] });
});
