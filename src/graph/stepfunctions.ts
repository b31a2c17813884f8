/**
 * The daily and monthly graphs (graph.ts) rendered as Amazon States Language. Pure: values in,
 * JSON out. `write-definitions.ts` writes them to infrastructure/modules/orchestration/definitions/,
 * where Terraform fills the `"${name}"` placeholders (see fillPlaceholders) at deploy time.
 *
 * Shape of one graph run: one state per topological level (levelsOf); a level with several jobs is
 * a Parallel state with one branch per job. Every job is an ECS `runTask.sync` task whose container
 * command is `<job> --date D` (or `--month M`). A failed job is described, published to SNS, and
 * fails the execution, so the next level (for example ace_unit_calc_daily) never starts.
 *
 * Scale-out (`{ sharded: true }`, written as daily-sharded.asl.json): each job of SHARDABLE_JOBS
 * becomes a Map over the shard indexes 0…N−1 (`<job> --date D --shard k/N`, MaxConcurrency N),
 * then one merge task (`<job> --date D --merge-shards N`). N is not baked in: it is the
 * `"${shard_count}"` placeholder, which Terraform fills (variable shard_count), carried in each
 * date's data as `$.shard_count`. Terraform deploys daily.asl.json when shard_count is 1 and
 * daily-sharded.asl.json when it is above 1.
 */
import { DEFAULT_LATENESS_HOURS } from '../rules/ace.js';
import { JOBS, SHARDABLE_JOBS } from '../../jobs/index.js';
import { DAILY_GRAPH, MONTHLY_GRAPH, MONTHLY_JOBS, levelsOf, type Graph, type JobName } from './graph.js';

/** The task definition the certificate step runs in: the first monthly export's (same image, same lake access). */
const MONTHLY_JOBS_FIRST: JobName = MONTHLY_JOBS[0];
import { DAILY_STATE_KEY, scheduledDatesSql } from './schedule.js';

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type State = { [key: string]: Json };
export interface AslDefinition {
  Comment: string;
  StartAt: string;
  TimeoutSeconds?: number;
  States: Record<string, State>;
}

/** The container name inside every job task definition (infrastructure/modules/compute). */
export const CONTAINER_NAME = 'job';

/** Lateness (SPEC "Raw input"), used to plan the scheduled daily run: dates [today-3, today-1] for 48 h. */
export { DEFAULT_LATENESS_HOURS };

/** Upper bound of one job run; a run that exceeds it is stopped and retried once (see TRANSIENT_RETRY). */
export const JOB_TIMEOUT_SECONDS = 2 * 3600;

/**
 * Retry only what a second attempt can fix. ECS.AmazonECSException / ECS.ServerException are RunTask
 * API failures (throttling, no Fargate capacity, service errors): the job never ran. States.Timeout is
 * a run past JOB_TIMEOUT_SECONDS; jobs are idempotent (a rerun replaces its partition), so one more try
 * is safe. States.TaskFailed (the container exited non-zero: bad input, reject rate, missing partition)
 * is deterministic and is never retried: it goes straight to the Catch.
 */
export const TRANSIENT_ERRORS = ['ECS.AmazonECSException', 'ECS.ServerException'] as const;
export const TRANSIENT_RETRY: State[] = [
  {
    ErrorEquals: [...TRANSIENT_ERRORS],
    IntervalSeconds: 30,
    BackoffRate: 2,
    MaxAttempts: 4,
    MaxDelaySeconds: 300,
    JitterStrategy: 'FULL',
  },
  { ErrorEquals: ['States.Timeout'], IntervalSeconds: 60, MaxAttempts: 1 },
];
const ATHENA_TRANSIENT_RETRY: State[] = [
  {
    ErrorEquals: ['Athena.TooManyRequestsException', 'Athena.InternalServerException'],
    IntervalSeconds: 10,
    BackoffRate: 2,
    MaxAttempts: 4,
    JitterStrategy: 'FULL',
  },
];
const S3_TRANSIENT_RETRY: State[] = [
  { ErrorEquals: ['S3.InternalErrorException', 'S3.SlowDownException', 'S3.ServiceUnavailableException'], IntervalSeconds: 5, BackoffRate: 2, MaxAttempts: 3 },
];
/** A missing object, as Step Functions names the SDK's NoSuchKey (both spellings, to be safe). */
const S3_NO_SUCH_KEY = ['S3.NoSuchKeyException', 'S3.NoSuchKey'];
const SNS_TRANSIENT_RETRY: State[] = [
  { ErrorEquals: ['SNS.InternalErrorException', 'SNS.ThrottledException'], IntervalSeconds: 5, BackoffRate: 2, MaxAttempts: 3 },
];

/** The placeholder Terraform fills: a whole JSON string `"${name}"` becomes the JSON of the value. */
export function placeholder(name: string): string {
  return '${' + name + '}';
}
/** Placeholder of one job's task definition ARN. */
export function taskDefinitionPlaceholder(job: JobName): string {
  return `task_definition_${job}`;
}

const PLACEHOLDER_RE = /"\$\{([a-z0-9_]+)\}"/g;

/** Names of the placeholders a rendered definition expects, sorted. */
export function placeholdersOf(definitionJson: string): string[] {
  return [...new Set([...definitionJson.matchAll(PLACEHOLDER_RE)].map((m) => m[1]))].sort();
}

/**
 * What Terraform does at deploy time (replace() + templatestring() in the orchestration module):
 * every `"${name}"` string becomes JSON.stringify(values[name]). Throws when a value is missing.
 */
export function fillPlaceholders(definitionJson: string, values: Record<string, Json>): string {
  return definitionJson.replace(PLACEHOLDER_RE, (_, name: string) => {
    if (!(name in values)) throw new Error(`no value for placeholder \${${name}} in the state machine definition`);
    return JSON.stringify(values[name]);
  });
}

type Period = Graph['period'];
const PERIOD_FLAG: Record<Period, string> = { date: '--date', month: '--month' };

/** What one ECS task runs: its state name (the Catch targets derive from it) and container command. */
interface TaskShape {
  step: string;
  /** Intrinsic expression of the container command. */
  command: string;
  /** Human form of the command, for the state's Comment. */
  shown: string;
}

function plainShape(job: JobName, period: Period): TaskShape {
  return {
    step: job,
    command: `States.Array('${job}', '${PERIOD_FLAG[period]}', $.${period})`,
    shown: `${job} ${PERIOD_FLAG[period]} <${period}>`,
  };
}

function jobTask(job: JobName, period: Period, shape: TaskShape = plainShape(job, period)): State {
  const containerOverride: State = {
    Name: CONTAINER_NAME,
    'Command.$': shape.command,
  };
  // Monthly exports learn from the input whether this is the month close (SPEC "Schedule").
  if (period === 'month') {
    containerOverride.Environment = [{ Name: 'ACE_EXPORT_FINAL', 'Value.$': 'States.JsonToString($.final)' }];
  }
  return {
    Type: 'Task',
    Comment: `Runs \`${shape.shown}\` on Fargate and waits for it to stop.`,
    Resource: 'arn:aws:states:::ecs:runTask.sync',
    Parameters: {
      LaunchType: 'FARGATE',
      PlatformVersion: 'LATEST',
      Cluster: placeholder('cluster_arn'),
      TaskDefinition: placeholder(taskDefinitionPlaceholder(job)),
      PropagateTags: 'TASK_DEFINITION',
      NetworkConfiguration: {
        AwsvpcConfiguration: {
          Subnets: placeholder('subnet_ids'),
          SecurityGroups: placeholder('security_group_ids'),
          AssignPublicIp: placeholder('assign_public_ip'),
        },
      },
      Overrides: { ContainerOverrides: [containerOverride] },
    },
    TimeoutSeconds: JOB_TIMEOUT_SECONDS,
    ResultPath: null,
    Retry: TRANSIENT_RETRY,
    Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: describeName(shape.step) }],
  };
}

const describeName = (step: string) => `Describe ${step} failure`;
const notifyName = (step: string) => `Notify ${step} failure`;
export const failName = (step: string) => `${step} failed`;

/** A shard or merge step: reported under its job, with what part of the job failed. */
interface FailureDetail {
  job: JobName;
  /** Summary text in parentheses after the date, with `{}` for each of `args`. */
  what: string;
  /** Intrinsic arguments (comma-separated) of the `{}` in `what`. */
  args: string;
  /** Extra fields of `$.failure`. */
  fields: State;
}

/**
 * Catch target of a step: build `$.failure` {job, date|month, error, summary, execution}, publish it
 * to the alerts topic, then fail the execution with the summary as its cause. A failed publish still
 * fails the execution (and the failed-executions alarm notifies on its own).
 */
function failureStates(step: string, period: Period | null, detail?: FailureDetail): Record<string, State> {
  const job = detail?.job ?? step;
  const summary =
    period === null
      ? detail === undefined
        ? `States.Format('{} failed: {}', '${job}', $.error.Error)`
        : `States.Format('{} failed (${detail.what}): {}', '${job}', ${detail.args}, $.error.Error)`
      : detail === undefined
        ? `States.Format('{} failed for ${period} {}: {}', '${job}', $.${period}, $.error.Error)`
        : `States.Format('{} failed for ${period} {} (${detail.what}): {}', '${job}', $.${period}, ${detail.args}, $.error.Error)`;
  const failure: State = { job, 'error.$': '$.error', 'summary.$': summary, 'execution.$': '$$.Execution.Id' };
  if (period !== null) failure[`${period}.$`] = `$.${period}`;
  Object.assign(failure, detail?.fields ?? {});
  return {
    [describeName(step)]: { Type: 'Pass', Parameters: failure, ResultPath: '$.failure', Next: notifyName(step) },
    [notifyName(step)]: notifyState(step, `ace-unit: ${job} failed`, failName(step)),
    [failName(step)]: { Type: 'Fail', Error: 'JobFailed', CausePath: '$.failure.summary' },
  };
}

/** Publishes `$.failure` to the alerts topic, then goes to `next` (also when the publish fails). */
function notifyState(step: string, subject: string, next: string): State {
  return {
    Type: 'Task',
    Resource: 'arn:aws:states:::sns:publish',
    Parameters: {
      TopicArn: placeholder('alerts_topic_arn'),
      Subject: subject,
      'Message.$': 'States.JsonToString($.failure)',
    },
    ResultPath: null,
    Retry: SNS_TRANSIENT_RETRY,
    Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.notify_error', Next: next }],
    Next: next,
  };
}

/** Options of a generated graph. */
export interface GraphOptions {
  /** Run SHARDABLE_JOBS as a Map of shard tasks plus a merge task (dates only). */
  sharded?: boolean;
}

/** The Terraform placeholder of the shard count, and the per-date state that turns it into indexes. */
export const SHARD_COUNT_PLACEHOLDER = 'shard_count';
export const PLAN_SHARDS_STATE = 'Plan shards';
export const shardMapName = (job: JobName) => `${job} shards`;
export const shardTaskName = (job: JobName) => `${job} shard`;
export const mergeTaskName = (job: JobName) => `${job} merge`;
export const routeTaskName = (job: JobName) => `${job} route`;

export function isSharded(job: JobName, period: Period, options: GraphOptions): boolean {
  return !!options.sharded && period === 'date' && SHARDABLE_JOBS.includes(job);
}

/**
 * The states of one job inside a level: its first state, the states, and the state to which the
 * level's Next/End attaches. Sharded (date data `{date, shard_count, shard_indexes}`): for the event
 * streams a route task (`--route N`: the window's hours not routed yet, normally none when the hourly
 * schedule routes each hour as it lands), then a Map whose iterations run `--shard k/N`, then the
 * merge task; every task keeps the retry and its own Catch.
 */
function jobStates(job: JobName, period: Period, options: GraphOptions): { StartAt: string; States: Record<string, State>; last: string } {
  if (!isSharded(job, period, options)) {
    return { StartAt: job, States: { [job]: jobTask(job, period), ...failureStates(job, period) }, last: job };
  }
  const shard: TaskShape = {
    step: shardTaskName(job),
    command: `States.Array('${job}', '--date', $.date, '--shard', States.Format('{}/{}', $.shard, $.shard_count))`,
    shown: `${job} --date <date> --shard <k>/<N>`,
  };
  const merge: TaskShape = {
    step: mergeTaskName(job),
    command: `States.Array('${job}', '--date', $.date, '--merge-shards', States.Format('{}', $.shard_count))`,
    shown: `${job} --date <date> --merge-shards <N>`,
  };
  const shardDetail: FailureDetail = {
    job,
    what: 'shard {}/{}',
    args: '$.shard, $.shard_count',
    fields: { 'shard.$': "States.Format('{}/{}', $.shard, $.shard_count)" },
  };
  const mergeDetail: FailureDetail = { job, what: 'merge of {} shards', args: '$.shard_count', fields: { 'merge_shards.$': '$.shard_count' } };
  const route: TaskShape = {
    step: routeTaskName(job),
    command: `States.Array('${job}', '--date', $.date, '--route', States.Format('{}', $.shard_count))`,
    shown: `${job} --date <date> --route <N>`,
  };
  const routeDetail: FailureDetail = { job, what: 'routing into {} shards', args: '$.shard_count', fields: { 'route.$': '$.shard_count' } };
  const routing: Record<string, State> = JOBS[job].routed
    ? { [route.step]: { ...jobTask(job, period, route), Next: shardMapName(job) }, ...failureStates(route.step, period, routeDetail) }
    : {};
  return {
    StartAt: JOBS[job].routed ? route.step : shardMapName(job),
    States: {
      ...routing,
      [shardMapName(job)]: {
        Type: 'Map',
        Comment: `Runs the N shards of ${job} side by side; a failed shard fails the Map, so the merge never starts.`,
        ItemsPath: '$.shard_indexes',
        MaxConcurrencyPath: '$.shard_count',
        ItemSelector: { 'date.$': '$.date', 'shard_count.$': '$.shard_count', 'shard.$': '$$.Map.Item.Value' },
        ItemProcessor: {
          ProcessorConfig: { Mode: 'INLINE' },
          StartAt: shard.step,
          States: { [shard.step]: { ...jobTask(job, period, shard), End: true }, ...failureStates(shard.step, period, shardDetail) },
        },
        ResultPath: null,
        Next: merge.step,
      },
      [merge.step]: jobTask(job, period, merge),
      ...failureStates(merge.step, period, mergeDetail),
    },
    last: merge.step,
  };
}

/** The states that run one graph for the period in `$.date` / `$.month`, level after level. */
export function graphStates(graph: Graph, options: GraphOptions = {}): { StartAt: string; States: Record<string, State> } {
  const levels = levelsOf(graph);
  const perLevel = levels.map((jobs) => jobs.map((job) => jobStates(job, graph.period, options)));
  const levelStart = (i: number) => (levels[i].length === 1 ? perLevel[i][0].StartAt : `Level ${i + 1} in parallel`);
  const states: Record<string, State> = {};
  levels.forEach((jobs, i) => {
    const next: State = i + 1 < levels.length ? { Next: levelStart(i + 1) } : { End: true };
    if (jobs.length === 1) {
      const one = perLevel[i][0];
      Object.assign(states, one.States, { [one.last]: { ...one.States[one.last], ...next } });
      return;
    }
    states[levelStart(i)] = {
      Type: 'Parallel',
      Comment: `Runs ${jobs.join(', ')} side by side; a failed branch fails the level and stops the others.`,
      Branches: perLevel[i].map((branch) => ({
        StartAt: branch.StartAt,
        States: { ...branch.States, [branch.last]: { ...branch.States[branch.last], End: true } },
      })),
      ResultPath: null,
      ...next,
    };
  });
  const sharded = graph.nodes.some((n) => isSharded(n.job, graph.period, options));
  if (!sharded) return { StartAt: levelStart(0), States: states };
  return {
    StartAt: PLAN_SHARDS_STATE,
    States: {
      [PLAN_SHARDS_STATE]: {
        Type: 'Pass',
        Comment: 'Shard indexes 0…N−1 of this date, N = $.shard_count (the Terraform variable shard_count).',
        Parameters: {
          'date.$': '$.date',
          'shard_count.$': '$.shard_count',
          'shard_indexes.$': 'States.ArrayRange(0, States.MathAdd($.shard_count, -1), 1)',
        },
        Next: levelStart(0),
      },
      ...states,
    },
  };
}

/**
 * Athena (Trino) computes calendar values in America/New_York for the scheduled forms, so the
 * machines need neither a Lambda nor date arithmetic in JSONPath. Row 0 of the results is the header.
 * The scheduled daily plan is src/graph/schedule.ts's rule in SQL (scheduledDatesSql).
 */
export const PREVIOUS_MONTH_SQL =
  `SELECT date_format(date_add('month', -1, CAST(current_timestamp AT TIME ZONE 'America/New_York' AS date)), '%Y-%m') AS month`;

/** `parameters`: an intrinsic giving the array of Athena execution parameters (the `?` of `sql`). */
function athenaQuery(sql: string, next: string, onError: string, parameters?: string): State {
  return {
    Type: 'Task',
    Resource: 'arn:aws:states:::athena:startQueryExecution.sync',
    Parameters: { QueryString: sql, WorkGroup: placeholder('athena_workgroup'), ...(parameters ? { 'ExecutionParameters.$': parameters } : {}) },
    ResultSelector: { 'QueryExecutionId.$': '$.QueryExecution.QueryExecutionId' },
    ResultPath: '$.plan',
    Retry: ATHENA_TRANSIENT_RETRY,
    Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: onError }],
    Next: next,
  };
}
/** `resultPath` null: the selected result replaces the state's input (ASL's default ResultPath "$"). */
function athenaResults(resultSelector: State, resultPath: string | null, next: string, onError: string): State {
  return {
    Type: 'Task',
    Resource: 'arn:aws:states:::athena:getQueryResults',
    Parameters: { 'QueryExecutionId.$': '$.plan.QueryExecutionId' },
    ResultSelector: resultSelector,
    ...(resultPath === null ? {} : { ResultPath: resultPath }),
    Retry: ATHENA_TRANSIENT_RETRY,
    Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: onError }],
    Next: next,
  };
}

export const DAILY_MAP_STATE = 'Each date, oldest first';
export const PLAN_DATES_STEP = 'plan_scheduled_dates';
export const RECORD_RUN_STEP = 'record_scheduled_run';
export const READ_DAILY_STATE = 'Read the last successful scheduled run';
export const PLAN_FROM_STATE = 'Plan the dates after the last successful run';
export const PLAN_WITHOUT_STATE = 'Plan the last 24 hours (no run recorded)';
export const RECORD_DAILY_STATE = 'Record this successful scheduled run';

/** The lake's `_state/daily_last_run.json` (src/graph/schedule.ts), read and written by both forms. */
const dailyStateObject = (): State => ({ Bucket: placeholder('lake_bucket'), Key: placeholder('daily_state_key') });

/**
 * Whether the state exists, by listing its exact key: S3 answers a GetObject of a missing key with
 * 404 only to a caller that may list the bucket, and the machines may list that one key only.
 */
function lookForDailyState(found: string, missing: string, onError: string): Record<string, State> {
  const choice = `${found}?`;
  return {
    [`Look for ${DAILY_STATE_KEY}`]: {
      Type: 'Task',
      Resource: 'arn:aws:states:::aws-sdk:s3:listObjectsV2',
      Parameters: { Bucket: placeholder('lake_bucket'), Prefix: placeholder('daily_state_key'), MaxKeys: 1 },
      ResultSelector: { 'count.$': '$.KeyCount' },
      ResultPath: '$.daily_state_listing',
      Retry: S3_TRANSIENT_RETRY,
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: onError }],
      Next: choice,
    },
    [choice]: {
      Type: 'Choice',
      Choices: [{ Variable: '$.daily_state_listing.count', NumericGreaterThan: 0, Next: found }],
      Default: missing,
    },
  };
}
export const LOOK_FOR_DAILY_STATE = `Look for ${DAILY_STATE_KEY}`;

/**
 * Input `{"dates": ["YYYY-MM-DD", ...]}` (a backfill or a rerun: given order, one date at a time),
 * or `{}` (the 04:15 schedule): the dates are planned first from the last *successful* scheduled run
 * (src/graph/schedule.ts: every date after its `closed_through`, through yesterday), so a missed or
 * failed run is caught up; after every date succeeded, this run is recorded for the next one.
 */
export function dailyDefinition(latenessHours = DEFAULT_LATENESS_HOURS, options: GraphOptions = {}): AslDefinition {
  const perDate = graphStates(DAILY_GRAPH, options);
  const itemSelector: State = { 'date.$': '$$.Map.Item.Value' };
  if (options.sharded) itemSelector.shard_count = placeholder(SHARD_COUNT_PLACEHOLDER);
  const planFailed = describeName(PLAN_DATES_STEP);
  return {
    Comment:
      'ace-unit daily graph (generated by src/graph/write-definitions.ts; do not edit). ' +
      'Input {"dates": ["YYYY-MM-DD", ...]} runs those dates in order; {} plans every date after the last successful scheduled run, then records this one.' +
      (options.sharded ? ` Sharded: ${SHARDABLE_JOBS.join(', ')} run as N shard tasks plus a merge, N = the Terraform variable shard_count.` : ''),
    StartAt: 'Dates given?',
    TimeoutSeconds: 12 * 3600,
    States: {
      'Dates given?': {
        Type: 'Choice',
        Choices: [{ Variable: '$.dates', IsPresent: true, Next: DAILY_MAP_STATE }],
        Default: LOOK_FOR_DAILY_STATE,
      },
      ...lookForDailyState(READ_DAILY_STATE, PLAN_WITHOUT_STATE, planFailed),
      [READ_DAILY_STATE]: {
        Type: 'Task',
        Comment: `${DAILY_STATE_KEY} in the lake; absent before the first successful scheduled run.`,
        Resource: 'arn:aws:states:::aws-sdk:s3:getObject',
        Parameters: dailyStateObject(),
        ResultSelector: { 'state.$': 'States.StringToJson($.Body)' },
        ResultPath: '$.last',
        Retry: S3_TRANSIENT_RETRY,
        Catch: [
          { ErrorEquals: S3_NO_SUCH_KEY, ResultPath: null, Next: PLAN_WITHOUT_STATE },
          { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: planFailed },
        ],
        Next: 'Closed date recorded?',
      },
      'Closed date recorded?': {
        Type: 'Choice',
        Choices: [
          {
            And: [
              { Variable: '$.last.state.closed_through', IsPresent: true },
              { Variable: '$.last.state.closed_through', IsString: true },
            ],
            Next: PLAN_FROM_STATE,
          },
        ],
        Default: 'Unreadable state',
      },
      'Unreadable state': {
        Type: 'Pass',
        Parameters: {
          Error: 'UnreadableState',
          Cause: `${DAILY_STATE_KEY} has no closed_through: write the newest date already final as closed_through, or delete it (the next run then plans the last 24 hours only)`,
        },
        ResultPath: '$.error',
        Next: planFailed,
      },
      // The stored date is an execution parameter, a literal to Athena, never SQL text.
      [PLAN_FROM_STATE]: athenaQuery(scheduledDatesSql(latenessHours, true), 'Read planned dates', planFailed, "States.Array(States.Format('\\'{}\\'', $.last.state.closed_through))"),
      [PLAN_WITHOUT_STATE]: athenaQuery(scheduledDatesSql(latenessHours, false), 'Read planned dates', planFailed),
      'Read planned dates': athenaResults(
        {
          'dates.$': 'States.StringToJson($.ResultSet.Rows[1].Data[0].VarCharValue)',
          schedule: { 'closed_through.$': '$.ResultSet.Rows[1].Data[1].VarCharValue', 'closed_month.$': '$.ResultSet.Rows[1].Data[2].VarCharValue' },
        },
        null,
        DAILY_MAP_STATE,
        planFailed,
      ),
      ...failureStates(PLAN_DATES_STEP, null),
      [DAILY_MAP_STATE]: {
        Type: 'Map',
        Comment: 'MaxConcurrency 1: date D+1 starts only after every job of D succeeded.',
        ItemsPath: '$.dates',
        MaxConcurrency: 1,
        ItemSelector: itemSelector,
        ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, ...perDate },
        ResultPath: null,
        Next: 'Scheduled run?',
      },
      'Scheduled run?': {
        Type: 'Choice',
        Comment: 'Only a planned (scheduled) run is recorded; a run of given dates is a backfill or rerun.',
        Choices: [{ Variable: '$.schedule', IsPresent: true, Next: 'Describe this successful scheduled run' }],
        Default: 'Done',
      },
      'Describe this successful scheduled run': {
        Type: 'Pass',
        Parameters: {
          'at.$': '$$.Execution.StartTime',
          'closed_through.$': '$.schedule.closed_through',
          'closed_month.$': '$.schedule.closed_month',
          'dates.$': '$.dates',
        },
        ResultPath: '$.state',
        Next: RECORD_DAILY_STATE,
      },
      [RECORD_DAILY_STATE]: {
        Type: 'Task',
        Comment: 'Reached only when every date succeeded: a failed run leaves the state, so the next run plans its dates again.',
        Resource: 'arn:aws:states:::aws-sdk:s3:putObject',
        Parameters: { ...dailyStateObject(), 'Body.$': 'States.JsonToString($.state)', ContentType: 'application/json' },
        ResultPath: null,
        Retry: S3_TRANSIENT_RETRY,
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: describeName(RECORD_RUN_STEP) }],
        End: true,
      },
      ...failureStates(RECORD_RUN_STEP, null),
      Done: { Type: 'Succeed' },
    },
  };
}

/** After a month close: `certificate --month M --verify` (exit 4 when a raw file changed since), alarmed like a job. */
export const CERTIFICATE_VERIFY_STEP = 'certificate_verify';
const VERIFY_AFTER_CLOSE = 'Verify the certificate after a close?';

/**
 * The month close's last step: the certificate CLI in the monthly export's container (its entrypoint
 * delegates `certificate …`), so a file that landed or changed in the month's windows since the close
 * fails the execution and is published to the alerts topic like a failed job.
 */
function certificateVerifyStates(): Record<string, State> {
  const shape: TaskShape = {
    step: CERTIFICATE_VERIFY_STEP,
    command: `States.Array('certificate', '--month', $.month, '--verify')`,
    shown: 'certificate --month <month> --verify',
  };
  const task = jobTask(MONTHLY_JOBS_FIRST, 'month', shape);
  const overrides = (task.Parameters as { Overrides: { ContainerOverrides: State[] } }).Overrides;
  overrides.ContainerOverrides = overrides.ContainerOverrides.map(({ Environment: _env, ...o }) => o);
  return {
    [VERIFY_AFTER_CLOSE]: {
      Type: 'Choice',
      Choices: [{ Variable: '$.final', BooleanEquals: true, Next: CERTIFICATE_VERIFY_STEP }],
      Default: 'Exported',
    },
    [CERTIFICATE_VERIFY_STEP]: { ...task, End: true },
    ...failureStates(CERTIFICATE_VERIFY_STEP, 'month'),
    Exported: { Type: 'Succeed' },
  };
}

/** The graph's top-level states with each End replaced by `next`. */
function thenGoTo(states: Record<string, State>, next: string): Record<string, State> {
  return Object.fromEntries(Object.entries(states).map(([name, st]) => [name, st.End === true ? (({ End: _end, ...rest }) => ({ ...rest, Next: next }))(st) : st]));
}

export const PLAN_MONTH_STEP = 'plan_previous_month';
export const WAIT_FOR_DAILY_SECONDS = 300;
export const MONTH_CLOSE_STEP = 'month_close';
export const READ_DAILY_STATE_FOR_CLOSE = 'Read the last successful daily run';
export const MONTH_CLOSE_REFUSED = failName(MONTH_CLOSE_STEP);

/**
 * Input `{"month": "YYYY-MM", "final": true|false}`; `month` defaults to the previous month (the
 * schedules pass only `final`). Waits while a daily execution is running, so the 05:00 run on the 1st
 * and the month close on the 3rd start after that morning's daily run.
 *
 * The month close (`final: true`) refuses, before any export runs, unless the last *successful*
 * scheduled daily run had closed every date of the month (its `closed_month` ≥ month): a failed or
 * missed daily run of the 3rd leaves the last day unprocessed. Then each export job checks the lake
 * itself (jobs/steps/freshness.ts, monthCloseBlockers: stale or missing partitions, a partial calc, an
 * open window) and exits 4 instead of marking anything final. Every refusal is published to the
 * alerts topic and fails the execution (the ExecutionsFailed alarm of modules/alarms).
 */
export function monthlyDefinition(): AslDefinition {
  const graph = graphStates(MONTHLY_GRAPH);
  const refusal = (summary: string): State => ({
    Type: 'Pass',
    Parameters: {
      job: MONTH_CLOSE_STEP,
      'month.$': '$.month',
      error: { Error: 'MonthCloseRefused' },
      'summary.$': summary,
      'execution.$': '$$.Execution.Id',
    },
    ResultPath: '$.failure',
    Next: notifyName(MONTH_CLOSE_STEP),
  });
  return {
    Comment:
      'ace-unit monthly graph (generated by src/graph/write-definitions.ts; do not edit). ' +
      'Input {"month": "YYYY-MM", "final": bool}; without month, the previous month in America/New_York. ' +
      'final: true (the month close) refuses a month the daily runs have not closed, and the exports refuse a stale one; ' +
      'after a close, `certificate --month M --verify` fails the execution when a raw file of the month changed since.',
    StartAt: 'Final flag given?',
    TimeoutSeconds: 12 * 3600,
    States: {
      'Final flag given?': {
        Type: 'Choice',
        Choices: [{ And: [{ Variable: '$.final', IsPresent: true }, { Variable: '$.final', IsBoolean: true }], Next: 'Month given?' }],
        Default: 'Invalid input',
      },
      // Explicit on purpose: whether an export is the final version is a decision, never a default.
      'Invalid input': {
        Type: 'Fail',
        Error: 'InvalidInput',
        Cause: 'the monthly input needs "final": true or false (and optionally "month": "YYYY-MM"), e.g. {"month": "2026-02", "final": false}',
      },
      'Month given?': {
        Type: 'Choice',
        Choices: [{ Variable: '$.month', IsPresent: true, Next: 'List running daily executions' }],
        Default: 'Plan previous month',
      },
      'Plan previous month': athenaQuery(PREVIOUS_MONTH_SQL, 'Read previous month', describeName(PLAN_MONTH_STEP)),
      'Read previous month': athenaResults(
        { 'month.$': '$.ResultSet.Rows[1].Data[0].VarCharValue' },
        '$.planned',
        'Use previous month',
        describeName(PLAN_MONTH_STEP),
      ),
      'Use previous month': {
        Type: 'Pass',
        Parameters: { 'month.$': '$.planned.month', 'final.$': '$.final' },
        Next: 'List running daily executions',
      },
      ...failureStates(PLAN_MONTH_STEP, null),
      'List running daily executions': {
        Type: 'Task',
        Resource: 'arn:aws:states:::aws-sdk:sfn:listExecutions',
        Parameters: { StateMachineArn: placeholder('daily_state_machine_arn'), StatusFilter: 'RUNNING', MaxResults: 1 },
        ResultSelector: { 'running.$': '$.Executions' },
        ResultPath: '$.daily',
        Retry: [{ ErrorEquals: ['Sfn.SfnException', 'Sfn.ThrottlingException'], IntervalSeconds: 5, BackoffRate: 2, MaxAttempts: 3 }],
        Next: 'Daily run finished?',
      },
      'Daily run finished?': {
        Type: 'Choice',
        Choices: [{ Variable: '$.daily.running[0]', IsPresent: true, Next: 'Wait for the daily run' }],
        Default: 'Month close?',
      },
      'Wait for the daily run': { Type: 'Wait', Seconds: WAIT_FOR_DAILY_SECONDS, Next: 'List running daily executions' },
      'Month close?': {
        Type: 'Choice',
        Choices: [{ Variable: '$.final', BooleanEquals: true, Next: LOOK_FOR_DAILY_STATE }],
        Default: graph.StartAt,
      },
      ...lookForDailyState(READ_DAILY_STATE_FOR_CLOSE, 'Describe the refused close (no daily run recorded)', describeName(PLAN_MONTH_STEP)),
      [READ_DAILY_STATE_FOR_CLOSE]: {
        Type: 'Task',
        Comment: `${DAILY_STATE_KEY}: written by the daily machine after a successful scheduled run.`,
        Resource: 'arn:aws:states:::aws-sdk:s3:getObject',
        Parameters: dailyStateObject(),
        ResultSelector: { 'state.$': 'States.StringToJson($.Body)' },
        ResultPath: '$.last_daily',
        Retry: S3_TRANSIENT_RETRY,
        Catch: [
          { ErrorEquals: S3_NO_SUCH_KEY, ResultPath: null, Next: 'Describe the refused close (no daily run recorded)' },
          { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: describeName(PLAN_MONTH_STEP) },
        ],
        Next: 'Month closed by the daily runs?',
      },
      'Month closed by the daily runs?': {
        Type: 'Choice',
        Choices: [
          {
            And: [
              { Variable: '$.last_daily.state.closed_month', IsPresent: true },
              { Variable: '$.last_daily.state.closed_month', IsString: true },
              { Variable: '$.last_daily.state.closed_month', StringGreaterThanEqualsPath: '$.month' },
            ],
            Next: graph.StartAt,
          },
          {
            And: [
              { Variable: '$.last_daily.state.closed_through', IsPresent: true },
              { Variable: '$.last_daily.state.closed_through', IsString: true },
            ],
            Next: 'Describe the refused close',
          },
        ],
        Default: 'Describe the refused close (no daily run recorded)',
      },
      'Describe the refused close': refusal(
        "States.Format('month close refused for {}: the last successful scheduled daily run had closed the windows through {} only, not the last day of the month; nothing was marked final. Let the daily run catch up, then start the month close again', $.month, $.last_daily.state.closed_through)",
      ),
      'Describe the refused close (no daily run recorded)': refusal(
        `States.Format('month close refused for {}: no successful scheduled daily run is recorded (${DAILY_STATE_KEY} in the lake); nothing was marked final. Let the daily run succeed once, then start the month close again', $.month)`,
      ),
      [notifyName(MONTH_CLOSE_STEP)]: notifyState(MONTH_CLOSE_STEP, 'ace-unit: month close refused', MONTH_CLOSE_REFUSED),
      [MONTH_CLOSE_REFUSED]: { Type: 'Fail', Error: 'MonthCloseRefused', CausePath: '$.failure.summary' },
      ...thenGoTo(graph.States, VERIFY_AFTER_CLOSE),
      ...certificateVerifyStates(),
    },
  };
}

/**
 * The hourly router (deployed with the sharded daily machine): EventBridge Scheduler starts it a little
 * after each hour with `{"hour_ending": "<scheduled time>"}`, and each event stream's route task
 * (`--route N --hour-ending T`) routes the arrival hour that just closed, where its files landed. The
 * daily graph's route then finds those hours routed and skips them: each line is routed once.
 */
export const ROUTE_HOURLY_STATE = 'Route the hour that closed';
export const routeHourTaskName = (job: JobName) => `${job} route hour`;

export function routeHourlyDefinition(): AslDefinition {
  const routed = (SHARDABLE_JOBS as readonly JobName[]).filter((j) => JOBS[j].routed);
  return {
    Comment: 'ace-unit hourly router: routes the arrival hour that closed last into the daily graph\'s N shards, one task per event stream (src/run/route.ts). Generated by src/graph/write-definitions.ts.',
    StartAt: 'Shard count',
    States: {
      'Shard count': {
        Type: 'Pass',
        Parameters: { 'hour_ending.$': '$.hour_ending', shard_count: placeholder(SHARD_COUNT_PLACEHOLDER) },
        Next: ROUTE_HOURLY_STATE,
      },
      [ROUTE_HOURLY_STATE]: {
        Type: 'Parallel',
        Branches: routed.map((job) => {
          const shape: TaskShape = {
            step: routeHourTaskName(job),
            command: `States.Array('${job}', '--route', States.Format('{}', $.shard_count), '--hour-ending', $.hour_ending)`,
            shown: `${job} --route <N> --hour-ending <scheduled time>`,
          };
          const detail: FailureDetail = { job, what: 'routing the hour ending {}', args: '$.hour_ending', fields: { 'hour_ending.$': '$.hour_ending' } };
          return { StartAt: shape.step, States: { [shape.step]: { ...jobTask(job, 'date', shape), End: true }, ...failureStates(shape.step, null, detail) } };
        }),
        ResultPath: null,
        End: true,
      },
    },
  };
}

export const DEFINITION_FILES = {
  daily: 'infrastructure/modules/orchestration/definitions/daily.asl.json',
  daily_sharded: 'infrastructure/modules/orchestration/definitions/daily-sharded.asl.json',
  monthly: 'infrastructure/modules/orchestration/definitions/monthly.asl.json',
  route_hourly: 'infrastructure/modules/orchestration/definitions/route-hourly.asl.json',
} as const;
export type DefinitionName = keyof typeof DEFINITION_FILES;

/**
 * Every definition with the text its file must hold (2-space JSON and a final newline). Both daily
 * shapes come from the same graph and code; the orchestration module deploys one of them
 * (daily_sharded when var.shard_count > 1).
 */
export function renderedDefinitions(): { name: DefinitionName; path: string; text: string }[] {
  const defs: Record<DefinitionName, AslDefinition> = {
    daily: dailyDefinition(),
    daily_sharded: dailyDefinition(DEFAULT_LATENESS_HOURS, { sharded: true }),
    monthly: monthlyDefinition(),
    route_hourly: routeHourlyDefinition(),
  };
  return (Object.keys(DEFINITION_FILES) as DefinitionName[]).map((name) => ({
    name,
    path: DEFINITION_FILES[name],
    text: JSON.stringify(defs[name], null, 2) + '\n',
  }));
}
