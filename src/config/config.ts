/**
 * Configuration from the environment, parsed once at the edge into a typed value.
 * Every variable has a default that works locally with no cloud account.
 */
import { DEFAULT_ATTRIBUTION_DAYS, DEFAULT_LATENESS_HOURS, DEFAULT_MAX_REJECT_RATE } from '../rules/ace.js';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import { defaultMemoryLimit } from './memoryLimit.js';

export type StoreLocation = { kind: 'local'; root: string } | { kind: 's3'; bucket: string; prefix: string };

export type WarehouseLocation =
  | { kind: 'postgres'; url: string }
  | { kind: 'file'; path: string };

/** AWS settings (docs/aws.md); only read when ACE_CATALOG, --engine athena or ACE_WAREHOUSE_MODE ask for them. */
export interface AwsConfig {
  /** ACE_GLUE_DATABASE. */
  glueDatabase: string | null;
  /** ACE_GLUE_CRAWLER_PREFIX: the crawler of table t is `<prefix><t>` (glue-crawler mode). */
  glueCrawlerPrefix: string;
  /** ACE_GLUE_CRAWLER_TIMEOUT_SECONDS: how long glue-crawler mode waits for a crawl. */
  glueCrawlerTimeoutSeconds: number;
  /** ACE_ATHENA_WORKGROUP. */
  athenaWorkgroup: string;
  /** ACE_ATHENA_OUTPUT: s3:// results location; null uses the workgroup's. */
  athenaOutput: string | null;
  /** ACE_REDSHIFT_CLUSTER_ID / ACE_REDSHIFT_WORKGROUP / ACE_REDSHIFT_DATABASE / ACE_REDSHIFT_DB_USER (Data API, unload mode). */
  redshift: { clusterId: string | null; workgroup: string | null; database: string | null; dbUser: string | null };
  /** ACE_UNLOAD_IAM_ROLE: the role Redshift assumes to write the UNLOAD files. */
  unloadIamRole: string | null;
  /** ACE_WAREHOUSE_SECRET_ARN: the warehouse credentials. */
  warehouseSecretArn: string | null;
}

export interface Config {
  lake: StoreLocation;
  exports: StoreLocation;
  warehouse: WarehouseLocation;
  /** ACE_WAREHOUSE_MODE: `select` streams rows over the wire protocol; `unload` goes through Redshift UNLOAD to S3. */
  warehouseMode: 'select' | 'unload';
  latenessHours: number;
  attributionDays: number;
  maxRejectRate: number;
  /** ACE_ANOMALY_K: a metric is an anomaly outside median ± k·MAD of its history (src/ops/anomaly.ts). */
  anomalyK: number;
  /** ACE_ALERTS_TOPIC_ARN: the SNS topic anomaly alerts are published to (unset: no alert is sent). */
  alertsTopicArn: string | null;
  catalog: 'local' | 'glue' | 'glue-crawler';
  aws: AwsConfig;
  duckdb: { memoryLimit: string; tempDir: string; threads: number; sandbox: boolean };
  logFormat: 'json' | 'pretty';
  /** ACE_RAW_ROOT: where raw input lives when not under `<lake>/raw/` (e.g. its own bucket). */
  raw: StoreLocation | null;
  /** ACE_SCRATCH_DIR: temporary files of runs (downloads, staging, query scratch). */
  scratchRoot: string;
  /** ACE_CUSTOMER_ID_KEY: when set, customer_id is replaced by HMAC-SHA256(key, customer_id) at ingest. */
  customerIdKey: string | null;
  /** ACE_WAREHOUSE_TABLE: the warehouse table dim_customer_daily copies (default dim_customer). */
  warehouseTable: string;
  /** ACE_EXPORT_FINAL=true: the month-close state machine's exports are final, as with --final. */
  exportFinal: boolean;
  /** ACE_CODE_VERSION: the build recorded in the run ledger (default: package.json's version). */
  codeVersion: string | null;
  /** ACE_S3_FORCE_PATH_STYLE=true: path-style S3 URLs (S3-compatible servers). */
  s3ForcePathStyle: boolean;
  /**
   * Now, or ACE_NOW (an ISO-8601 instant) to rehearse a scheduled run or a month close at another
   * moment: the scheduled daily plan and the month close's window check read the clock through it.
   */
  now: () => Date;
}

type Env = Record<string, string | undefined>;

const S3_RE = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/;

/** Parses `./lake`, `/abs/path`, `file:///abs` or `s3://bucket/prefix`. */
export function parseStoreLocation(value: string, variable: string): StoreLocation {
  if (value.startsWith('s3://')) {
    const m = S3_RE.exec(value);
    if (!m) throw new ConfigError(`${variable}=${value} is not a valid s3://bucket/prefix URL; use e.g. s3://my-bucket/lake`);
    return { kind: 's3', bucket: m[1], prefix: (m[2] ?? '').replace(/\/+$/, '') };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value) && !value.startsWith('file://')) {
    throw new ConfigError(`${variable}=${value}: only a local folder, file:// or s3:// is supported`);
  }
  const local = value.startsWith('file://') ? new URL(value).pathname : value;
  if (local.includes('\0')) throw new ConfigError(`${variable} contains a NUL byte`);
  return { kind: 'local', root: path.resolve(local) };
}

/** Parses `postgres://…` / `postgresql://…` / `redshift://…` or `file:///path/dim_customer.csv`. */
export function parseWarehouseUrl(value: string): WarehouseLocation {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`ACE_WAREHOUSE_URL is not a URL (${redactUrl(value)}); use postgres://user@host:5432/db or file:///path/dim_customer.csv`);
  }
  switch (url.protocol) {
    case 'postgres:':
    case 'postgresql:':
      return { kind: 'postgres', url: value };
    case 'file:': {
      const p = decodeURIComponent(url.pathname);
      if (!/\.(csv|parquet)$/i.test(p)) throw new ConfigError(`ACE_WAREHOUSE_URL=${redactUrl(value)}: a file warehouse must be a .csv or .parquet file`);
      return { kind: 'file', path: p };
    }
    default:
      throw new ConfigError(`ACE_WAREHOUSE_URL has an unsupported scheme ${url.protocol}; use postgres:// or file://`);
  }
}

/** Query parameters of a connection URL that carry a credential (`password`, `sslpassword`, `token`…). */
export const SECRET_PARAM = /pass|pwd|secret|token/i;

/**
 * A connection URL safe for messages, logs and the run ledger: parsed (WHATWG URL, as pg reads it), the
 * userinfo password and every password-like query parameter replaced by `***`. A value that does not
 * parse as a URL is not shown at all beyond its scheme.
 */
export function redactUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(value)?.[0];
    return scheme ? `${scheme}//*** (not a valid URL, hidden)` : '*** (not a valid URL, hidden)';
  }
  // No authority (`scheme:user:pw@host`): userinfo cannot be told apart from the rest, so hide it all.
  if (!value.slice(url.protocol.length).startsWith('//') && value.includes('@')) return `${url.protocol}*** (hidden)`;
  if (url.password) url.password = '***';
  for (const name of [...new Set(url.searchParams.keys())]) if (SECRET_PARAM.test(name)) url.searchParams.set(name, '***');
  return url.toString();
}

/**
 * `text` (an error message from a driver, say) with every form of the URL's credentials replaced by
 * `***`: the password as written in the URL, decoded, and in password-like query parameters.
 */
export function redactSecretsIn(text: string, connectionUrl: string): string {
  const secrets = new Set<string>();
  try {
    const url = new URL(connectionUrl);
    const add = (v: string) => {
      if (!v) return;
      secrets.add(v);
      try {
        secrets.add(decodeURIComponent(v));
      } catch {
        // not percent-encoded: the raw form is enough
      }
    };
    add(url.password);
    for (const [name, v] of url.searchParams) if (SECRET_PARAM.test(name)) add(v);
  } catch {
    // Not a URL: nothing can be parsed out; the caller never shows the URL itself.
  }
  let out = text.split(connectionUrl).join(redactUrl(connectionUrl));
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) out = out.split(s).join('***');
  return out;
}

function numberVar(env: Env, name: string, fallback: number, check: (n: number) => boolean, hint: string): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw.trim()) || !Number.isFinite(n) || !check(n)) {
    throw new ConfigError(`${name}=${raw} is not valid: ${hint}`);
  }
  return n;
}

export { defaultMemoryLimit } from './memoryLimit.js';

/** Reads and validates the whole configuration. */
export function loadConfig(env: Env = process.env): Config {
  const lake = parseStoreLocation(env.ACE_LAKE_ROOT || './lake', 'ACE_LAKE_ROOT');
  const exports = env.ACE_EXPORT_ROOT
    ? parseStoreLocation(env.ACE_EXPORT_ROOT, 'ACE_EXPORT_ROOT')
    : lake.kind === 'local'
      ? { kind: 'local' as const, root: path.join(lake.root, 'exports') }
      : { kind: 's3' as const, bucket: lake.bucket, prefix: [lake.prefix, 'exports'].filter(Boolean).join('/') };
  const defaultWarehouse = lake.kind === 'local' ? `file://${path.join(lake.root, 'warehouse', 'dim_customer.csv')}` : '';
  const warehouseUrl = env.ACE_WAREHOUSE_URL || defaultWarehouse;
  const catalog = (env.ACE_CATALOG || 'local').toLowerCase();
  if (catalog !== 'local' && catalog !== 'glue' && catalog !== 'glue-crawler') {
    throw new ConfigError(`ACE_CATALOG=${env.ACE_CATALOG} is not valid: use local, glue or glue-crawler`);
  }
  const warehouseMode = (env.ACE_WAREHOUSE_MODE || 'select').toLowerCase();
  if (warehouseMode !== 'select' && warehouseMode !== 'unload') throw new ConfigError(`ACE_WAREHOUSE_MODE=${env.ACE_WAREHOUSE_MODE} is not valid: use select or unload`);
  const memoryLimit = env.ACE_DUCKDB_MEMORY_LIMIT || defaultMemoryLimit();
  if (!/^\d+(\.\d+)?\s*(KB|MB|GB|KiB|MiB|GiB)$/i.test(memoryLimit)) {
    throw new ConfigError(`ACE_DUCKDB_MEMORY_LIMIT=${memoryLimit} is not valid: use e.g. 1536MB or 2GB`);
  }
  const tempDir = path.resolve(env.ACE_DUCKDB_TEMP_DIR || path.join(scratchRoot(env), 'duckdb'));
  const sandbox = (env.ACE_DUCKDB_SANDBOX || 'on').toLowerCase();
  if (sandbox !== 'on' && sandbox !== 'off') throw new ConfigError(`ACE_DUCKDB_SANDBOX=${env.ACE_DUCKDB_SANDBOX} is not valid: use on or off`);
  const logFormat = env.LOG_FORMAT === 'json' || !process.stderr.isTTY ? 'json' : 'pretty';
  return {
    lake,
    exports,
    warehouse: warehouseUrl ? parseWarehouseUrl(warehouseUrl) : { kind: 'file', path: '' },
    warehouseMode,
    latenessHours: numberVar(env, 'ACE_LATENESS_HOURS', DEFAULT_LATENESS_HOURS, (n) => Number.isInteger(n) && n >= 0 && n <= 24 * 31, 'a whole number of hours from 0 to 744'),
    attributionDays: numberVar(env, 'ACE_ATTRIBUTION_DAYS', DEFAULT_ATTRIBUTION_DAYS, (n) => Number.isInteger(n) && n >= 0 && n <= 31, 'a whole number of days from 0 to 31'),
    maxRejectRate: numberVar(env, 'ACE_MAX_REJECT_RATE', DEFAULT_MAX_REJECT_RATE, (n) => n >= 0 && n <= 1, 'a fraction from 0 to 1, e.g. 0.01'),
    anomalyK: numberVar(env, 'ACE_ANOMALY_K', 5, (n) => n > 0 && n <= 100, 'a positive number of MADs, e.g. 5'),
    alertsTopicArn: parseTopicArn(env.ACE_ALERTS_TOPIC_ARN),
    catalog,
    aws: loadAwsConfig(env),
    duckdb: { memoryLimit, tempDir, threads: Math.max(1, os.availableParallelism?.() ?? os.cpus().length), sandbox: sandbox === 'on' },
    logFormat,
    raw: env.ACE_RAW_ROOT ? parseStoreLocation(env.ACE_RAW_ROOT, 'ACE_RAW_ROOT') : null,
    scratchRoot: scratchRoot(env),
    customerIdKey: parseCustomerIdKey(env.ACE_CUSTOMER_ID_KEY),
    warehouseTable: env.ACE_WAREHOUSE_TABLE || 'dim_customer',
    exportFinal: env.ACE_EXPORT_FINAL === 'true',
    codeVersion: opt(env, 'ACE_CODE_VERSION'),
    s3ForcePathStyle: env.ACE_S3_FORCE_PATH_STYLE === 'true',
    now: parseNow(env.ACE_NOW),
  };
}

function parseNow(raw: string | undefined): () => Date {
  if (raw === undefined || raw === '') return () => new Date();
  const t = Date.parse(raw);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(raw) || Number.isNaN(t)) throw new ConfigError(`ACE_NOW=${raw} is not valid: use an ISO-8601 instant such as 2026-03-03T11:00:00Z, or unset it`);
  return () => new Date(t);
}

/** ACE_ALERTS_TOPIC_ARN: an SNS topic ARN, or unset. */
function parseTopicArn(raw: string | undefined): string | null {
  if (raw === undefined || raw === '') return null;
  if (!/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/.test(raw)) throw new ConfigError(`ACE_ALERTS_TOPIC_ARN=${raw} is not valid: use an SNS topic ARN such as arn:aws:sns:us-east-1:123456789012:ace-alerts, or unset it`);
  return raw;
}

/** The folder for every temporary file of a run (ACE_SCRATCH_DIR, default `<tmp>/ace-unit`). */
export function scratchRoot(env: Env = process.env): string {
  return path.resolve(env.ACE_SCRATCH_DIR || path.join(os.tmpdir(), 'ace-unit'));
}

/**
 * The only folders DuckDB may read or write when sandboxed: the local lake, raw and export roots, a
 * file warehouse's folder, the scratch root and the spill folder. Remote stores are reached through
 * the ObjectStore (downloads land in scratch), never by DuckDB itself.
 */
export function allowedDirectories(config: Config): string[] {
  const dirs = [config.scratchRoot, config.duckdb.tempDir];
  for (const loc of [config.lake, config.exports, config.raw]) if (loc?.kind === 'local') dirs.push(loc.root);
  if (config.warehouse.kind === 'file' && config.warehouse.path) dirs.push(path.dirname(config.warehouse.path));
  return [...new Set(dirs.map((d) => (d.endsWith(path.sep) ? d : d + path.sep)))];
}

/** ACE_CUSTOMER_ID_KEY: at least 32 characters (a hex or base64 secret); never logged. */
function parseCustomerIdKey(value: string | undefined): string | null {
  if (value === undefined || value === '') return null;
  if (value.length < 32 || /\s/.test(value)) {
    throw new ConfigError('ACE_CUSTOMER_ID_KEY is set but is not a usable key: use at least 32 characters without spaces (e.g. openssl rand -hex 32)');
  }
  return value;
}

const opt = (env: Env, name: string): string | null => (env[name] ?? '').trim() || null;

function loadAwsConfig(env: Env): AwsConfig {
  const glueDatabase = opt(env, 'ACE_GLUE_DATABASE');
  if (glueDatabase !== null && !/^[a-z0-9_]{1,255}$/.test(glueDatabase)) {
    throw new ConfigError(`ACE_GLUE_DATABASE=${glueDatabase} is not valid: Glue database names are lower-case letters, digits and underscores`);
  }
  const athenaOutput = opt(env, 'ACE_ATHENA_OUTPUT');
  if (athenaOutput !== null && !athenaOutput.startsWith('s3://')) throw new ConfigError(`ACE_ATHENA_OUTPUT=${athenaOutput} is not valid: use s3://bucket/prefix/`);
  const unloadIamRole = opt(env, 'ACE_UNLOAD_IAM_ROLE');
  if (unloadIamRole !== null && !/^arn:aws[a-z-]*:iam::\d{12}:role\/[A-Za-z0-9+=,.@_\/-]+$/.test(unloadIamRole)) {
    throw new ConfigError(`ACE_UNLOAD_IAM_ROLE=${unloadIamRole} is not an IAM role ARN (arn:aws:iam::123456789012:role/name)`);
  }
  const secretArn = opt(env, 'ACE_WAREHOUSE_SECRET_ARN');
  if (secretArn !== null && !/^arn:aws[a-z-]*:secretsmanager:/.test(secretArn)) {
    throw new ConfigError(`ACE_WAREHOUSE_SECRET_ARN=${secretArn} is not a Secrets Manager ARN (arn:aws:secretsmanager:…)`);
  }
  return {
    glueDatabase,
    glueCrawlerPrefix: opt(env, 'ACE_GLUE_CRAWLER_PREFIX') ?? (glueDatabase ? `${glueDatabase}_` : ''),
    glueCrawlerTimeoutSeconds: numberVar(env, 'ACE_GLUE_CRAWLER_TIMEOUT_SECONDS', 900, (n) => Number.isInteger(n) && n > 0, 'a whole number of seconds, e.g. 900'),
    athenaWorkgroup: opt(env, 'ACE_ATHENA_WORKGROUP') ?? 'primary',
    athenaOutput,
    redshift: {
      clusterId: opt(env, 'ACE_REDSHIFT_CLUSTER_ID'),
      workgroup: opt(env, 'ACE_REDSHIFT_WORKGROUP'),
      database: opt(env, 'ACE_REDSHIFT_DATABASE'),
      dbUser: opt(env, 'ACE_REDSHIFT_DB_USER'),
    },
    unloadIamRole,
    warehouseSecretArn: secretArn,
  };
}
