/**
 * The job image, built and run (issue 13, point 13). Run by .ci/run as `npx tsx tests/image/run.ts`
 * (not by jest: it needs the Debian mirror and the npm registry, and takes minutes).
 *
 * 1. The base: .ci/image-base builds `ace-node-base:24` (Debian bookworm + Node 24 from the npm registry)
 *    once and keeps it; the public node image cannot be pulled here.
 * 2. The Dockerfile, built with podman (runc) and `--build-arg NODE_IMAGE=<base>`.
 * 3. The image's own guarantees: it runs as `node`, its code and dependencies belong to root and cannot
 *    be rewritten, the root filesystem can be read-only, no tsx, esbuild or typescript is installed.
 * 4. A day and a month inside it, each job one container with `--read-only` (no tmpfs anywhere), a fresh
 *    volume at /scratch and the image's non-root user, against fauxqs (an S3-API server on the host's
 *    loopback, reached with --network host): the raw files of `npm run generate` uploaded to the bucket,
 *    notification_attempted_daily, notification_delivered_daily, dim_customer_daily (a file warehouse
 *    mounted read-only), ace_unit_calc_daily for the 1st, then ace_unit_monthly_output --allow-partial.
 *    Each result line must say `succeeded`, the export and its manifest must be in the bucket, and the
 *    CSV must equal the one the same jobs write on the host (tsx, a local lake).
 *
 * Skips (exit 0, one visible line) only where podman cannot run (not installed, not root, `podman info`
 * fails); once podman runs, any failure to build or run the image fails the test.
 */
import { spawnSync, SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Fauxqs, startFauxqs } from '../helpers/fauxqs';

const ROOT = path.resolve(__dirname, '../..');
const PODMAN = ['--runtime', 'runc', '--cgroup-manager', 'cgroupfs'];
const ULIMITS = ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];
const BASE = process.env.ACE_IMAGE_BASE || 'ace-node-base:24';
const IMAGE = 'localhost/ace-unit:image-test';
const BUCKET = 'ace-image-test';
const MONTH = '2026-03';
const DATE = '2026-03-01';
const EXPORT_CSV = `exports/ace_unit_monthly_output/billing_month=${MONTH}/ace_units_${MONTH}.csv`;
const EXPORT_MANIFEST = `exports/ace_unit_monthly_output/billing_month=${MONTH}/_manifest.json`;
/** The chain that makes one month exportable from its first day (calc needs both ingests of each date). */
const JOBS: string[][] = [
  ['notification_attempted_daily', '--date', DATE],
  ['notification_delivered_daily', '--date', DATE],
  ['dim_customer_daily', '--date', DATE],
  ['ace_unit_calc_daily', '--date', DATE],
  ['ace_unit_monthly_output', '--month', MONTH, '--allow-partial'],
];

function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; inherit?: boolean } = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, {
    cwd: ROOT,
    encoding: 'utf8',
    env: opts.env ?? process.env,
    maxBuffer: 256 * 1024 * 1024,
    stdio: opts.inherit ? ['ignore', 'inherit', 'inherit'] : 'pipe',
  });
}
const podman = (args: string[], inherit = false) => run('podman', [...PODMAN, ...args], { inherit });

function must(r: SpawnSyncReturns<string>, what: string): string {
  if (r.error || r.status !== 0) {
    const tail = `${r.stderr ?? ''}`.trim().split('\n').slice(-20).join('\n');
    throw new Error(`${what} failed (exit ${r.status ?? r.error?.message}):\n${tail}`);
  }
  return r.stdout ?? '';
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`image test: ${what}`);
  process.stdout.write(`  ok  ${what}\n`);
}

/** Why podman cannot run containers here, or null when it can. */
function podmanUnavailable(): string | null {
  for (const [bin, args] of [['podman', ['--version']], ['runc', ['--version']]] as const) {
    const r = run(bin, [...args]);
    if (r.error || r.status !== 0) return `${bin} is not installed (apt-get install podman runc debootstrap)`;
  }
  if (process.getuid?.() !== 0) return 'not root: the base image needs debootstrap and chroot, and the test runs rootful podman';
  const info = podman(['info', '--format', '{{.Host.OCIRuntime.Name}}']);
  if (info.status !== 0) return `podman info fails: ${info.stderr.trim().split('\n').pop()}`;
  const hasBase = podman(['image', 'exists', BASE]).status === 0;
  if (!hasBase && run('debootstrap', ['--version']).error) return `the base ${BASE} is absent and debootstrap is not installed`;
  return null;
}

function seconds(since: number): number {
  return Math.round((Date.now() - since) / 100) / 10;
}

/** Runs one command in a fresh container of the image: read-only root, a new volume at /scratch. */
function inContainer(args: string[], opts: { env?: Record<string, string>; readOnly?: boolean; mounts?: string[]; entrypoint?: string }): SpawnSyncReturns<string> {
  const volume = `ace-image-test-scratch-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  try {
    return podman([
      'run', '--rm', ...ULIMITS, '--network', 'host',
      ...(opts.readOnly === false ? [] : ['--read-only', '--read-only-tmpfs=false']),
      '-v', `${volume}:/scratch`,
      ...(opts.mounts ?? []).flatMap((m) => ['-v', m]),
      ...Object.entries(opts.env ?? {}).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
      ...(opts.entrypoint ? ['--entrypoint', opts.entrypoint] : []),
      IMAGE, ...args,
    ]);
  } finally {
    podman(['volume', 'rm', '--force', volume]);
  }
}

/** The last stdout line of a job, parsed: its result. */
function resultOf(r: SpawnSyncReturns<string>, what: string): Record<string, unknown> {
  const out = must(r, what).trim().split('\n');
  return JSON.parse(out[out.length - 1]) as Record<string, unknown>;
}

function walk(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...walk(dir, r));
    else out.push(r);
  }
  return out.sort();
}

async function main(): Promise<void> {
  const unavailable = podmanUnavailable();
  if (unavailable) {
    process.stdout.write(`\n*** image test SKIPPED: ${unavailable}. The job image was not built or run. ***\n\n`);
    return;
  }
  const started = Date.now();
  const timings: Record<string, number> = {};

  // 1. The base, cached under a stable tag.
  let t = Date.now();
  must(run(path.join(ROOT, '.ci/image-base'), [BASE], { inherit: true }), `.ci/image-base ${BASE}`);
  timings.base = seconds(t);

  // 2. The Dockerfile as CodeBuild builds it, on the local base (npm ci reaches the registry: --network host).
  t = Date.now();
  must(podman(['build', ...ULIMITS, '--network', 'host', '--build-arg', `NODE_IMAGE=${BASE}`, '-t', IMAGE, '-f', 'Dockerfile', '.'], true), 'podman build');
  timings.build = seconds(t);

  // 3. What the image promises before any job runs.
  process.stdout.write('image:\n');
  const config = JSON.parse(must(podman(['image', 'inspect', '--format', '{{json .Config}}', IMAGE]), 'podman image inspect')) as {
    User: string; Entrypoint: string[]; Volumes?: Record<string, unknown>; Env: string[];
  };
  check(config.User === 'node', `runs as the user node (USER ${config.User})`);
  check(JSON.stringify(config.Entrypoint) === JSON.stringify(['node', 'dist/src/cli/job.js']), 'ENTRYPOINT is node dist/src/cli/job.js');
  check(Object.keys(config.Volumes ?? {}).includes('/scratch'), 'declares VOLUME /scratch');
  const probe = `
    const fs = require('node:fs');
    const tryWrite = (f) => { try { fs.appendFileSync(f, ''); return 'written'; } catch (e) { return e.code; } };
    const owners = ['/app', '/app/dist', '/app/dist/src/cli/job.js', '/app/dist/src/sql/ingest_read.sql', '/app/node_modules', '/app/node_modules/@duckdb/node-api/package.json'].map((f) => fs.statSync(f).uid);
    const dev = ['tsx', 'esbuild', 'typescript', 'zod', 'jest', '@swc/core'].filter((p) => fs.existsSync('/app/node_modules/' + p));
    const scratch = fs.statSync('/scratch');
    console.log(JSON.stringify({ uid: process.getuid(), owners, dev, code: tryWrite('/app/dist/src/cli/job.js'), newFile: tryWrite('/app/dist/x.js'), tmp: tryWrite('/tmp/x'), home: tryWrite('/home/node/x'), scratchUid: scratch.uid, scratchWrite: tryWrite('/scratch/x'), node: process.version }));`;
  for (const readOnly of [false, true]) {
    const p = JSON.parse(must(inContainer(['-e', probe], { readOnly, entrypoint: 'node' }), 'probe')) as Record<string, unknown>;
    const label = readOnly ? '--read-only' : 'writable root';
    check(p.uid === 1000, `${label}: the process runs as uid 1000 (node), not root`);
    check(String(p.node).startsWith('v24.'), `${label}: Node 24 (${p.node})`);
    check((p.owners as number[]).every((u) => u === 0), `${label}: /app, its code, SQL and node_modules belong to root`);
    check(JSON.stringify(p.dev) === '[]', `${label}: no tsx, esbuild, typescript, zod, jest or swc in node_modules (${JSON.stringify(p.dev)})`);
    // Root's files refuse the node user (EACCES) even on a writable root; a read-only root adds EROFS.
    const refused = readOnly ? ['EACCES', 'EROFS'] : ['EACCES'];
    check(refused.includes(String(p.code)) && refused.includes(String(p.newFile)), `${label}: the code cannot be rewritten or added to (${p.code}, ${p.newFile})`);
    check(p.scratchUid === 1000 && p.scratchWrite === 'written', `${label}: a fresh volume at /scratch is the node user's and writable`);
    if (readOnly) check(p.tmp === 'EROFS' && p.home === 'EROFS', `${label}: /tmp and the home folder are read-only (${p.tmp}, ${p.home})`);
  }
  const help = must(inContainer([], {}), 'the image with its default command (--help)');
  check(help.includes('ace_unit_monthly_output'), 'the default command prints the job CLI help');

  // 4. A day and a month in containers, against the S3-API server on the host.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ace-image-test-'));
  let server: Fauxqs | undefined;
  let client: S3Client | undefined;
  try {
    t = Date.now();
    const gen = path.join(tmp, 'gen');
    const generated = run(path.join(ROOT, 'node_modules/.bin/tsx'), [
      'src/cli/generate.ts', '--root', gen, '--seed', '13', '--from', '2026-02-26', '--to', '2026-03-03', '--events-per-day', '60',
    ], { env: { ...process.env, TZ: 'UTC' } });
    must(generated, 'npm run generate');

    server = await startFauxqs();
    const endpoint = `http://127.0.0.1:${server.port}`;
    const credentials = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' };
    client = new S3Client({ endpoint, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const rawFiles = walk(path.join(gen, 'raw'));
    for (const rel of rawFiles) {
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `lake/raw/${rel}`, Body: fs.readFileSync(path.join(gen, 'raw', rel)) }));
    }
    fs.chmodSync(path.join(gen, 'warehouse'), 0o755);

    process.stdout.write(`jobs in containers (${rawFiles.length} raw files in s3://${BUCKET}/lake/raw/):\n`);
    const env = {
      ...credentials,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_ENDPOINT_URL_S3: endpoint,
      ACE_S3_FORCE_PATH_STYLE: 'true',
      ACE_LAKE_ROOT: `s3://${BUCKET}/lake`,
      ACE_WAREHOUSE_URL: 'file:///warehouse/dim_customer.csv',
      ACE_DUCKDB_MEMORY_LIMIT: '512MB',
      ACE_CODE_VERSION: 'image-test',
      LOG_FORMAT: 'json',
    };
    const inImage: Record<string, unknown>[] = [];
    for (const args of JOBS) {
      const r = resultOf(inContainer(args, { env, mounts: [`${path.join(gen, 'warehouse')}:/warehouse:ro`] }), `${args.join(' ')} in the image`);
      inImage.push(r);
      check(r.status === 'succeeded' && r.job === args[0], `${args.join(' ')}: ${r.status}, ${r.rows} rows`);
    }
    timings.jobs = seconds(t);

    const list = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'lake/', MaxKeys: 100_000 }));
    const keys = new Set((list.Contents ?? []).map((o) => o.Key!));
    for (const key of [EXPORT_CSV, EXPORT_MANIFEST]) check(keys.has(`lake/${key}`), `s3://${BUCKET}/lake/${key} exists`);
    for (const table of ['notification_attempted/dt=', 'notification_delivered/dt=', 'dim_customer/snapshot_date=', 'ace_unit_audit/billing_month=']) {
      const key = `lake/tables/${table}${table.endsWith('billing_month=') ? MONTH : DATE}/_current.json`;
      check(keys.has(key), `s3://${BUCKET}/${key} exists`);
    }
    const get = async (key: string) => Buffer.from(await (await client!.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToByteArray());
    const csv = (await get(`lake/${EXPORT_CSV}`)).toString('utf8');
    const manifest = JSON.parse((await get(`lake/${EXPORT_MANIFEST}`)).toString('utf8')) as { rows: number; partial: boolean; sha256: string };
    const exported = inImage[inImage.length - 1];
    check(manifest.partial === true, `the manifest says partial (${String(manifest.partial)})`);
    check(manifest.rows > 0 && manifest.rows === exported.rows, `the manifest counts the rows of the result line (${manifest.rows})`);
    check(manifest.sha256 === createHash('sha256').update(csv).digest('hex'), "the manifest holds the CSV's sha256");

    // The same chain on the host (tsx, a local lake) writes the same CSV.
    const lake = path.join(tmp, 'host-lake');
    fs.cpSync(path.join(gen, 'raw'), path.join(lake, 'raw'), { recursive: true });
    const hostEnv = { ...process.env, TZ: 'UTC', ACE_LAKE_ROOT: lake, ACE_WAREHOUSE_URL: `file://${path.join(gen, 'warehouse', 'dim_customer.csv')}`, ACE_SCRATCH_DIR: path.join(tmp, 'host-scratch'), LOG_FORMAT: 'json' };
    for (const args of JOBS) {
      const r = resultOf(run(path.join(ROOT, 'node_modules/.bin/tsx'), ['src/cli/job.ts', ...args], { env: hostEnv }), `${args.join(' ')} on the host`);
      const mine = inImage[JOBS.indexOf(args)];
      if (r.rows !== mine.rows) throw new Error(`image test: ${args.join(' ')} wrote ${String(mine.rows)} rows in the image and ${String(r.rows)} on the host`);
    }
    check(fs.readFileSync(path.join(lake, EXPORT_CSV), 'utf8') === csv, 'the export CSV equals the one the same jobs write on the host');
  } finally {
    client?.destroy();
    await server?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  process.stdout.write(`image test passed in ${seconds(started)} s (base ${timings.base} s, podman build ${timings.build} s, generate + jobs ${timings.jobs} s)\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
