/**
 * Regression (issue 13, point 5): `npm run query` ran `COPY … TO '<lake>/…'` and `ATTACH '<lake>/x.duckdb'`
 * inside the lake, so a query could overwrite a `_current.json`. Only reading statements run now; the
 * others exit 2 with one line, before anything is bound (binding EXPORT DATABASE alone made its folder).
 */
import fs from 'node:fs';
import path from 'node:path';
import { mockClient } from 'aws-sdk-client-mock';
import { AthenaClient } from '@aws-sdk/client-athena';
import { UsageError } from '../../src/errors';
import { AthenaRunner } from '../../src/aws/athena';
import { AthenaQueryEngine } from '../../src/query/athena';
import { LocalQueryEngine } from '../../src/query/local';
import { athenaRefusal } from '../../src/query/readonly';
import { closeLake, Lake, makeLake } from '../helpers/lake';
import { bash, cliCommand, emptyLake, shq } from './helpers';

const REFUSED = /^error: query: only reading statements are allowed \(SELECT, WITH … SELECT, FROM …, VALUES, DESCRIBE, SHOW, SUMMARIZE\); .*; nothing was run\n$/;

/** Every file and folder under the lake except DuckDB's spill folder, to prove nothing was written. */
function tree(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.name === '_duckdb_tmp') continue;
      const p = path.join(dir, e.name);
      out.push(path.relative(root, p) + (e.isDirectory() ? '/' : ''));
      if (e.isDirectory()) walk(p);
    }
  };
  walk(root);
  return out.sort();
}

describe('npm run query is read-only (real CLI)', () => {
  let lake: string;
  beforeAll(() => {
    lake = emptyLake();
  });
  afterAll(() => fs.rmSync(lake, { recursive: true, force: true }));

  const query = (sql: string) => bash(lake, `${cliCommand('query', ['--format', 'csv', sql])}`);

  test.each([
    ['COPY (SELECT 1) TO', (l: string) => `COPY (SELECT 1 AS a) TO ${shq(`${l}/x.csv`)}`, 'x.csv'],
    ['ATTACH', (l: string) => `ATTACH ${shq(`${l}/x.duckdb`)}`, 'x.duckdb'],
    ['EXPORT DATABASE (binding it alone made the folder)', (l: string) => `EXPORT DATABASE ${shq(`${l}/exported`)}`, 'exported'],
    ['a SELECT followed by a COPY', (l: string) => `SELECT 1 AS a; COPY (SELECT 1 AS a) TO ${shq(`${l}/y.csv`)}`, 'y.csv'],
    ['a SELECT over a table function that writes log files', (l: string) => `SELECT * FROM enable_logging(storage = 'file', storage_path = ${shq(`${l}/log`)})`, 'log'],
  ])('%s: exit 2, one line, and the file is not created', (_name, sql, created) => {
    const before = tree(lake);
    const r = query(sql(lake));
    expect(r.stderr).toMatch(REFUSED);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(fs.existsSync(path.join(lake, created))).toBe(false);
    expect(tree(lake)).toEqual(before);
  });

  test('a SELECT over the catalog still works', () => {
    const r = query('WITH n AS (SELECT count(*) AS audit_rows FROM ace_unit_audit) SELECT audit_rows, 42 AS answer FROM n');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('audit_rows,answer\n0,42\n');
  });
});

describe('the local query engine: statement by statement', () => {
  let lake: Lake;
  let qe: LocalQueryEngine;
  beforeAll(async () => {
    lake = await makeLake();
    qe = await LocalQueryEngine.open(lake.services);
  });
  afterAll(async () => {
    await qe?.close();
    await closeLake(lake);
  });

  const refused = [
    "INSTALL json",
    'LOAD json',
    'CREATE TABLE t AS SELECT 1 AS a',
    'CREATE OR REPLACE VIEW runs AS SELECT 1 AS a',
    'CREATE MACRO m(x) AS x + 1',
    "INSERT INTO runs SELECT * FROM runs",
    "UPDATE runs SET job = 'x'",
    'DELETE FROM runs',
    'DROP VIEW runs',
    'ALTER VIEW runs RENAME TO r2',
    'SET threads = 1',
    'RESET threads',
    'SET VARIABLE x = 1',
    'PRAGMA version',
    'PRAGMA enable_profiling',
    'CALL pragma_version()',
    "CALL enable_logging(storage = 'file', storage_path = '<lake>/log')",
    "EXPORT DATABASE '<lake>/exp'",
    "IMPORT DATABASE '<lake>/exp'",
    "COPY FROM DATABASE memory TO memory",
    "COPY (SELECT 1 AS a) TO '<lake>/x.parquet' (FORMAT parquet)",
    "ATTACH '<lake>/x.duckdb' AS x",
    'DETACH memory',
    'USE memory',
    'CHECKPOINT',
    'VACUUM',
    'ANALYZE',
    'BEGIN TRANSACTION',
    'EXPLAIN SELECT 1',
    "EXPLAIN ANALYZE COPY (SELECT 1 AS a) TO '<lake>/ea.csv'",
    'PIVOT (SELECT 1 AS a, 2 AS b) ON a USING sum(b)',
    'PREPARE p AS SELECT 1',
    'SELECT 1 AS a; CREATE TABLE t2 (a INTEGER)',
    "SELECT * FROM enable_logging(storage = 'file', storage_path = '<lake>/log')",
    'SELECT * FROM disable_logging()',
    "SELECT write_log('x')",
    'FROM checkpoint()',
    "SELECT * FROM query('SELECT 1')",
    "SELECT * FROM json_execute_serialized_sql(json_serialize_sql('SELECT 1'))",
    "WITH x AS (SELECT * FROM enable_logging()) SELECT 1 AS a",
    "SELECT * FROM range(2) r, LATERAL (SELECT * FROM enable_profiling())",
    'SELECT * FROM "ENABLE_LOGGING"()',
  ];

  test.each(refused)('refused before it runs: %s', async (sql) => {
    const before = tree(lake.root);
    const err = await qe.run(sql.replace(/<lake>/g, lake.root)).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(/^query: only reading statements are allowed .*; nothing was run$/);
    expect(tree(lake.root)).toEqual(before);
  });

  test.each([
    ['SELECT 1 AS a', ['a'], [{ a: 1 }]],
    ['WITH x AS (SELECT 2 AS b) SELECT * FROM x', ['b'], [{ b: 2 }]],
    ['FROM (VALUES (3)) v(c)', ['c'], [{ c: 3 }]],
    ['VALUES (4)', ['col0'], [{ col0: 4 }]],
    ['PIVOT (SELECT 1 AS a, 2 AS b) ON a IN (1) USING sum(b)', ['1'], [{ '1': '2' }]],
    ['SELECT 1 AS a; SELECT 5 AS e', ['e'], [{ e: 5 }]],
    ['SELECT * FROM ace_unit_audit WHERE false', null, []],
    ["SELECT count(*)::INTEGER AS n FROM ace_unit_audit WHERE billing_month = '2026-03'", ['n'], [{ n: 0 }]],
    ['SELECT * EXCLUDE (run_id) FROM ace_unit_agg ORDER BY ALL', null, []],
  ])('reading statements run: %s', async (sql, columns, rows) => {
    const r = await qe.run(sql);
    if (columns) expect(r.columns).toEqual(columns);
    else expect(r.columns.length).toBeGreaterThan(0);
    expect(r.rows).toEqual(rows);
  });

  test.each(['DESCRIBE runs', 'SHOW TABLES', 'SUMMARIZE SELECT 1 AS a', "SELECT * FROM glob('<lake>/*')"])('reading statements run: %s', async (sql) => {
    await expect(qe.run(sql.replace(/<lake>/g, lake.root))).resolves.toHaveProperty('rows');
  });

  test('a syntax error and an empty statement are usage errors naming the problem', async () => {
    await expect(qe.run('SELEC 1')).rejects.toThrow(/^query: syntax error at or near "SELEC"/);
    await expect(qe.run(' -- nothing\n')).rejects.toThrow(new UsageError('query: no SQL statement given'));
  });
});

describe('the Athena query engine: a conservative check before anything is sent', () => {
  test.each([
    'SELECT 1',
    '  -- a comment\n select * from ace_unit_audit;',
    'WITH a AS (SELECT 1) SELECT * FROM a',
    '(SELECT 1) UNION ALL (SELECT 2)',
    'VALUES 1, 2',
    'TABLE ace_unit_audit',
    'SHOW TABLES',
    'SHOW CREATE TABLE ace_unit_audit',
    'DESCRIBE ace_unit_audit',
    'EXPLAIN SELECT 1',
    'EXPLAIN ANALYZE SELECT 1',
    'EXPLAIN (FORMAT JSON) SELECT 1',
    "SELECT 'insert into t; drop table t' AS s",
    'SELECT "delete" FROM t',
    '/* DROP TABLE t */ SELECT 1',
  ])('allowed: %s', (sql) => {
    expect(athenaRefusal(sql)).toBeNull();
  });

  test.each([
    'INSERT INTO t SELECT 1',
    'CREATE TABLE t AS SELECT 1',
    "UNLOAD (SELECT 1) TO 's3://bucket/x/' WITH (format = 'PARQUET')",
    'DROP TABLE t',
    'ALTER TABLE t ADD COLUMNS (c int)',
    'MSCK REPAIR TABLE t',
    'DELETE FROM t',
    "UPDATE t SET a = 1",
    'MERGE INTO t USING s ON t.a = s.a WHEN MATCHED THEN DELETE',
    'VACUUM t',
    'OPTIMIZE t REWRITE DATA USING BIN_PACK',
    'SELECT 1; DROP TABLE t',
    'EXPLAIN ANALYZE INSERT INTO t SELECT 1',
    "USING EXTERNAL FUNCTION f(x INT) RETURNS INT LAMBDA 'fn' SELECT f(1)",
    'PREPARE s FROM SELECT 1',
    'EXECUTE s',
    'CALL system.sync_partition_metadata()',
    'SET SESSION a = 1',
    'WITH a AS (SELECT 1) INSERT INTO t SELECT * FROM a',
    'SELECT 1 /* unterminated',
    "SELECT 'unterminated",
    '',
  ])('refused: %s', (sql) => {
    expect(athenaRefusal(sql)).toMatch(/^query: (only reading statements are allowed \(SELECT, WITH … SELECT, VALUES, TABLE, SHOW, DESCRIBE, EXPLAIN of those\); .*; nothing was run|no SQL statement given)$/);
  });

  test('a refused statement never reaches Athena', async () => {
    const client = new AthenaClient({ region: 'us-east-1' });
    const mock = mockClient(client);
    const qe = new AthenaQueryEngine(new AthenaRunner(client, { workgroup: 'wg', database: 'db', outputLocation: null }));
    await expect(qe.run("UNLOAD (SELECT * FROM ace_unit_audit) TO 's3://elsewhere/'")).rejects.toBeInstanceOf(UsageError);
    expect(mock.calls()).toHaveLength(0);
  });
});
