/**
 * Issue 14: a job is a declaration the runtime runs. The registry's names are the jobs' own; each job
 * file reads as a short recipe; jobs read table files only through ctx.fetch; and a new job needs only
 * its declaration and its SQL (the runtime does the rest: fingerprint, up-to-date check, publish, ledger).
 */
import fs from 'node:fs';
import path from 'node:path';
import { JOBS, ALL_JOBS, SHARDABLE_JOBS } from '../../jobs/index';
import { defineJob } from '../../src/run/job';
import { runJob } from '../../src/run/run';
import { TableDef } from '../../src/rules/tables';
import { closeLake, makeLake, Lake, pointer, query } from '../helpers/lake';

const ROOT = path.resolve(__dirname, '../..');

describe('the job declarations', () => {
  test('each registry key is its job’s own SPEC name', () => {
    for (const name of ALL_JOBS) expect(JOBS[name].name).toBe(name);
    expect(SHARDABLE_JOBS.sort()).toEqual(['ace_unit_calc_daily', 'notification_attempted_daily', 'notification_delivered_daily']);
  });

  test('every job file is a recipe of at most 60 lines', () => {
    for (const f of fs.readdirSync(path.join(ROOT, 'jobs')).filter((n) => n.endsWith('.ts') && n !== 'index.ts')) {
      const lines = fs.readFileSync(path.join(ROOT, 'jobs', f), 'utf8').trimEnd().split('\n').length;
      expect({ file: f, short: lines <= 60 }).toEqual({ file: f, short: true });
    }
  });

  test('jobs read table files only through ctx.fetch (so a build downloads exactly what it reads)', () => {
    const files = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)]));
    for (const f of files(path.join(ROOT, 'jobs'))) expect({ file: path.relative(ROOT, f), text: /\blocalPaths\(/.test(fs.readFileSync(f, 'utf8')) }).toEqual({ file: path.relative(ROOT, f), text: false });
  });
});

describe('an eighth job needs only its declaration and its SQL', () => {
  let lake: Lake;
  beforeAll(async () => {
    lake = await makeLake();
  });
  afterAll(() => closeLake(lake));

  const table: TableDef = {
    name: 'hello_daily',
    partitionKey: 'dt',
    description: 'one greeting per date',
    columns: [
      { name: 'greeting', type: 'VARCHAR', comment: 'the text' },
      { name: 'run_id', type: 'VARCHAR', comment: 'run that wrote the row' },
    ],
  };
  let builds = 0;
  const hello = defineJob({
    name: 'hello_daily',
    period: 'date',
    description: 'a trivial job',
    outputs: [table],
    shardable: false,
    marker: (p) => ({ table, value: p.kind === 'date' ? p.date : p.month }),
    inputs: async () => ({ fingerprint: 'constant inputs' }),
    async build(ctx) {
      builds++;
      const staged = await ctx.stage(table, ctx.periodValue, `SELECT 'hello ' || $dt AS greeting, $run_id AS run_id`, { dt: ctx.periodValue, run_id: ctx.runId }, { fingerprint: ctx.fingerprint });
      return { rows: staged.rows };
    },
  });

  test('the runtime publishes it, records it, and skips a rerun on unchanged inputs', async () => {
    const first = await runJob(lake.services, hello, { date: '2026-03-08' });
    expect(first).toMatchObject({ status: 'succeeded', rows: 1 });
    expect(pointer(lake, 'hello_daily', 'dt', '2026-03-08')).toMatchObject({ rows: 1, runId: first.runId });
    const again = await runJob(lake.services, hello, { date: '2026-03-08' });
    expect(again.status).toBe('up_to_date');
    expect(builds).toBe(1);
    const runs = await query<{ job: string; status: string }>(lake, `SELECT job, status FROM runs WHERE job = 'hello_daily' ORDER BY started_at`);
    expect(runs.map((r) => r.status)).toEqual(['succeeded', 'up_to_date']);
  });

  test('staging a table it did not declare fails the run and publishes nothing', async () => {
    const other: TableDef = { ...table, name: 'undeclared_daily' };
    const sneaky = defineJob({ ...hello, name: 'sneaky_daily', marker: undefined, inputs: async () => ({ fingerprint: null }), build: async (ctx) => ({ rows: (await ctx.stage(other, ctx.periodValue, `SELECT 'x' AS greeting, 'y' AS run_id`)).rows }) });
    await expect(runJob(lake.services, sneaky, { date: '2026-03-08' })).rejects.toThrow(/does not declare among its outputs/);
    expect(pointer(lake, 'undeclared_daily', 'dt', '2026-03-08')).toBeNull();
  });
});
