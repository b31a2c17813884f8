/**
 * Issue 13, point 13, the parts that need no container: what the Dockerfile and package.json promise, and
 * that the compiled output the image runs (`npm run build` plus the Dockerfile's asset copy) works from
 * dist/ with node alone. tests/image/run.ts (run by .ci/run) builds the image and runs jobs inside it.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from '@cdktf/hcl2json';

const ROOT = path.resolve(__dirname, '../..');
const dockerfile = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };

/** Instructions of the last stage (the runtime image), continuation lines joined. */
function lastStage(): string[] {
  const lines = dockerfile.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const from = lines.map((l, i) => (l.startsWith('FROM ') ? i : -1)).filter((i) => i >= 0).pop()!;
  return lines.slice(from);
}

describe('Dockerfile and dependencies', () => {
  test('the base image is Node 24, pinned by digest, and every stage starts from it', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:24-bookworm-slim@sha256:[0-9a-f]{64}$/m);
    const froms = dockerfile.match(/^FROM .*$/gm)!;
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const f of froms) expect(f).toMatch(/^FROM \$\{NODE_IMAGE\} AS \w+$/);
  });

  test('production dependencies hold no tsx, esbuild, typescript or zod; nothing imports zod', () => {
    for (const name of ['tsx', 'esbuild', 'typescript', 'zod']) expect(pkg.dependencies).not.toHaveProperty(name);
    expect(pkg.devDependencies).toHaveProperty('tsx');
    // What `npm ci --omit=dev` installs: the lockfile's packages not marked dev.
    const production = Object.entries(lock.packages).filter(([k, v]) => k !== '' && !v.dev).map(([k]) => k.replace(/^.*node_modules\//, ''));
    expect(production.filter((n) => /^(tsx|typescript|zod|esbuild|@esbuild\/.*)$/.test(n))).toEqual([]);
    const grep = spawnSync('grep', ['-rlE', `from ['"]zod['"]|require\\(['"]zod['"]\\)`, 'src', 'jobs', 'tests', 'bench'], { cwd: ROOT, encoding: 'utf8' });
    expect(grep.stdout).toBe('');
  });

  test('the runtime copies its files as root (no --chown), runs as node and uses node dist/…, never tsx', () => {
    const stage = lastStage();
    const copies = stage.filter((l) => l.startsWith('COPY '));
    expect(copies.length).toBeGreaterThanOrEqual(3);
    const allCopies = dockerfile.split('\n').filter((l) => l.startsWith('COPY '));
    for (const c of [...copies, ...allCopies]) expect(c).not.toContain('--chown');
    const users = stage.filter((l) => l.startsWith('USER '));
    expect(users).toEqual(['USER node']);
    // Nothing after USER node runs or copies: the files above stay root's.
    const userAt = stage.indexOf('USER node');
    expect(stage.slice(userAt).filter((l) => /^(COPY|RUN|ADD) /.test(l))).toEqual([]);
    expect(stage).toContain('ENTRYPOINT ["node", "dist/src/cli/job.js"]');
    expect(dockerfile).not.toMatch(/\btsx\b.*\.ts/);
  });

  test('every temporary file goes to the /scratch volume that the task definitions mount', async () => {
    const stage = lastStage();
    expect(stage).toContain('VOLUME ["/scratch"]');
    const env = Object.fromEntries(
      stage.filter((l) => l.startsWith('ENV ')).flatMap((l) => l.slice(4).trim().split(/\s+/)).map((kv) => kv.split('=') as [string, string]),
    );
    const jobs = (await parse('jobs.tf', fs.readFileSync(path.join(ROOT, 'infrastructure/modules/compute/jobs.tf'), 'utf8'))) as {
      locals: { scratch?: { path: string; environment: Record<string, string> } }[];
    };
    const scratch = jobs.locals.find((l) => l.scratch)!.scratch!;
    expect(scratch.path).toBe('/scratch');
    expect(Object.keys(scratch.environment).sort()).toEqual(['ACE_DUCKDB_TEMP_DIR', 'ACE_SCRATCH_DIR', 'TMPDIR']);
    for (const [k, v] of Object.entries(scratch.environment)) {
      expect(env[k]).toBe(v);
      expect(v === scratch.path || v.startsWith(`${scratch.path}/`)).toBe(true);
    }
  });
});

describe('the compiled output runs with node alone', () => {
  let work: string;
  const node = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, args, { cwd: work, encoding: 'utf8', env: { ...process.env, TZ: 'UTC', LOG_FORMAT: 'json', ...env }, maxBuffer: 64 * 1024 * 1024 });

  beforeAll(() => {
    // The image build's context (what .dockerignore lets through), built as the Dockerfile's build stage does.
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'ace-dist-'));
    for (const f of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'src', 'jobs']) fs.cpSync(path.join(ROOT, f), path.join(work, f), { recursive: true });
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(work, 'node_modules'));
    const build = dockerfile.match(/^RUN (npm run build[^]*?)\n\n/m)![1].replace(/\\\n\s*#[^\n]*\n/g, '\\\n');
    const r = spawnSync('sh', ['-c', build], { cwd: work, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`the Dockerfile's build step failed: ${r.stdout}\n${r.stderr}`);
    // From here on only dist/ and the dependencies: no src/, no tsconfig, as in the image.
    for (const f of ['src', 'jobs', 'tsconfig.json', 'tsconfig.build.json']) fs.rmSync(path.join(work, f), { recursive: true });
  });
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  test('node dist/src/cli/job.js --help lists the jobs; gc.js --help answers', () => {
    const job = node(['dist/src/cli/job.js', '--help']);
    expect(job.status).toBe(0);
    expect(job.stdout).toContain('ace_unit_monthly_outcome_experience_output');
    const gc = node(['dist/src/cli/gc.js', '--help']);
    expect(gc.status).toBe(0);
    expect(gc.stdout).toContain('--retention-hours');
  });

  test('a daily job runs from dist/ (its SQL files are there) and reads what it wrote', () => {
    const lake = path.join(work, 'lake');
    const gen = spawnSync(process.execPath, ['dist/src/cli/generate.js', '--root', lake, '--seed', '3', '--from', '2026-03-01', '--to', '2026-03-02', '--events-per-day', '30'], {
      cwd: work, encoding: 'utf8', env: { ...process.env, TZ: 'UTC' },
    });
    expect(gen.status).toBe(0);
    const env = { ACE_LAKE_ROOT: lake, ACE_SCRATCH_DIR: path.join(work, 'scratch') };
    const r = node(['dist/src/cli/job.js', 'notification_attempted_daily', '--date', '2026-03-01'], env);
    expect(r.stderr).not.toMatch(/ENOENT|Cannot find module/);
    expect(r.status).toBe(0);
    const result = JSON.parse(r.stdout.trim().split('\n').pop()!) as { status: string; rows: number };
    expect(result).toMatchObject({ status: 'succeeded' });
    expect(result.rows).toBeGreaterThan(0);
    const q = node(['dist/src/cli/query.js', '--format', 'json', "SELECT count(*)::INTEGER AS n FROM notification_attempted WHERE dt = '2026-03-01'"], env);
    expect(q.status).toBe(0);
    expect(q.stdout).toContain(`${result.rows}`);
  });
});
