/**
 * Issue 3: the demo month run entirely through S3 produces byte-identical export CSVs to the local run.
 *
 * One generated month (2026-03, with its DST day) is copied into a local lake folder and into an S3
 * bucket served by fauxqs (an in-memory S3-API server started here on 127.0.0.1 as a child process);
 * the demo's sequence (the 3 lookback days' ingest and lookup jobs, the daily graph for every date of
 * March, the monthly graph) runs in-process on each lake through openServices(loadConfig(env)), and
 * the two lakes' results are compared. Nothing reaches the network beyond the loopback interface.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { generate } from '../../src/gen/generator';
import { loadConfig } from '../../src/config/config';
import { silentLogger } from '../../src/log';
import { openServices } from '../../src/run/services';
import { Services } from '../../src/run/context';
import { runJob } from '../../src/run/run';
import { runGraph } from '../../src/graph/runner';
import { DAILY_GRAPH, MONTHLY_GRAPH } from '../../src/graph/graph';
import { JOBS } from '../../jobs/index';
import { LocalQueryEngine } from '../../src/query/local';
import { S3ObjectStore } from '../../src/lake/s3/s3ObjectStore';
import { addDays, datesBetween, firstDayOf, lastDayOf, BillingMonth } from '../../src/time/time';
import { Fauxqs, startFauxqs } from '../helpers/fauxqs';

const ROOT = path.resolve(__dirname, '../..');
const BUCKET = 'ace-e2e-month';
const MONTH = '2026-03' as BillingMonth;
const EVENTS_PER_DAY = 60;
const SEED = 11;

const EXPORTS = [
  { job: 'ace_unit_monthly_output', file: `ace_units_${MONTH}.csv` },
  { job: 'ace_unit_monthly_outcome_experience_output', file: `ace_units_by_outcome_experience_${MONTH}.csv` },
] as const;

/** process.env for the whole file: fake credentials, the fauxqs endpoint, path style, a private scratch root. */
const savedEnv: Record<string, string | undefined> = {};
function setEnv(k: string, v: string | undefined): void {
  if (!(k in savedEnv)) savedEnv[k] = process.env[k];
  if (v === undefined) delete process.env[k];
  else process.env[k] = v;
}
function restoreEnv(): void {
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
}

let server: Fauxqs | undefined;

/** Every file under `dir`, as `/`-separated paths relative to it, sorted. */
function walk(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...walk(dir, r));
    else out.push(r);
  }
  return out.sort();
}

/**
 * Every key under `prefix`, in one page. fauxqs 1.9.2 cannot be paged through mixed keys: it sorts with
 * localeCompare but resumes after the continuation token with `key <= token` (code units), so across
 * pages `notification_delivered/…` and `notification_delivered_rejects/…` are skipped or repeated. The
 * emulator honours a MaxKeys above 1000 (real S3 does not), so ask for everything at once.
 */
async function listAll(client: S3Client, prefix: string): Promise<string[]> {
  const page = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix, MaxKeys: 1_000_000 }));
  if (page.IsTruncated) throw new Error(`listing ${prefix} is truncated`);
  const keys = (page.Contents ?? []).map((o) => o.Key!);
  if (new Set(keys).size !== keys.length) throw new Error(`listing ${prefix} repeats keys`);
  return keys.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

async function getBytes(client: S3Client, key: string): Promise<Buffer> {
  const res = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from(await res.Body!.transformToByteArray());
}

/** The demo's sequence (src/cli/demo.ts): lookback ingest + lookups, the daily graph for each date, the monthly graph. */
async function runMonth(services: Services): Promise<void> {
  const first = firstDayOf(MONTH);
  const last = lastDayOf(MONTH);
  for (const date of datesBetween(addDays(first, -3), addDays(first, -1))) {
    for (const node of DAILY_GRAPH.nodes.filter((n) => n.job !== 'ace_unit_calc_daily')) await runJob(services, JOBS[node.job], { date });
  }
  for (const date of datesBetween(first, last)) await runGraph(services, DAILY_GRAPH, { date });
  await runGraph(services, MONTHLY_GRAPH, { month: MONTH });
}

interface Outcome {
  error: unknown;
  seconds: number;
  auditRows: number | null;
  /** The audit and agg rows of the month without run_id (which differs by construction). */
  audit: unknown[] | null;
  agg: unknown[] | null;
  /** The run ledger (`runs`): job, period, status and rows of every run. */
  runs: unknown[] | null;
}

/** Runs the month on one lake, then reads back through `npm run query`'s local engine. */
async function runOn(env: Record<string, string>): Promise<Outcome> {
  const started = Date.now();
  const services = await openServices(loadConfig(env), silentLogger());
  const out: Outcome = { error: null, seconds: 0, auditRows: null, audit: null, agg: null, runs: null };
  try {
    await runMonth(services);
    const qe = await LocalQueryEngine.open(services);
    try {
      const count = await qe.run(`SELECT count(*)::INTEGER AS n FROM ace_unit_audit WHERE billing_month = '${MONTH}'`);
      out.auditRows = Number(count.rows[0].n);
      out.audit = (await qe.run(`SELECT * EXCLUDE (run_id) FROM ace_unit_audit WHERE billing_month = '${MONTH}' ORDER BY client_id, customer_id`)).rows;
      out.agg = (await qe.run(`SELECT * EXCLUDE (run_id) FROM ace_unit_agg WHERE billing_month = '${MONTH}' ORDER BY client_id, date`)).rows;
      out.runs = (await qe.run(`SELECT job, period, status, rows FROM runs ORDER BY job, period, status, rows`)).rows;
    } finally {
      await qe.close();
    }
  } catch (err) {
    out.error = err;
  } finally {
    services.engine.close();
    out.seconds = (Date.now() - started) / 1000;
  }
  return out;
}

describe('demo month through S3 (fauxqs) is byte-identical to the local run', () => {
  let tmp: string;
  let gen: string;
  let localLake: string;
  let client: S3Client;
  let local: Outcome;
  let s3: Outcome;
  let rawFiles: string[];
  let port: number;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ace-e2e-s3-'));
    gen = path.join(tmp, 'gen');
    localLake = path.join(tmp, 'local-lake');
    for (const [k, v] of Object.entries({
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: 'us-east-1',
      AWS_EC2_METADATA_DISABLED: 'true',
      ACE_S3_FORCE_PATH_STYLE: 'true',
      ACE_SCRATCH_DIR: path.join(tmp, 'scratch'),
    })) setEnv(k, v);
    for (const k of ['AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_ENDPOINT_URL']) setEnv(k, undefined);
    // No shared config/credentials files from the host: point them at an empty file.
    fs.writeFileSync(path.join(tmp, 'aws-empty'), '');
    setEnv('AWS_CONFIG_FILE', path.join(tmp, 'aws-empty'));
    setEnv('AWS_SHARED_CREDENTIALS_FILE', path.join(tmp, 'aws-empty'));

    server = await startFauxqs();
    port = server.port;
    setEnv('AWS_ENDPOINT_URL_S3', `http://127.0.0.1:${port}`);
    // Credentials and region come from the default chain (the env above), as in production.
    client = new S3Client({ endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true });
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));

    const first = firstDayOf(MONTH);
    const last = lastDayOf(MONTH);
    await generate({ root: gen, seed: SEED, from: addDays(first, -3), to: addDays(last, 2), eventsPerDay: EVENTS_PER_DAY, clean: true });
    rawFiles = walk(path.join(gen, 'raw'));
    fs.cpSync(path.join(gen, 'raw'), path.join(localLake, 'raw'), { recursive: true });
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < rawFiles.length) {
          const rel = rawFiles[next++];
          await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `lake/raw/${rel}`, Body: fs.readFileSync(path.join(gen, 'raw', rel)) }));
        }
      }),
    );

    const common = {
      ACE_WAREHOUSE_URL: `file://${path.join(gen, 'warehouse', 'dim_customer.csv')}`,
      ACE_DUCKDB_MEMORY_LIMIT: '512MB',
      ACE_SCRATCH_DIR: path.join(tmp, 'scratch'),
      LOG_FORMAT: 'json',
    };
    // The two lakes run side by side (each with its own engine and services): the S3 run mostly waits on
    // the emulator, so this keeps the file well under two minutes.
    [local, s3] = await Promise.all([
      runOn({ ...common, ACE_LAKE_ROOT: localLake, ACE_DUCKDB_TEMP_DIR: path.join(tmp, 'duckdb-local') }),
      runOn({ ...common, ACE_LAKE_ROOT: `s3://${BUCKET}/lake`, ACE_DUCKDB_TEMP_DIR: path.join(tmp, 'duckdb-s3') }),
    ]);
    process.stderr.write(`s3-month: ${rawFiles.length} raw files; local run ${local.seconds.toFixed(1)} s, S3 run ${s3.seconds.toFixed(1)} s\n`);
  });

  afterAll(async () => {
    client?.destroy();
    await server?.stop();
    restoreEnv();
    if (tmp) await fsp.rm(tmp, { recursive: true, force: true });
  });

  test('the raw input is the same in both lakes, and both runs succeed', async () => {
    expect(rawFiles.length).toBeGreaterThan(100);
    expect(await listAll(client, 'lake/raw/')).toEqual(rawFiles.map((r) => `lake/raw/${r}`));
    expect(local.error).toBeNull();
    expect(s3.error).toBeNull();
  });

  test.each(EXPORTS)('$file is byte-identical, and so are its manifest numbers', async ({ job, file }) => {
    const prefix = `${job}/billing_month=${MONTH}`;
    const localCsv = fs.readFileSync(path.join(localLake, 'exports', prefix, file));
    const s3Csv = await getBytes(client, `lake/exports/${prefix}/${file}`);
    expect(localCsv.length).toBeGreaterThan(100);
    expect(s3Csv.toString('utf8')).toBe(localCsv.toString('utf8'));
    expect(Buffer.compare(s3Csv, localCsv)).toBe(0);

    const localManifest = JSON.parse(fs.readFileSync(path.join(localLake, 'exports', prefix, '_manifest.json'), 'utf8'));
    const s3Manifest = JSON.parse((await getBytes(client, `lake/exports/${prefix}/_manifest.json`)).toString('utf8'));
    expect(s3Manifest.sha256).toBe(localManifest.sha256);
    expect(s3Manifest.total_ace_units).toBe(localManifest.total_ace_units);
    expect(localManifest.total_ace_units).toBeGreaterThan(0);
    const stable = (m: Record<string, unknown>) => ({
      file: m.file, rows: m.rows, total_ace_units: m.total_ace_units, sha256: m.sha256, rule_version: m.rule_version,
      as_of_date: m.as_of_date, warnings: m.warnings, partial: m.partial, final: m.final, version: m.version,
    });
    expect(stable(s3Manifest)).toEqual(stable(localManifest));
    expect(s3Manifest.partial).toBe(false);
    expect(s3Manifest.as_of_date).toBe(lastDayOf(MONTH));
  });

  test('the S3 lake holds the same tables/…/_current.json pointers as the local lake', async () => {
    const s3Pointers = (await listAll(client, 'lake/tables/')).filter((k) => k.endsWith('/_current.json')).map((k) => k.slice('lake/'.length));
    const localPointers = walk(path.join(localLake, 'tables'))
      .filter((k) => k.endsWith('/_current.json'))
      .map((k) => `tables/${k}`);
    expect(s3Pointers).toContain(`tables/ace_unit_audit/billing_month=${MONTH}/_current.json`);
    for (const date of datesBetween(firstDayOf(MONTH), lastDayOf(MONTH))) {
      expect(s3Pointers).toContain(`tables/notification_attempted/dt=${date}/_current.json`);
      expect(s3Pointers).toContain(`tables/ace_engagement_daily/dt=${date}/_current.json`);
    }
    expect(s3Pointers).toEqual(localPointers);
    // Each S3 pointer names Parquet files that exist in the bucket, and has the local pointer's row count.
    const store = new S3ObjectStore(BUCKET, 'lake', client);
    for (const key of s3Pointers) {
      const p = JSON.parse((await store.readText(key))!) as { rows: number; files: string[] };
      const l = JSON.parse(fs.readFileSync(path.join(localLake, key), 'utf8')) as { rows: number; files: string[] };
      expect({ key, rows: p.rows, files: p.files.length }).toEqual({ key, rows: l.rows, files: l.files.length });
      for (const f of p.files) expect((await store.list(f)).map((o) => o.key)).toEqual([f]);
    }
  });

  test("npm run query's local engine over the S3 store sees the same audit (count and rows) and agg as the local lake", () => {
    expect(local.auditRows).toBeGreaterThan(0);
    expect(s3.auditRows).toBe(local.auditRows);
    expect(s3.audit).toEqual(local.audit);
    expect(s3.agg).toEqual(local.agg);
  });

  test('npm run explain over the S3 lake (raw lines read back through S3) gives the local lake\'s evidence, byte for byte', () => {
    const unit = (local.audit as { client_id: string; customer_id: string }[])[0];
    const explain = (lakeRoot: string) => {
      const r = spawnSync(path.join(ROOT, 'node_modules/.bin/tsx'), [path.join(ROOT, 'src/cli/explain.ts'), '--month', MONTH, '--client', unit.client_id, '--customer', unit.customer_id, '--format', 'json'], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, TZ: 'UTC', LOG_FORMAT: 'json', ACE_LAKE_ROOT: lakeRoot, ACE_WAREHOUSE_URL: `file://${path.join(gen, 'warehouse', 'dim_customer.csv')}`, ACE_DUCKDB_TEMP_DIR: path.join(tmp, 'duckdb-explain') },
      });
      if (r.status !== 0) throw new Error(`explain on ${lakeRoot} exited ${r.status}: ${r.stderr}`);
      return JSON.parse(r.stdout) as Record<'export' | 'audit' | 'delivery' | 'attempt', Record<string, unknown>>;
    };
    const [onS3, onLocal] = [explain(`s3://${BUCKET}/lake`), explain(localLake)];
    expect(onS3.export.row).toEqual(onLocal.export.row);
    for (const k of ['delivery', 'attempt'] as const) {
      const pick = (e: Record<string, unknown>) => ({ event_id: e.event_id, source_file: e.source_file, line_number: e.line_number, raw_line: e.raw_line });
      expect(pick(onS3[k])).toEqual(pick(onLocal[k]));
      let bytes = fs.readFileSync(path.join(gen, String(onS3[k].source_file)));
      if (String(onS3[k].source_file).endsWith('.gz')) bytes = zlib.gunzipSync(bytes);
      const line = bytes.toString('utf8').split('\n')[Number(onS3[k].line_number) - 1].replace(/\r$/, '');
      expect(Buffer.from(String(onS3[k].raw_line), 'utf8').equals(Buffer.from(line, 'utf8'))).toBe(true);
    }
  });

  test('npm run parity over the S3 lake: the local exports as the legacy agree (exit 0); a legacy audit missing one unit lists it as on the local lake', () => {
    const legacy = path.join(tmp, 'parity-legacy');
    fs.mkdirSync(legacy, { recursive: true });
    const units = (local.audit as { client_id: string; customer_id: string }[]).map((u) => `${u.client_id},${u.customer_id}`);
    fs.writeFileSync(path.join(legacy, 'units.csv'), ['client_id,customer_id', ...units.slice(1), 'c01,legacy-only-customer'].join('\n') + '\n');
    const parity = (lakeRoot: string, out: string, extra: string[]) =>
      spawnSync(path.join(ROOT, 'node_modules/.bin/tsx'), [path.join(ROOT, 'src/cli/parity.ts'), '--month', MONTH, '--out', out,
        '--legacy', path.join(localLake, 'exports', EXPORTS[0].job, `billing_month=${MONTH}`, EXPORTS[0].file),
        '--legacy-outcome', path.join(localLake, 'exports', EXPORTS[1].job, `billing_month=${MONTH}`, EXPORTS[1].file), ...extra], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, TZ: 'UTC', LOG_FORMAT: 'json', ACE_LAKE_ROOT: lakeRoot, ACE_WAREHOUSE_URL: `file://${path.join(gen, 'warehouse', 'dim_customer.csv')}`, ACE_DUCKDB_TEMP_DIR: path.join(tmp, 'duckdb-parity') },
      });
    const equal = parity(`s3://${BUCKET}/lake`, path.join(legacy, 'equal'), []);
    expect(equal.stderr).not.toMatch(/^error/m);
    expect(equal.status).toBe(0);
    const [onS3, onLocal] = [`s3://${BUCKET}/lake`, localLake].map((root, i) => {
      const r = parity(root, path.join(legacy, `units-${i}`), ['--legacy-audit', path.join(legacy, 'units.csv')]);
      expect(r.status).toBe(4);
      return fs.readFileSync(path.join(legacy, `units-${i}`, `parity_units_${MONTH}.csv`), 'utf8');
    });
    expect(onS3).toBe(onLocal);
    expect(onS3).toContain(`${units[0]},ace-unit,`);
    expect(onS3).toContain('c01,legacy-only-customer,legacy,unknown');
  });

  test('npm run report over the S3 lake publishes the page beside the S3 exports, with the local lake\'s numbers and charts', async () => {
    const report = (lakeRoot: string, args: string[]) => {
      const r = spawnSync(path.join(ROOT, 'node_modules/.bin/tsx'), [path.join(ROOT, 'src/cli/report.ts'), '--month', MONTH, ...args], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, TZ: 'UTC', LOG_FORMAT: 'json', ACE_LAKE_ROOT: lakeRoot, ACE_WAREHOUSE_URL: `file://${path.join(gen, 'warehouse', 'dim_customer.csv')}`, ACE_DUCKDB_TEMP_DIR: path.join(tmp, 'duckdb-report') },
      });
      if (r.status !== 0) throw new Error(`report on ${lakeRoot} exited ${r.status}: ${r.stderr}`);
      return r.stdout;
    };
    const key = `lake/exports/report/billing_month=${MONTH}/ace_report_${MONTH}.html`;
    expect(report(`s3://${BUCKET}/lake`, [])).toBe(`s3://${BUCKET}/${key} (version 1)\n`);
    const onS3 = await (await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToString('utf8');
    const localPage = path.join(tmp, 'report-local.html');
    report(localLake, ['--out', localPage]);
    // The same page but for the instants (each lake's exports were generated at their own time).
    const timeless = (html: string) => html.replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/g, 'T');
    expect(onS3).toContain('data-chart="daily"');
    expect(timeless(onS3)).toBe(timeless(fs.readFileSync(localPage, 'utf8')));
  });

  test("npm run certificate over the S3 lake: complete, the local lake's files, sizes and line counts; --verify names an object added since", async () => {
    const certificate = (lakeRoot: string, args: string[] = []) =>
      spawnSync(path.join(ROOT, 'node_modules/.bin/tsx'), [path.join(ROOT, 'src/cli/certificate.ts'), '--month', MONTH, '--format', 'json', ...args], {
        cwd: ROOT,
        encoding: 'utf8',
        maxBuffer: 256 * 1024 * 1024,
        env: { ...process.env, TZ: 'UTC', LOG_FORMAT: 'json', ACE_LAKE_ROOT: lakeRoot, ACE_DUCKDB_TEMP_DIR: path.join(tmp, 'duckdb-certificate') },
      });
    type Cert = { complete: boolean; dates: { date: string; window_closed: boolean; partitions: { stream: string; state: string; run_id: string | null; counts: unknown; files: { key: string; size: number; lines: number; version: string }[] }[] }[] };
    const [onS3, onLocal] = [certificate(`s3://${BUCKET}/lake`), certificate(localLake)].map((r) => {
      if (r.status !== 0) throw new Error(`certificate exited ${r.status}: ${r.stderr}`);
      return JSON.parse(r.stdout) as Cert;
    });
    expect(onS3.complete).toBe(true);
    expect(onS3.dates).toHaveLength(3 + 31);
    // The same files, sizes, line counts and counts; the change marker is the ETag on S3, the mtime locally.
    // Run ids differ by construction (each lake ran its own jobs): compared as present or not.
    const withoutVersions = (c: Cert) => c.dates.map((d) => ({ ...d, partitions: d.partitions.map((p) => ({ ...p, run_id: p.run_id ? 'a run' : null, files: p.files.map(({ version: _v, ...f }) => f) })) }));
    expect(withoutVersions(onS3)).toEqual(withoutVersions(onLocal));
    expect(onS3.dates[10].partitions[0].files[0].version).toMatch(/^"?[0-9a-f]{32}"?$/);

    expect(certificate(`s3://${BUCKET}/lake`, ['--verify']).status).toBe(0);
    const late = `lake/raw/notification_delivered/${lastDayOf(MONTH).replace(/-/g, '/')}/20/late-after-close.json`;
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: late, Body: '{"event_id":"x"}\n' }));
    try {
      const r = certificate(`s3://${BUCKET}/lake`, ['--verify']);
      expect(r.status).toBe(4);
      expect(r.stderr).toContain(`added ${late.slice('lake/'.length)}`);
    } finally {
      await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: late }));
    }
  });

  test('the run ledger (runs) records the same runs on both lakes, all succeeded', () => {
    // 3 lookback days × 4 jobs, 31 dates × 5 jobs, 2 monthly exports.
    expect(local.runs).toHaveLength(3 * 4 + 31 * 5 + 2);
    expect((local.runs as { status: string }[]).every((r) => r.status === 'succeeded')).toBe(true);
    expect(s3.runs).toEqual(local.runs);
  });

  // Issue 14: the calc resolves its inputs from pointers first and downloads only what its build reads.
  test('on S3, an unchanged calc downloads nothing, and a changed day D downloads none of the earlier days\' input partitions', async () => {
    const gets: string[] = [];
    const counting = new S3Client({ endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true });
    counting.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'GetObjectCommand') gets.push((args.input as { Key: string }).Key);
        return next(args);
      },
      { step: 'initialize', name: 'countGets' },
    );
    const config = loadConfig({
      ACE_LAKE_ROOT: `s3://${BUCKET}/lake`,
      ACE_WAREHOUSE_URL: `file://${path.join(gen, 'warehouse', 'dim_customer.csv')}`,
      ACE_DUCKDB_MEMORY_LIMIT: '512MB',
      ACE_SCRATCH_DIR: path.join(tmp, 'scratch'),
      ACE_DUCKDB_TEMP_DIR: path.join(tmp, 'duckdb-gets'),
    });
    const base = await openServices(config, silentLogger());
    const store = new S3ObjectStore(BUCKET, 'lake', counting, config.scratchRoot);
    const services: Services = { ...base, store, raw: { store, prefix: 'raw/' } };
    const last = lastDayOf(MONTH);
    const parquet = () => gets.filter((k) => k.endsWith('.parquet'));
    try {
      const unchanged = await runJob(services, JOBS.ace_unit_calc_daily, { date: last });
      expect(unchanged.status).toBe('up_to_date');
      expect(parquet()).toEqual([]);

      // A new version of D's deliveries: only day D is rebuilt, from D's partitions and D's lookback.
      await runJob(services, JOBS.notification_delivered_daily, { date: last, flags: { force: true } });
      gets.length = 0;
      const changed = await runJob(services, JOBS.ace_unit_calc_daily, { date: last });
      expect(changed.status).toBe('succeeded');
      expect(changed.details).toMatchObject({ days_rebuilt: 1, incremental: true });
      const inputPartitions = parquet()
        .map((k) => /^lake\/tables\/(notification_delivered|notification_attempted)\/dt=([0-9-]+)\//.exec(k))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => `${m[1]} ${m[2]}`);
      const lookback = datesBetween(addDays(last, -config.attributionDays), last).map((d) => `notification_attempted ${d}`);
      expect([...new Set(inputPartitions)].sort()).toEqual([`notification_delivered ${last}`, ...lookback].sort());
    } finally {
      base.engine.close();
      counting.destroy();
    }
  });
});
