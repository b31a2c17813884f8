/**
 * The Step Functions definitions: committed files match the generator, pass asl-validator, and run in
 * aws-local-stepfunctions with local handlers standing in for ECS, SNS, Athena and the SFN SDK call.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DAILY_JOBS, MONTHLY_JOBS, type JobName } from '../../src/graph/graph';
import { SHARDABLE_JOBS } from '../../jobs/index';
import {
  DAILY_MAP_STATE,
  PLAN_SHARDS_STATE,
  SHARD_COUNT_PLACEHOLDER,
  TRANSIENT_ERRORS,
  fillPlaceholders,
  DEFAULT_LATENESS_HOURS,
  LOOK_FOR_DAILY_STATE,
  MONTH_CLOSE_REFUSED,
  PLAN_FROM_STATE,
  PLAN_WITHOUT_STATE,
  READ_DAILY_STATE,
  READ_DAILY_STATE_FOR_CLOSE,
  RECORD_DAILY_STATE,
  mergeTaskName,
  placeholdersOf,
  renderedDefinitions,
  shardMapName,
  taskDefinitionPlaceholder,
  type DefinitionName,
  type Json,
} from '../../src/graph/stepfunctions';
import { DAILY_STATE_KEY, closedMonth, closedThrough, dailyRunState, scheduledDates, scheduledDatesSql, type DailyRunState } from '../../src/graph/schedule';
import type { BusinessDate } from '../../src/time/time';

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
  lake_bucket: 'ace-unit-lake',
  daily_state_key: `lake/${DAILY_STATE_KEY}`,
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
        // The month close's certificate step runs in the first monthly export's task definition.
        const job = (override.Command[0] === 'certificate' ? MONTHLY_JOBS[0] : override.Command[0]) as JobName;
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

  test('the Map state processes one date at a time', () => {
    const daily = JSON.parse(defs.daily.text);
    expect(daily.States[DAILY_MAP_STATE]).toMatchObject({ Type: 'Map', MaxConcurrency: 1, ItemsPath: '$.dates' });
  });
});

/**
 * The scheduled form ({}): the machine reads the last successful scheduled run from the lake, plans
 * with Athena, runs the dates, and records itself. Local S3 and Athena stand in: the Athena handler
 * evaluates the plan with src/graph/schedule.ts (the rule the SQL encodes) at a fixed "now", from the
 * execution parameter the machine passes, so the test follows the stored date through the machine.
 */
describe('scheduled daily run: planned from the last successful run, recorded after success', () => {
  const STATE_KEY = VALUES.daily_state_key as string;
  function fakeLakeState(initial: DailyRunState | null | string) {
    let body: string | null = initial === null ? null : typeof initial === 'string' ? initial : JSON.stringify(initial);
    const reads: unknown[] = [];
    const writes: Record<string, unknown>[] = [];
    const check = (input: Json) => {
      expect(input).toMatchObject({ Bucket: VALUES.lake_bucket, Key: STATE_KEY });
    };
    return {
      reads,
      writes,
      get body() {
        return body;
      },
      handlers: {
        [LOOK_FOR_DAILY_STATE]: (input: Json) => {
          expect(input).toEqual({ Bucket: VALUES.lake_bucket, Prefix: STATE_KEY, MaxKeys: 1 });
          return { KeyCount: body === null ? 0 : 1, Contents: body === null ? [] : [{ Key: STATE_KEY }] };
        },
        [READ_DAILY_STATE]: (input: Json) => {
          check(input);
          reads.push(input);
          if (body === null) throw new AwsError('S3.NoSuchKeyException', 'The specified key does not exist.');
          return { Body: body, ContentType: 'application/json' };
        },
        [RECORD_DAILY_STATE]: (input: Json) => {
          check(input);
          const req = input as { Body: string; ContentType: string };
          expect(req.ContentType).toBe('application/json');
          body = req.Body;
          writes.push(JSON.parse(req.Body));
          return { ETag: '"e"' };
        },
      },
    };
  }
  /** Athena evaluating the plan at `now`: the stored closed_through arrives as the one execution parameter. */
  function fakeAthena(now: Date) {
    const queries: { sql: string; parameters?: string[] }[] = [];
    let result: string[] = [];
    const start = (input: Json) => {
      const req = input as { QueryString: string; WorkGroup: string; ExecutionParameters?: string[] };
      expect(req.WorkGroup).toBe(VALUES.athena_workgroup);
      queries.push({ sql: req.QueryString, parameters: req.ExecutionParameters });
      const fromState = req.ExecutionParameters !== undefined;
      expect(req.QueryString).toBe(scheduledDatesSql(DEFAULT_LATENESS_HOURS, fromState));
      let last: { closed_through: BusinessDate } | null = null;
      if (fromState) {
        expect(req.ExecutionParameters).toHaveLength(1);
        const m = /^'(\d{4}-\d{2}-\d{2})'$/.exec(req.ExecutionParameters![0]);
        expect(m).not.toBeNull(); // a quoted literal
        last = { closed_through: m![1] as BusinessDate };
      }
      const dates = scheduledDates(now, DEFAULT_LATENESS_HOURS, last);
      const closed = closedThrough(now, DEFAULT_LATENESS_HOURS);
      result = [JSON.stringify(dates), closed, closedMonth(closed)];
      return { QueryExecution: { QueryExecutionId: 'q-plan', Status: { State: 'SUCCEEDED' } } };
    };
    const read = (input: Json) => {
      expect(input).toEqual({ QueryExecutionId: 'q-plan' });
      return { ResultSet: { Rows: [{ Data: [{ VarCharValue: 'dates' }, { VarCharValue: 'closed_through' }, { VarCharValue: 'closed_month' }] }, { Data: result.map((v) => ({ VarCharValue: v })) }] } };
    };
    return { queries, handlers: { [PLAN_FROM_STATE]: start, [PLAN_WITHOUT_STATE]: start, 'Read planned dates': read } };
  }
  /** "Now" of the scheduled runs below: 2026-03-10 04:15 EDT (Athena's current_timestamp). */
  const NOW = '2026-03-10T08:15:00.000Z';
  const datesRun = (ecs: ReturnType<typeof fakeCluster>) => [...new Set(ecs.calls.map((c) => c[2]))];

  test('an outage of 4 days: the next run rebuilds every date whose window closed since the last success, then records itself', async () => {
    // Last success on 2026-03-05 at 04:15 EST; the runs of 03-06 … 03-09 did not happen. Now: 03-10 04:15 EDT.
    const lake = fakeLakeState(dailyRunState(new Date('2026-03-05T09:15:00Z'), DEFAULT_LATENESS_HOURS, ['2026-03-02', '2026-03-03', '2026-03-04'] as BusinessDate[]));
    const now = new Date(NOW);
    const athena = fakeAthena(now);
    const ecs = fakeCluster('daily');
    const sns = fakeSns();
    const out = await machine('daily').run({}, { overrides: { taskResourceLocalHandlers: { ...ecs.handlers, ...sns.handlers, ...lake.handlers, ...athena.handlers } } }).result;
    const expected = ['2026-03-03', '2026-03-04', '2026-03-05', '2026-03-06', '2026-03-07', '2026-03-08', '2026-03-09'];
    expect(athena.queries).toEqual([{ sql: expect.any(String), parameters: ["'2026-03-02'"] }]);
    expect(datesRun(ecs)).toEqual(expected); // oldest first, not only today-3 … today-1
    expect(ecs.calls).toHaveLength(DAILY_JOBS.length * expected.length);
    expect(sns.published).toEqual([]);
    // The state the local form writes for a run planned now (schedule.ts); `at` is $$.Execution.StartTime.
    expect(lake.writes).toEqual([{ ...dailyRunState(now, DEFAULT_LATENESS_HOURS, expected as BusinessDate[]), at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/) }]);
    expect(lake.writes[0]).toMatchObject({ closed_through: '2026-03-07', closed_month: '2026-02' });
    expect(out).toMatchObject({ dates: expected, schedule: { closed_through: '2026-03-07', closed_month: '2026-02' } });
  });

  test('a failed date records nothing, so the next run plans the same dates again (and the day after)', async () => {
    const last = dailyRunState(new Date('2026-03-05T09:15:00Z'), DEFAULT_LATENESS_HOURS, []);
    const lake = fakeLakeState(last);
    const failing = fakeCluster('daily', (job, _n, command) => {
      if (job === 'ace_unit_calc_daily' && command[2] === '2026-03-05') throw new AwsError('States.TaskFailed', 'exit code 4');
    });
    const sns = fakeSns();
    const run = machine('daily').run({}, {
      overrides: { taskResourceLocalHandlers: { ...failing.handlers, ...sns.handlers, ...lake.handlers, ...fakeAthena(new Date(NOW)).handlers }, retryIntervalOverrides: NO_PAUSE },
    });
    await expect(run.result).rejects.toMatchObject({ cause: { name: 'JobFailed', message: expect.stringContaining('ace_unit_calc_daily failed for date 2026-03-05') } });
    // Oldest first up to the failure (aws-local-stepfunctions may start queued Map items after it; AWS does not).
    expect(datesRun(failing).slice(0, 3)).toEqual(['2026-03-03', '2026-03-04', '2026-03-05']);
    expect(lake.writes).toEqual([]);
    expect(lake.body).toBe(JSON.stringify(last));
    // The next morning: from the same stored date, through the new yesterday.
    const ecs = fakeCluster('daily');
    const nextMorning = new Date('2026-03-11T08:15:00Z');
    await machine('daily').run({}, { overrides: { taskResourceLocalHandlers: { ...ecs.handlers, ...fakeSns().handlers, ...lake.handlers, ...fakeAthena(nextMorning).handlers } } }).result;
    expect(datesRun(ecs)).toEqual(['2026-03-03', '2026-03-04', '2026-03-05', '2026-03-06', '2026-03-07', '2026-03-08', '2026-03-09', '2026-03-10']);
    expect(lake.writes).toHaveLength(1);
  });

  test('the first scheduled run (no state in the lake) plans the last 24 hours: yesterday and the two days before', async () => {
    const lake = fakeLakeState(null);
    const athena = fakeAthena(new Date(NOW));
    const ecs = fakeCluster('daily');
    await machine('daily').run({}, { overrides: { taskResourceLocalHandlers: { ...ecs.handlers, ...fakeSns().handlers, ...lake.handlers, ...athena.handlers } } }).result;
    expect(athena.queries).toEqual([{ sql: scheduledDatesSql(DEFAULT_LATENESS_HOURS, false), parameters: undefined }]);
    expect(datesRun(ecs)).toEqual(['2026-03-07', '2026-03-08', '2026-03-09']);
    expect(lake.writes).toHaveLength(1);
  });

  test('given dates (a backfill) neither read nor write the scheduled state', async () => {
    const lake = fakeLakeState(null);
    const ecs = fakeCluster('daily');
    await machine('daily').run({ dates: ['2026-03-01'] }, { overrides: { taskResourceLocalHandlers: { ...ecs.handlers, ...fakeSns().handlers, ...lake.handlers } } }).result;
    expect(lake.reads).toEqual([]);
    expect(lake.writes).toEqual([]);
  });

  test('an unreadable state fails the plan loudly (SNS, failed execution) and runs nothing', async () => {
    const lake = fakeLakeState('{"at":"yesterday"}');
    const ecs = fakeCluster('daily');
    const sns = fakeSns();
    await expect(
      machine('daily').run({}, { overrides: { taskResourceLocalHandlers: { ...ecs.handlers, ...sns.handlers, ...lake.handlers, ...fakeAthena(new Date(NOW)).handlers } } }).result,
    ).rejects.toMatchObject({ cause: { name: 'JobFailed', message: expect.stringContaining('plan_scheduled_dates failed: UnreadableState') } });
    expect(ecs.calls).toEqual([]);
    expect(sns.published.map((p) => p.message)).toEqual([expect.objectContaining({ job: 'plan_scheduled_dates', error: expect.objectContaining({ Cause: expect.stringContaining('closed_through') }) })]);
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
  const routeCommand = (job: JobName, date: string) => `${job} --date ${date} --route ${N}`;

  test('a green day: each event stream routed before its shards, N shard tasks per sharded job, each merge after its shards, calc shards after both ingest merges, calc merge last', async () => {
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
      ...INGESTS.map((j) => routeCommand(j, date)),
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
    for (const ingest of INGESTS) expect(shardsStart(ingest)).toBeGreaterThan(at(`end ${routeCommand(ingest, date)}`));
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
    const perJob = SHARDABLE_JOBS.length * (N + 1) + INGESTS.length + (DAILY_JOBS.length - SHARDABLE_JOBS.length);
    expect(ecs.calls).toHaveLength(perJob * dates.length);
    expect(ecs.calls.slice(0, perJob).every((c) => c[2] === dates[0])).toBe(true);
    expect(ecs.calls.at(-1)?.join(' ')).toBe(mergeCommand('ace_unit_calc_daily', dates[1]));
  });
});

describe('hourly router state machine (shard_count 3), run locally', () => {
  const values = { ...VALUES, shard_count: 3 };
  const hourEnding = '2026-03-08T15:20:00Z';

  test('each event stream routes the hour that closed, side by side, with the scheduled time', async () => {
    const ecs = fakeCluster('route_hourly', () => {}, 5);
    const sns = fakeSns('route_hourly');
    await machine('route_hourly', values).run({ hour_ending: hourEnding }, { overrides: { taskResourceLocalHandlers: { ...ecs.handlers, ...sns.handlers } } }).result;
    expect(ecs.calls.map((c) => c.join(' ')).sort()).toEqual([
      `notification_attempted_daily --route 3 --hour-ending ${hourEnding}`,
      `notification_delivered_daily --route 3 --hour-ending ${hourEnding}`,
    ]);
    expect(ecs.events.slice(0, 2).every((e) => e.startsWith('start'))).toBe(true);
    expect(sns.published).toEqual([]);
  });

  test('a failed route notifies with the hour and fails the execution', async () => {
    const ecs = fakeCluster('route_hourly', (job) => {
      if (job === 'notification_delivered_daily') throw new AwsError('States.TaskFailed', 'exit code 4');
    });
    const sns = fakeSns('route_hourly');
    await expect(
      machine('route_hourly', values).run({ hour_ending: hourEnding }, { overrides: { taskResourceLocalHandlers: { ...ecs.handlers, ...sns.handlers }, retryIntervalOverrides: NO_PAUSE } }).result,
    ).rejects.toMatchObject({ cause: { name: 'JobFailed', message: expect.stringContaining(`notification_delivered_daily failed (routing the hour ending ${hourEnding})`) } });
    expect(sns.published.map((p) => p.message)).toEqual([expect.objectContaining({ job: 'notification_delivered_daily', hour_ending: hourEnding })]);
  });
});

describe('monthly state machine, run locally', () => {
  /** The lake's scheduled-run state as the month close reads it (written by the daily machine). */
  const closeState = (state: DailyRunState | null) => {
    const reads: Json[] = [];
    return {
      reads,
      handlers: {
        [LOOK_FOR_DAILY_STATE]: (input: Json) => {
          expect(input).toEqual({ Bucket: VALUES.lake_bucket, Prefix: VALUES.daily_state_key, MaxKeys: 1 });
          return { KeyCount: state === null ? 0 : 1 };
        },
        [READ_DAILY_STATE_FOR_CLOSE]: (input: Json) => {
          expect(input).toMatchObject({ Bucket: VALUES.lake_bucket, Key: VALUES.daily_state_key });
          reads.push(input);
          if (state === null) throw new AwsError('S3.NoSuchKeyException', 'The specified key does not exist.');
          return { Body: JSON.stringify(state) };
        },
      },
    };
  };
  // The daily run of 2026-03-03 04:15 EST succeeded: it closed 2026-02-28, the last day of February.
  const closedFebruary = dailyRunState(new Date('2026-03-03T09:15:00Z'), DEFAULT_LATENESS_HOURS, ['2026-02-28', '2026-03-01', '2026-03-02'] as BusinessDate[]);
  // Only the run of 03-02 succeeded (the 3rd's failed): windows closed through 02-27.
  const failedOnThe3rd = dailyRunState(new Date('2026-03-02T09:15:00Z'), DEFAULT_LATENESS_HOURS, ['2026-02-27', '2026-02-28', '2026-03-01'] as BusinessDate[]);

  test('waits for a running daily execution, checks the daily runs closed the month, then runs both exports with the final flag', async () => {
    expect(closedFebruary).toMatchObject({ closed_through: '2026-02-28', closed_month: '2026-02' });
    const ecs = fakeCluster('monthly');
    const lake = closeState(closedFebruary);
    let listed = 0;
    const handlers = {
      ...ecs.handlers,
      ...lake.handlers,
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
    expect(lake.reads).toHaveLength(1);
    expect(ecs.calls.map((c) => c.join(' ')).sort()).toEqual([...MONTHLY_JOBS.map((j) => `${j} --month 2026-02`), 'certificate --month 2026-02 --verify'].sort());
    // The certificate is verified last, after both exports ended, in the close's own environment.
    expect(ecs.events[ecs.events.length - 2]).toBe('start certificate --month 2026-02 --verify');
    expect(ecs.events.slice(0, -2).filter((e) => e.startsWith('end'))).toHaveLength(2);
    expect(ecs.envs).toEqual([{ ACE_EXPORT_FINAL: 'true' }, { ACE_EXPORT_FINAL: 'true' }, {}]);
  });

  test('after a close, a raw file changed since: certificate --verify exits 4, SNS names the step and month, the execution fails', async () => {
    const ecs = fakeCluster('monthly', (_job, _n, command) => {
      if (command[0] === 'certificate') throw new AwsError('States.TaskFailed', 'StopCode EssentialContainerExited, exit code 4');
    });
    const sns = fakeSns('monthly');
    const run = machine('monthly').run(
      { month: '2026-02', final: true },
      { overrides: { taskResourceLocalHandlers: { ...ecs.handlers, ...sns.handlers, ...closeState(closedFebruary).handlers, 'List running daily executions': () => ({ Executions: [] }) } } },
    );
    await expect(run.result).rejects.toMatchObject({ cause: { name: 'JobFailed', message: expect.stringMatching(/^certificate_verify failed for month 2026-02: States.TaskFailed/) } });
    expect(ecs.calls.map((c) => c[0]).sort()).toEqual([...MONTHLY_JOBS, 'certificate'].sort());
    expect(sns.published).toEqual([
      { Subject: 'ace-unit: certificate_verify failed', message: expect.objectContaining({ job: 'certificate_verify', month: '2026-02', error: expect.objectContaining({ Cause: expect.stringContaining('exit code 4') }) }) },
    ]);
  });

  test.each([
    ['the daily run of the 3rd failed (windows closed through 2026-02-27 only)', failedOnThe3rd, 'the last successful scheduled daily run had closed the windows through 2026-02-27 only'],
    ['no scheduled daily run ever succeeded', null, 'no successful scheduled daily run is recorded'],
  ])('month close refused before any export when %s: SNS, failed execution, nothing final', async (_case, state, reason) => {
    const ecs = fakeCluster('monthly');
    const sns = fakeSns('monthly');
    const run = machine('monthly').run(
      { month: '2026-02', final: true },
      { overrides: { taskResourceLocalHandlers: { ...ecs.handlers, ...sns.handlers, ...closeState(state).handlers, 'List running daily executions': () => ({ Executions: [] }) } } },
    );
    await expect(run.result).rejects.toMatchObject({ cause: { name: 'MonthCloseRefused', message: expect.stringContaining(`month close refused for 2026-02: ${reason}`) } });
    expect(ecs.calls).toEqual([]);
    expect(sns.published).toEqual([
      { Subject: 'ace-unit: month close refused', message: expect.objectContaining({ job: 'month_close', month: '2026-02', summary: expect.stringContaining(reason) }) },
    ]);
    expect(MONTH_CLOSE_REFUSED).toBe('month_close failed');
  });

  test('a stale date: the exports refuse (exit 4), the execution fails with SNS naming the job and month, nothing is marked final', async () => {
    // What the job prints (jobs/steps/export.ts) when status finds a stale partition; ECS reports exit code 4.
    const ecs = fakeCluster('monthly', () => {
      throw new AwsError('States.TaskFailed', 'StopCode EssentialContainerExited, exit code 4');
    });
    const sns = fakeSns('monthly');
    const run = machine('monthly').run(
      { month: '2026-02', final: true },
      { overrides: { taskResourceLocalHandlers: { ...ecs.handlers, ...sns.handlers, ...closeState(closedFebruary).handlers, 'List running daily executions': () => ({ Executions: [] }) } } },
    );
    await expect(run.result).rejects.toMatchObject({ cause: { name: 'JobFailed', message: expect.stringMatching(/^ace_unit_monthly\w* failed for month 2026-02: States.TaskFailed/) } });
    expect(ecs.calls.length).toBeGreaterThan(0);
    expect(ecs.envs.every((e) => e.ACE_EXPORT_FINAL === 'true')).toBe(true); // the jobs ran their month-close check
    expect(sns.published.length).toBeGreaterThan(0);
    for (const p of sns.published) {
      expect(p.message).toMatchObject({ month: '2026-02', error: { Error: 'States.TaskFailed', Cause: expect.stringContaining('exit code 4') } });
    }
  });

  test('the scheduled form ({"final": false}) exports the previous month, not final', async () => {
    const ecs = fakeCluster('monthly');
    const handlers = {
      ...ecs.handlers,
      ...fakeSns('monthly').handlers,
      ...athenaHandlers('2026-02', 'Plan previous month', 'Read previous month'),
      'List running daily executions': () => ({ Executions: [] }),
    };
    await machine('monthly').run({ final: false }, { overrides: { taskResourceLocalHandlers: handlers } }).result; // no state read, no certificate step
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
