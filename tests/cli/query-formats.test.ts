/**
 * Issue 15, section 5: `npm run query` speaks the formats tools expect. `--format json` types values
 * (before, every value was a string and timestamps read `2026-03-03 17:00:00+00`), `--format ndjson`
 * prints one object per line for pipes, `--format parquet --out FILE` writes the result for other
 * tools, without letting --out or the SQL write anywhere else (docs/security.md).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { mockClient } from 'aws-sdk-client-mock';
import { AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import { AthenaRunner } from '../../src/aws/athena';
import { AthenaQueryEngine } from '../../src/query/athena';
import { formatRows } from '../../src/cli/format';
import { UsageError } from '../../src/errors';
import { bash, cliCommand, emptyLake, shq } from './helpers';

/** One column of each type the lake and ad-hoc SQL produce. */
const TYPED_SQL = `SELECT 42 AS int, 9007199254740991::BIGINT AS max_safe, 9007199254740993::BIGINT AS beyond_2_53, sum(x) AS hugeint_sum,
  count(*) AS n, 123.450::DECIMAL(10,3) AS dec, 12345678901234567.89::DECIMAL(38,2) AS wide_dec, 1.5::DOUBLE AS dbl,
  TIMESTAMPTZ '2026-03-03 17:00:00.123456+00' AS tstz, TIMESTAMP '2026-03-03 17:00:00' AS ts, DATE '2026-03-01' AS d,
  true AS yes, NULL::VARCHAR AS nothing, 'a "quoted", line\nbreak' AS text, [TIMESTAMPTZ '2026-03-08 07:00:00+00'] AS list
FROM (VALUES (1), (2)) v(x)`;

const EXPECTED = {
  int: 42,
  max_safe: 9007199254740991,
  beyond_2_53: '9007199254740993',
  hugeint_sum: 3,
  n: 2,
  dec: 123.45,
  wide_dec: 12345678901234567.89,
  dbl: 1.5,
  tstz: '2026-03-03T17:00:00.123Z',
  ts: '2026-03-03T17:00:00.000Z',
  d: '2026-03-01',
  yes: true,
  nothing: null,
  text: 'a "quoted", line\nbreak',
  list: ['2026-03-08T07:00:00.000Z'],
};

describe('npm run query formats (real CLI)', () => {
  let lake: string;
  let outDir: string;
  beforeAll(() => {
    lake = emptyLake();
    outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ace-query-out-'));
  });
  afterAll(() => {
    fs.rmSync(lake, { recursive: true, force: true });
    fs.rmSync(outDir, { recursive: true, force: true });
  });
  const query = (args: string[], pipe = '') => bash(lake, `${cliCommand('query', args)}${pipe}`);

  test('--format json: numbers, ISO-8601 UTC timestamps with ms and Z, dates, booleans, null; decimals keep their digits', () => {
    const r = query(['--format', 'json', TYPED_SQL]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([EXPECTED]);
    // Exact decimal text: no reader-side rounding in the file itself.
    expect(r.stdout).toContain('"dec":123.450,');
    expect(r.stdout).toContain('"wide_dec":12345678901234567.89,');
  });

  test('--format ndjson: one object per line, every line through a pipe', () => {
    const one = query(['--format', 'ndjson', TYPED_SQL]);
    expect(one.status).toBe(0);
    expect(one.stdout.split('\n')).toHaveLength(2);
    expect(JSON.parse(one.stdout.split('\n')[0])).toEqual(EXPECTED);

    const counted = query(['--format', 'ndjson', "SELECT i, TIMESTAMPTZ '2026-03-01 05:00:00+00' + INTERVAL (i) SECOND AS at FROM range(50000) t(i)"], ' | wc -l');
    expect(counted.status).toBe(0);
    expect(counted.stdout.trim()).toBe('50000');
    const last = query(['--format', 'ndjson', "SELECT i, TIMESTAMPTZ '2026-03-01 05:00:00+00' + INTERVAL (i) SECOND AS at FROM range(50000) t(i)"], ' | tail -1');
    expect(JSON.parse(last.stdout)).toEqual({ i: 49999, at: '2026-03-01T18:53:19.000Z' });
  });

  test('no rows: json prints [], ndjson prints nothing', () => {
    expect(query(['--format', 'json', 'SELECT 1 AS a WHERE false']).stdout).toBe('[]\n');
    const r = query(['--format', 'ndjson', 'SELECT * FROM ace_unit_audit']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
  });

  test('--format parquet --out FILE: the result read back with DuckDB has the rows and their types', async () => {
    const out = path.join(outDir, 'result.parquet');
    // A trailing comment and semicolon cannot reach the COPY: DuckDB's own text of the checked statement is what is wrapped.
    const r = query(['--format', 'parquet', '--out', out, `${TYPED_SQL} -- note\n;`]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`wrote 1 rows to ${out}\n`);
    const db = await (await DuckDBInstance.create(':memory:')).connect();
    try {
      const read = await db.runAndReadAll(`SELECT * FROM read_parquet(${shq(out)})`);
      expect(read.columnNames()).toEqual(Object.keys(EXPECTED));
      // Parquet has no 128-bit integer: DuckDB writes HUGEINT (sum of integers) as DOUBLE (README: cast to BIGINT).
      expect(read.columnTypes().map(String).slice(0, 10)).toEqual(['INTEGER', 'BIGINT', 'BIGINT', 'DOUBLE', 'BIGINT', 'DECIMAL(10,3)', 'DECIMAL(38,2)', 'DOUBLE', 'TIMESTAMP WITH TIME ZONE', 'TIMESTAMP']);
      const [row] = read.getRowObjectsJson();
      expect(row).toMatchObject({ beyond_2_53: '9007199254740993', dec: '123.450', d: '2026-03-01', yes: true, nothing: null });
    } finally {
      db.closeSync();
    }
    expect(fs.readdirSync(outDir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  test.each([
    ['--out without --format parquet', ['--format', 'csv', '--out', '<out>/a.csv', 'SELECT 1'], /^error: query: --out writes Parquet only: add --format parquet/],
    ['--format parquet without --out', ['--format', 'parquet', 'SELECT 1'], /^error: query: --format parquet needs --out FILE/],
    ['--out inside the lake', ['--format', 'parquet', '--out', '<lake>/tables/x.parquet', 'SELECT 1'], /^error: query: --out .* is inside the lake \(ACE_LAKE_ROOT=.*\), which only jobs write/],
    ['--out to S3', ['--format', 'parquet', '--out', 's3://bucket/x.parquet', 'SELECT 1'], /^error: query: --out s3:\/\/bucket\/x.parquet: only a local file is supported/],
    ['--out a folder', ['--format', 'parquet', '--out', '<out>', 'SELECT 1'], /^error: query: --out .* is a folder/],
    ['--out in a missing folder', ['--format', 'parquet', '--out', '<out>/no/x.parquet', 'SELECT 1'], /^error: query: --out .*: the folder .* does not exist/],
    ['a writing statement', ['--format', 'parquet', '--out', '<out>/w.parquet', "COPY (SELECT 1 AS a) TO '<out>/copied.csv'"], /^error: query: only reading statements are allowed/],
    ['a write hidden after a SELECT', ['--format', 'parquet', '--out', '<out>/w.parquet', "SELECT 1 AS a; COPY (SELECT 1 AS a) TO '<out>/copied.csv'"], /^error: query: only reading statements are allowed/],
    ['two reading statements', ['--format', 'parquet', '--out', '<out>/w.parquet', 'SELECT 1 AS a; SELECT 2 AS b'], /^error: query: --format parquet writes the result of one statement; this SQL has 2/],
    ['a table function that writes', ['--format', 'parquet', '--out', '<out>/w.parquet', "SELECT * FROM enable_logging(storage = 'file', storage_path = '<out>/log')"], /^error: query: only reading statements are allowed/],
    ['an unknown format', ['--format', 'xml', 'SELECT 1'], /^error: query: --format xml is not valid: use table, csv, json, ndjson, parquet/],
  ])('refused with exit 2 and one line, nothing written: %s', (_name, args, message) => {
    const fill = (a: string) => a.replace(/<out>/g, outDir).replace(/<lake>/g, lake);
    const before = fs.readdirSync(outDir).sort();
    const r = query(args.map(fill));
    expect(r.stderr).toMatch(message);
    expect(r.stderr.split('\n')).toHaveLength(2);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(fs.readdirSync(outDir).sort()).toEqual(before);
    expect(fs.existsSync(path.join(lake, 'tables', 'x.parquet'))).toBe(false);
  });
});

describe('Athena results typed by the column metadata (SDK boundary)', () => {
  const cols = [
    ['client_id', 'varchar'], ['ace_units', 'bigint'], ['big', 'bigint'], ['amount', 'decimal'], ['share', 'double'],
    ['first_engaged_at', 'timestamp'], ['closed_at', 'timestamp with time zone'], ['first_engaged_date', 'date'], ['is_billable', 'boolean'], ['note', 'varchar'],
  ].map(([Name, Type]) => ({ Name, Type }));
  const row = (...v: (string | undefined)[]) => ({ Data: v.map((x) => (x === undefined ? {} : { VarCharValue: x })) });

  function engine() {
    const client = new AthenaClient({ region: 'us-east-1' });
    const mock = mockClient(client);
    mock.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-json' });
    mock.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' }, StatementType: 'DML' } });
    mock.on(GetQueryResultsCommand).resolves({
      ResultSet: {
        ResultSetMetadata: { ColumnInfo: cols },
        Rows: [
          row(...cols.map((c) => c.Name)),
          row('c1', '12', '9007199254740993', '1234.50', '0.25', '2026-03-03 17:00:00.123', '2026-03-03 12:00:00.000 -05:00', '2026-03-03', 'true', undefined),
        ],
      },
    });
    return { mock, qe: new AthenaQueryEngine(new AthenaRunner(client, { workgroup: 'wg', database: 'db', outputLocation: null })) };
  }

  test('json: numbers, ISO-8601 UTC timestamps, dates, booleans, null', async () => {
    const { qe } = engine();
    const r = await qe.run('SELECT * FROM ace_unit_audit', 'json');
    const text = formatRows(r.rows, 'ndjson', r.columns);
    expect(JSON.parse(text)).toEqual({
      client_id: 'c1', ace_units: 12, big: '9007199254740993', amount: 1234.5, share: 0.25,
      first_engaged_at: '2026-03-03T17:00:00.123Z', closed_at: '2026-03-03T17:00:00.000Z', first_engaged_date: '2026-03-03', is_billable: true, note: null,
    });
    expect(text).toContain('"amount":1234.50,');
    // The text style (table and CSV) is unchanged.
    expect((await engine().qe.run('SELECT 1')).rows[0]).toMatchObject({ amount: '1234.50', first_engaged_at: '2026-03-03 17:00:00.123' });
  });

  test('parquet is refused before anything is sent (Athena writes files only through UNLOAD)', async () => {
    const { mock, qe } = engine();
    await expect(qe.writeParquet()).rejects.toThrow(new UsageError('query: --format parquet works with --engine local only (Athena writes Parquet only through UNLOAD, which query refuses); use --format ndjson with --engine athena'));
    expect(mock.calls()).toHaveLength(0);
  });
});
