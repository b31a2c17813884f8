/**
 * The Step Functions definitions: committed files match the generator, pass asl-validator, and run in
 * aws-local-stepfunctions with local handlers standing in for ECS, SNS, Athena and the SFN SDK call.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DAILY_JOBS, MONTHLY_JOBS, type JobName } from '../../src/graph/graph';
import { SHARDABLE_JOBS } from '../../src/cli/args';
import {
  DAILY_MAP_STATE,
  PLAN_SHARDS_STATE,
  SHARD_COUNT_PLACEHOLDER,
  TRANSIENT_ERRORS,
  fillPlaceholders,
  mergeTaskName,
  placeholdersOf,
  renderedDefinitions,
  shardMapName,
  taskDefinitionPlaceholder,
  type DefinitionName,
  type Json,
} from '../../src/graph/stepfunctions';

// aws-local-stepfunctions v3 calls Promise.withResolvers, which Node 20 lacks.
const P = Promise as unknown as { withResolvers?: () => unknown };
if (typeof P.withResolvers !== 'function') {
  P.withResolvers = function withResolvers<T>() {
    let resolve!: (v: T) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
// asl-validator ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const aslValidator = require('asl-validator') as (definition: unknown) => { isValid: boolean; errorsText: (separator?: string) => string };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { StateMachine } = require('aws-local-stepfunctions') as typeof import('aws-local-stepfunctions');

const ROOT = resolve(__dirname, '../..');
const committed = (path: string) => readFileSync(resolve(ROOT, path), 'utf8');
const defs = Object.fromEntries(renderedDefinitions().map((d) => [d.name, d]));

/** Values Terraform would supply (orchestration module); the handlers below check they arrive. */
const VALUES: Record<string, Json> = {
  cluster_arn: 'arn:aws:ecs:us-east-1:123456789012:cluster/ace-unit',
  subnet_ids: ['subnet-a', 'subnet-b'],
  security_group_ids: ['sg-1'],
  assign_public_ip: 'DISABLED',
  alerts_topic_arn: 'arn:aws:sns:us-east-1:123456789012:ace-unit-alerts',
  athena_workgroup: 'ace-unit',
  daily_state_machine_arn: 'arn:aws:states:us-east-1:123456789012:stateMachine:ace-unit-daily',
  shard_count: 1,
  ...Object.fromEntries(
    [...DAILY_JOBS, ...MONTHLY_JOBS].map((j) => [taskDefinitionPlaceholder(j), `arn:aws:ecs:us-east-1:123456789012:task-definition/ace-unit-${j}`]),
  ),
};

function machine(name: DefinitionName, values: Record<string, Json> = VALUES) {
  const sm = new StateMachine(JSON.parse(fillPlaceholders(committed(defs[name].path), values)), {
    validationOptions: { checkPaths: true, checkArn: true },
  });
  const context = { Execution: { Id: `arn:aws:states:us-east-1:123456789012:execution:ace-unit-${name}:test` } };
  return { run: (input: Json, options: RunOptions = {}) => sm.run(input, { ...options, context }) };
}

/** Names of the states (at any depth) whose Resource is `resource`. */
function statesWithResource(text: string, resource: string): string[] {
  const names: string[] = [];
  JSON.parse(text, (key, v) => {
    if (key === 'States' && v && typeof v === 'object') {
      for (const [name, st] of Object.entries(v as Record<string, { Resource?: string }>)) if (st.Resource === resource) names.push(name);
    }
    return v;
  });
  return names;
}
const ECS_RESOURCE = 'arn:aws:states:::ecs:runTask.sync';
type RunOptions = NonNullable<Parameters<InstanceType<typeof StateMachine>['run']>[1]>;

class AwsError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

interface RunTaskInput {
  Cluster: string;
  TaskDefinition: string;
  NetworkConfiguration: { AwsvpcConfiguration: { Subnets: string[] } };
  Overrides: { ContainerOverrides: { Name: string; Command: string[]; Environment?: { Name: string; Value: string }[] }[] };
}

/**
 * Local ECS: one handler per ECS task state of the definition (a job's single task, or its shard and
 * merge tasks); the job is the command's first word. Records every container command, and start and
 * end events in order (each task takes a few ms, so concurrent shards overlap); `behaviour` may throw
 * for a command's nth attempt.
 */
function fakeCluster(
  name: DefinitionName,
  behaviour: (job: JobName, attempt: number, command: string[]) => void = () => {},
  taskMs = 0,
) {
  const calls: string[][] = [];
  const envs: Record<string, string>[] = [];
  const events: string[] = [];
  const attempts = new Map<string, number>();
  const handlers = Object.fromEntries(
    statesWithResource(defs[name].text, ECS_RESOURCE).map((state) => [
      state,
      async (input: Json) => {
        const req = input as unknown as RunTaskInput;
        const override = req.Overrides.ContainerOverrides[0];
        const job = override.Command[0] as JobName;
        expect(req.Cluster).toBe(VALUES.cluster_arn);
        expect(req.TaskDefinition).toBe(VALUES[taskDefinitionPlaceholder(job)]);
        expect(req.NetworkConfiguration.AwsvpcConfiguration.Subnets).toEqual(VALUES.subnet_ids);
        expect(override.Name).toBe('job');
        const key = override.Command.join(' ');
        const n = (attempts.get(key) ?? 0) + 1;
        attempts.set(key, n);
        calls.push(override.Command);
        envs.push(Object.fromEntries((override.Environment ?? []).map((e) => [e.Name, e.Value])));
        events.push(`start ${key}`);
        if (taskMs > 0) await new Promise((r) => setTimeout(r, taskMs));
        try {
          behaviour(job, n, override.Command);
        } finally {
          events.push(`end ${key}`);
        }
        return { Tasks: [{ LastStatus: 'STOPPED', Containers: [{ ExitCode: 0 }] }] };
      },
    ]),
  );
  return { calls, envs, events, handlers };
}

function fakeSns(name: DefinitionName = 'daily') {
  const published: { Subject: string; message: Record<string, unknown> }[] = [];
  const handler = (input: Json) => {
    const req = input as { TopicArn: string; Subject: string; Message: string };
    expect(req.TopicArn).toBe(VALUES.alerts_topic_arn);
    published.push({ Subject: req.Subject, message: JSON.parse(req.Message) });
    return { MessageId: 'm-1' };
  };
  const notifiers = [...statesWithResource(defs[name].text, 'arn:aws:states:::sns:publish')];
  expect(notifiers.length).toBeGreaterThan(0);
  return { published, handlers: Object.fromEntries(notifiers.map((s) => [s, handler])) };
}

const athenaResult = (value: string) => ({ ResultSet: { Rows: [{ Data: [{ VarCharValue: 'header' }] }, { Data: [{ VarCharValue: value }] }] } });
const athenaHandlers = (value: string, planState: string, readState: string) => ({
  [planState]: (input: Json) => {
    expect((input as { WorkGroup: string }).WorkGroup).toBe(VALUES.athena_workgroup);
    return { QueryExecution: { QueryExecutionId: 'q-1', Status: { State: 'SUCCEEDED' } } };
  },
  [readState]: (input: Json) => {
    expect(input).toEqual({ QueryExecutionId: 'q-1' });
    return athenaResult(value);
  },
});

const NO_PAUSE = Object.fromEntries(renderedDefinitions().flatMap((d) => statesWithResource(d.text, ECS_RESOURCE)).map((state) => [state, 0]));

describe('committed definitions', () => {
  test.each(renderedDefinitions())('$path is up to date with src/graph (else run npx tsx src/graph/write-definitions.ts)', ({ path, text }) => {
    expect(committed(path)).toBe(text);
  });

  test.each(renderedDefinitions())('$name passes asl-validator', ({ text }) => {
    const { isValid, errorsText } = aslValidator(JSON.parse(text));
    if (!isValid) throw new Error(`asl-validator: ${errorsText('\n')}`);
  });

  test.each(renderedDefinitions())('$name: every ECS task retries transient errors only and has a Catch', ({ text }) => {
    const tasks: Record<string, Record<string, unknown>>[] = [];
    JSON.parse(text, (_k, v) => {
      if (v && typeof v === 'object' && v.Resource === 'arn:aws:states:::ecs:runTask.sync') tasks.push(v);
      return v;
    });
    expect(tasks.length).toBeGreaterThan(0);
    for (const task of tasks) {
      const retried = (task.Retry as unknown as { ErrorEquals: string[] }[]).flatMap((r) => r.ErrorEquals);
      expect(retried).toEqual(expect.arrayContaining([...TRANSIENT_ERRORS]));
      expect(retried).not.toContain('States.ALL');
      expect(retried).not.toContain('States.TaskFailed');
      expect(task.Catch).toEqual([expect.objectContaining({ ErrorEquals: ['States.ALL'] })]);
    }
  });

  test('every placeholder is supplied by the orchestration module', () => {
    const module = readFileSync(resolve(ROOT, 'infrastructure/modules/orchestration/main.tf'), 'utf8');
    for (const { text } of renderedDefinitions()) {
      for (const name of placeholdersOf(text)) {
        if (name.startsWith('task_definition_')) continue; // built in a for expression over the jobs
        expect(module).toMatch(new RegExp(`\\b${name}\\s*=`));
      }
      expect(() => fillPlaceholders(text, VALUES)).not.toThrow();
    }
    expect(module).toContain('task_definition_${job}');
  });
});

describe('daily state machine, run locally', () => {
  test('a green backfill runs every job once per date, dates in order, calc after both ingests', async () => {
    const ecs = fakeCluster('daily');
    const sns = fakeSns();
    const dates = ['2026-03-07', '2026-03-08'];
    const out = await machine('daily').run({ dates }, { overrides: { taskResourceLocalHandlers: { ...ecs.handlers, ...sns.handlers } } }).result;
    expect(out).toEqual({ dates });
    expect(sns.published).toEqual([]);
    expect(ecs.calls).toHaveLength(DAILY_JOBS.length * dates.length);
    const order = ecs.calls.map((c) => `${c[2]} ${c[0]}`);
    for (const [i, date] of dates.entries()) {
      const slice = order.slice(i * DAILY_JOBS.length, (i + 1) * DAILY_JOBS.length);
      expect(slice.every((s) => s.startsWith(date))).toBe(true);
      expect(slice.at(-1)).toBe(`${date} ace_unit_calc_daily`);
      expect(new Set(slice)).toEqual(new Set(DAILY_JOBS.map((j) => `${date} ${j}`)));
    }
    expect(ecs.calls[0]).toEqual([expect.any(String), '--date', '2026-03-07']);
  });

  test('a failed ingest job: calc never starts, SNS names the job, date and error, the execution fails', async () => {
    const ecs = fakeCluster('daily', (job) => {
      // No double quotes in the cause: the local States.JsonToString does not escape nested strings (AWS does).
      if (job === 'notification_attempted_daily') throw new AwsError('States.TaskFailed', 'StopCode EssentialContainerExited, exit code 1');
    });
    const sns = fakeSns();
    // One date: aws-local-stepfunctions keeps starting queued Map items after one fails (AWS does not).
    const run = machine('daily').run(
      { dates: ['2026-03-07'] },
      { overrides: { taskResourceLocalHandlers: { ...ecs.handlers, ...sns.handlers }, retryIntervalOverrides: NO_PAUSE } },
    );
    await expect(run.result).rejects.toMatchObject({
      cause: { name: 'JobFailed', message: expect.stringContaining('notification_attempted_daily failed for date 2026-03-07: States.TaskFailed') },
    });
    const jobsRun = ecs.calls.map((c) => c[0]);
    expect(jobsRun).not.toContain('ace_unit_calc_daily');
    expect(jobsRun.filter((j) => j === 'notification_attempted_daily')).toHaveLength(1); // TaskFailed is not retried
    expect(sns.published).toHaveLength(1);
    expect(sns.published[0].Subject).toBe('ace-unit: notification_attempted_daily failed');
    expect(sns.published[0].message).toMatchObject({
      job: 'notification_attempted_daily',
      date: '2026-03-07',
      error: { Error: 'States.TaskFailed', Cause: expect.stringContaining('EssentialContainerExited') },
    });
  });

  test('a transient ECS error is absorbed by the retry', async () => {
    const ecs = fakeCluster('daily', (job, attempt) => {
      if (job === 'notification_delivered_daily' && attempt === 1) throw new AwsError('ECS.AmazonECSException', 'Rate exceeded');
    });
    const sns = fakeSns();
    const out = await machine('daily').run(
      { dates: ['2026-03-08'] },
      { overrides: { taskResourceLocalHandlers: { ...ecs.handlers, ...sns.handlers }, retryIntervalOverrides: NO_PAUSE } },
    ).result;
    expect(out).toEqual({ dates: ['2026-03-08'] });
    expect(ecs.calls.filter((c) => c[0] === 'notification_delivered_daily')).toHaveLength(2);
    expect(ecs.calls.at(-1)).toEqual(['ace_unit_calc_daily', '--date', '2026-03-08']);
    expect(sns.published).toEqual([]);
  });

  test('the scheduled form ({}) plans the open dates with Athena and runs them oldest first', async () => {
    const ecs = fakeCluster('daily');
    const planned = ['2026-03-06', '2026-03-07', '2026-03-08'];
    const handlers = { ...ecs.handlers, ...fakeSns().handlers, ...athenaHandlers(JSON.stringify(planned), 'Plan open dates', 'Read open dates') };
    const out = await machine('daily').run({}, { overrides: { taskResourceLocalHandlers: handlers } }).result;
    expect(out).toEqual({ dates: planned });
    expect([...new Set(ecs.calls.map((c) => c[2]))]).toEqual(planned);
  });

  test('the Map state processes one date at a time', () => {
    const daily = JSON.parse(defs.daily.text);
    expect(daily.States[DAILY_MAP_STATE]).toMatchObject({ Type: 'Map', MaxConcurrency: 1, ItemsPath: '$.dates' });
  });
});

describe('daily shapes: one task per job (shard_count 1) or shards plus a merge', () => {
  const daily = JSON.parse(defs.daily.text);
  const sharded = JSON.parse(defs.daily_sharded.text);
  const perDate = (d: { States: Record<string, { ItemProcessor: { StartAt: string; States: Record<string, Record<string, unknown>> } }> }) =>
    d.States[DAILY_MAP_STATE].ItemProcessor;

  test('daily.asl.json (shard_count 1) has no shard state, flag or placeholder', () => {
    expect(defs.daily.text).not.toMatch(/shard/i);
    expect(statesWithResource(defs.daily.text, ECS_RESOURCE).sort()).toEqual([...DAILY_JOBS].sort());
  });

  test('daily-sharded.asl.json: the shardable jobs are a Map of N shard tasks then a merge; the other jobs are untouched', () => {
    expect(placeholdersOf(defs.daily_sharded.text)).toEqual([...placeholdersOf(defs.daily.text), SHARD_COUNT_PLACEHOLDER].sort());
    expect(sharded.States[DAILY_MAP_STATE].ItemSelector).toEqual({ 'date.$': '$$.Map.Item.Value', shard_count: '${shard_count}' });
    const processor = perDate(sharded);
    expect(processor.StartAt).toBe(PLAN_SHARDS_STATE);
    expect(processor.States[PLAN_SHARDS_STATE].Parameters).toMatchObject({
      'shard_indexes.$': 'States.ArrayRange(0, States.MathAdd($.shard_count, -1), 1)',
    });
    const maps: Record<string, unknown>[] = [];
    JSON.parse(defs.daily_sharded.text, (key, v) => {
      if (v && typeof v === 'object' && v.Type === 'Map' && v.ItemsPath === '$.shard_indexes') maps.push(v);
      return v;
    });
    expect(maps).toHaveLength(SHARDABLE_JOBS.length);
    for (const map of maps) expect(map).toMatchObject({ MaxConcurrencyPath: '$.shard_count', ResultPath: null, Next: expect.stringMatching(/ merge$/) });
    const unsharded = DAILY_JOBS.filter((j) => !SHARDABLE_JOBS.includes(j));
    expect(statesWithResource(defs.daily_sharded.text, ECS_RESOURCE).filter((n) => (DAILY_JOBS as readonly string[]).includes(n)).sort()).toEqual(
      [...unsharded].sort(),
    );
    // The single-task states of the other jobs are the same objects as in daily.asl.json.
    const branches = (d: typeof daily) => perDate(d).States['Level 1 in parallel'].Branches as { StartAt: string; States: Record<string, unknown> }[];
    for (const job of unsharded) {
      expect(branches(sharded).find((b) => b.StartAt === job)).toEqual(branches(daily).find((b) => b.StartAt === job));
    }
    expect(processor.States[mergeTaskName('ace_unit_calc_daily')]).toMatchObject({ End: true });
    expect(perDate(sharded).States['Level 1 in parallel']).toMatchObject({ Next: shardMapName('ace_unit_calc_daily') });
  });
});

describe('sharded daily state machine (shard_count 3), run locally', () => {
  const N = 3;
  const values = { ...VALUES, shard_count: N };
  const INGESTS = ['notification_attempted_daily', 'notification_delivered_daily'] as const;
  const shardCommand = (job: JobName, date: string, k: number) => `${job} --date ${date} --shard ${k}/${N}`;
  const mergeCommand = (job: JobName, date: string) => `${job} --date ${date} --merge-shards ${N}`;

  test('a green day: N shard tasks per sharded job, each merge after its shards, calc shards after both ingest merges, calc merge last', async () => {
    const ecs = fakeCluster('daily_sharded', () => {}, 5);
    const sns = fakeSns('daily_sharded');
    const date = '2026-03-08';
    const out = await machine('daily_sharded', values).run(
      { dates: [date] },
      { overrides: { taskResourceLocalHandlers: { ...ecs.handlers, ...sns.handlers } } },
    ).result;
    expect(out).toEqual({ dates: [date] });
    expect(sns.published).toEqual([]);
    const commands = ecs.calls.map((c) => c.join(' '));
    const expected = [
      ...SHARDABLE_JOBS.flatMap((j) => [...Array.from({ length: N }, (_, k) => shardCommand(j as JobName, date, k)), mergeCommand(j as JobName, date)]),
      ...DAILY_JOBS.filter((j) => !SHARDABLE_JOBS.includes(j)).map((j) => `${j} --date ${date}`),
    ];
    expect([...commands].sort()).toEqual(expected.sort()); // each exactly once
    const at = (event: string) => {
      const i = ecs.events.indexOf(event);
      expect(i).toBeGreaterThanOrEqual(0);
      return i;
    };
    const shardsEnd = (job: JobName) => Math.max(...Array.from({ length: N }, (_, k) => at(`end ${shardCommand(job, date, k)}`)));
    const shardsStart = (job: JobName) => Math.min(...Array.from({ length: N }, (_, k) => at(`start ${shardCommand(job, date, k)}`)));
    for (const job of SHARDABLE_JOBS as JobName[]) expect(at(`start ${mergeCommand(job, date)}`)).toBeGreaterThan(shardsEnd(job));
    for (const ingest of INGESTS) expect(shardsStart('ace_unit_calc_daily')).toBeGreaterThan(at(`end ${mergeCommand(ingest, date)}`));
    expect(ecs.events.at(-1)).toBe(`end ${mergeCommand('ace_unit_calc_daily', date)}`);
    // The N shards of a job run side by side (MaxConcurrency N): all start before the first ends.
    const firstEnd = Math.min(...Array.from({ length: N }, (_, k) => at(`end ${shardCommand('ace_unit_calc_daily', date, k)}`)));
    expect(shardsStart('ace_unit_calc_daily')).toBeLessThan(firstEnd);
    expect(Math.max(...Array.from({ length: N }, (_, k) => at(`start ${shardCommand('ace_unit_calc_daily', date, k)}`)))).toBeLessThan(firstEnd);
  });

  test('a failed shard: its merge and the calc never start, SNS names the job, date and shard, the execution fails', async () => {
    const ecs = fakeCluster('daily_sharded', (job, _attempt, command) => {
      if (job === 'notification_attempted_daily' && command[4] === `1/${N}`) {
        throw new AwsError('States.TaskFailed', 'StopCode EssentialContainerExited, exit code 1');
      }
    });
    const sns = fakeSns('daily_sharded');
    const date = '2026-03-07';
    const run = machine('daily_sharded', values).run(
      { dates: [date] },
      { overrides: { taskResourceLocalHandlers: { ...ecs.handlers, ...sns.handlers }, retryIntervalOverrides: NO_PAUSE } },
    );
    await expect(run.result).rejects.toMatchObject({
      cause: {
        name: 'JobFailed',
        message: expect.stringContaining(`notification_attempted_daily failed for date ${date} (shard 1/${N}): States.TaskFailed`),
      },
    });
    const commands = ecs.calls.map((c) => c.join(' '));
    expect(commands).not.toContain(mergeCommand('notification_attempted_daily', date));
    expect(commands.filter((c) => c.startsWith('ace_unit_calc_daily'))).toEqual([]);
    expect(commands.filter((c) => c === shardCommand('notification_attempted_daily', date, 1))).toHaveLength(1); // TaskFailed is not retried
    expect(sns.published).toHaveLength(1);
    expect(sns.published[0].Subject).toBe('ace-unit: notification_attempted_daily failed');
    expect(sns.published[0].message).toMatchObject({
      job: 'notification_attempted_daily',
      date,
      shard: `1/${N}`,
      error: { Error: 'States.TaskFailed', Cause: expect.stringContaining('EssentialContainerExited') },
    });
  });

  test('a transient ECS error on a shard is retried; a failed merge stops the calc and notifies with the shard count', async () => {
    const ecs = fakeCluster('daily_sharded', (job, attempt, command) => {
      if (job === 'notification_delivered_daily' && command[4] === `2/${N}` && attempt === 1) throw new AwsError('ECS.AmazonECSException', 'Rate exceeded');
      if (job === 'notification_delivered_daily' && command[3] === '--merge-shards') throw new AwsError('States.TaskFailed', 'exit code 1');
    });
    const sns = fakeSns('daily_sharded');
    const date = '2026-03-09';
    await expect(
      machine('daily_sharded', values).run(
        { dates: [date] },
        { overrides: { taskResourceLocalHandlers: { ...ecs.handlers, ...sns.handlers }, retryIntervalOverrides: NO_PAUSE } },
      ).result,
    ).rejects.toMatchObject({
      cause: { name: 'JobFailed', message: expect.stringContaining(`notification_delivered_daily failed for date ${date} (merge of ${N} shards)`) },
    });
    const commands = ecs.calls.map((c) => c.join(' '));
    expect(commands.filter((c) => c === shardCommand('notification_delivered_daily', date, 2))).toHaveLength(2);
    expect(commands.filter((c) => c.startsWith('ace_unit_calc_daily'))).toEqual([]);
    expect(sns.published.map((p) => p.message)).toEqual([
      expect.objectContaining({ job: 'notification_delivered_daily', date, merge_shards: N }),
    ]);
  });

  test('two dates run one after the other, each with its own shards', async () => {
    const ecs = fakeCluster('daily_sharded');
    const dates = ['2026-03-07', '2026-03-08'];
    await machine('daily_sharded', values).run({ dates }, { overrides: { taskResourceLocalHandlers: { ...ecs.handlers, ...fakeSns('daily_sharded').handlers } } }).result;
    const perJob = SHARDABLE_JOBS.length * (N + 1) + (DAILY_JOBS.length - SHARDABLE_JOBS.length);
    expect(ecs.calls).toHaveLength(perJob * dates.length);
    expect(ecs.calls.slice(0, perJob).every((c) => c[2] === dates[0])).toBe(true);
    expect(ecs.calls.at(-1)?.join(' ')).toBe(mergeCommand('ace_unit_calc_daily', dates[1]));
  });
});

describe('monthly state machine, run locally', () => {
  test('waits for a running daily execution, then runs both exports for the month with the final flag', async () => {
    const ecs = fakeCluster('monthly');
    let listed = 0;
    const handlers = {
      ...ecs.handlers,
      ...fakeSns('monthly').handlers,
      'List running daily executions': (input: Json) => {
        expect(input).toMatchObject({ StateMachineArn: VALUES.daily_state_machine_arn, StatusFilter: 'RUNNING' });
        listed += 1;
        return { Executions: listed === 1 ? [{ ExecutionArn: 'arn:running' }] : [] };
      },
    };
    const out = await machine('monthly').run(
      { month: '2026-02', final: true },
      { overrides: { taskResourceLocalHandlers: handlers, waitTimeOverrides: { 'Wait for the daily run': 0 } } },
    ).result;
    expect(out).toMatchObject({ month: '2026-02', final: true });
    expect(listed).toBe(2);
    expect(ecs.calls.map((c) => c.join(' ')).sort()).toEqual(MONTHLY_JOBS.map((j) => `${j} --month 2026-02`).sort());
    expect(ecs.envs).toEqual([{ ACE_EXPORT_FINAL: 'true' }, { ACE_EXPORT_FINAL: 'true' }]);
  });

  test('the scheduled form ({"final": false}) exports the previous month, not final', async () => {
    const ecs = fakeCluster('monthly');
    const handlers = {
      ...ecs.handlers,
      ...fakeSns('monthly').handlers,
      ...athenaHandlers('2026-02', 'Plan previous month', 'Read previous month'),
      'List running daily executions': () => ({ Executions: [] }),
    };
    await machine('monthly').run({ final: false }, { overrides: { taskResourceLocalHandlers: handlers } }).result;
    expect(ecs.calls.map((c) => c.slice(1))).toEqual([
      ['--month', '2026-02'],
      ['--month', '2026-02'],
    ]);
    expect(ecs.envs).toEqual([{ ACE_EXPORT_FINAL: 'false' }, { ACE_EXPORT_FINAL: 'false' }]);
  });

  test('a failed export notifies with the month and fails the execution', async () => {
    const ecs = fakeCluster('monthly', (job) => {
      if (job === 'ace_unit_monthly_output') throw new AwsError('States.TaskFailed', 'reconciliation mismatch');
    });
    const sns = fakeSns('monthly');
    const handlers = { ...ecs.handlers, ...sns.handlers, 'List running daily executions': () => ({ Executions: [] }) };
    await expect(machine('monthly').run({ month: '2026-02', final: false }, { overrides: { taskResourceLocalHandlers: handlers } }).result).rejects.toMatchObject({
      cause: { name: 'JobFailed' },
    });
    expect(sns.published.map((p) => p.message)).toEqual([expect.objectContaining({ job: 'ace_unit_monthly_output', month: '2026-02' })]);
  });

  test('an input without the final flag is refused before any job runs', async () => {
    const ecs = fakeCluster('monthly');
    await expect(machine('monthly').run({ month: '2026-02' }, { overrides: { taskResourceLocalHandlers: ecs.handlers } }).result).rejects.toMatchObject({
      cause: { name: 'InvalidInput' },
    });
    expect(ecs.calls).toEqual([]);
  });
});
