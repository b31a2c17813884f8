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
import { SHARDABLE_JOBS } from '../cli/args.js';
import { DAILY_GRAPH, MONTHLY_GRAPH, levelsOf, type Graph, type JobName } from './graph.js';

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
export const DEFAULT_LATENESS_HOURS = 48;

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
      ? `States.Format('{} failed: {}', '${job}', $.error.Error)`
      : detail === undefined
        ? `States.Format('{} failed for ${period} {}: {}', '${job}', $.${period}, $.error.Error)`
        : `States.Format('{} failed for ${period} {} (${detail.what}): {}', '${job}', $.${period}, ${detail.args}, $.error.Error)`;
  const failure: State = { job, 'error.$': '$.error', 'summary.$': summary, 'execution.$': '$$.Execution.Id' };
  if (period !== null) failure[`${period}.$`] = `$.${period}`;
  Object.assign(failure, detail?.fields ?? {});
  return {
    [describeName(step)]: { Type: 'Pass', Parameters: failure, ResultPath: '$.failure', Next: notifyName(step) },
    [notifyName(step)]: {
      Type: 'Task',
      Resource: 'arn:aws:states:::sns:publish',
      Parameters: {
        TopicArn: placeholder('alerts_topic_arn'),
        Subject: `ace-unit: ${job} failed`,
        'Message.$': 'States.JsonToString($.failure)',
      },
      ResultPath: null,
      Retry: SNS_TRANSIENT_RETRY,
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.notify_error', Next: failName(step) }],
      Next: failName(step),
    },
    [failName(step)]: { Type: 'Fail', Error: 'JobFailed', CausePath: '$.failure.summary' },
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

export function isSharded(job: JobName, period: Period, options: GraphOptions): boolean {
  return !!options.sharded && period === 'date' && SHARDABLE_JOBS.includes(job);
}

/**
 * The states of one job inside a level: its first state, the states, and the state to which the
 * level's Next/End attaches. Sharded (date data `{date, shard_count, shard_indexes}`): a Map whose
 * iterations run `--shard k/N`, then the merge task; every task keeps the retry and its own Catch.
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
  return {
    StartAt: shardMapName(job),
    States: {
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

/** Days the scheduled run covers: every date whose window is open or closed since yesterday's run. */
export function scheduledLookbackDays(latenessHours = DEFAULT_LATENESS_HOURS): number {
  return Math.ceil(latenessHours / 24) + 1;
}

/**
 * Athena (Trino) computes calendar values in America/New_York for the scheduled forms, so the
 * machines need neither a Lambda nor date arithmetic in JSONPath. Row 0 of the results is the header.
 */
export function openDatesSql(latenessHours = DEFAULT_LATENESS_HOURS): string {
  const days = scheduledLookbackDays(latenessHours);
  return (
    `SELECT json_format(CAST(transform(sequence(${days}, 1, -1), n -> CAST(date_add('day', -n, ` +
    `CAST(current_timestamp AT TIME ZONE 'America/New_York' AS date)) AS varchar)) AS JSON)) AS dates`
  );
}
export const PREVIOUS_MONTH_SQL =
  `SELECT date_format(date_add('month', -1, CAST(current_timestamp AT TIME ZONE 'America/New_York' AS date)), '%Y-%m') AS month`;

function athenaQuery(sql: string, next: string, onError: string): State {
  return {
    Type: 'Task',
    Resource: 'arn:aws:states:::athena:startQueryExecution.sync',
    Parameters: { QueryString: sql, WorkGroup: placeholder('athena_workgroup') },
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
export const PLAN_DATES_STEP = 'plan_open_dates';

/**
 * Input `{"dates": ["YYYY-MM-DD", ...]}` (a backfill or a rerun: given order, one date at a time),
 * or `{}` (the 04:15 schedule): the open dates are planned first, oldest first.
 */
export function dailyDefinition(latenessHours = DEFAULT_LATENESS_HOURS, options: GraphOptions = {}): AslDefinition {
  const perDate = graphStates(DAILY_GRAPH, options);
  const itemSelector: State = { 'date.$': '$$.Map.Item.Value' };
  if (options.sharded) itemSelector.shard_count = placeholder(SHARD_COUNT_PLACEHOLDER);
  return {
    Comment:
      'ace-unit daily graph (generated by src/graph/write-definitions.ts; do not edit). ' +
      'Input {"dates": ["YYYY-MM-DD", ...]} runs those dates in order; {} plans the open dates first.' +
      (options.sharded ? ` Sharded: ${SHARDABLE_JOBS.join(', ')} run as N shard tasks plus a merge, N = the Terraform variable shard_count.` : ''),
    StartAt: 'Dates given?',
    TimeoutSeconds: 12 * 3600,
    States: {
      'Dates given?': {
        Type: 'Choice',
        Choices: [{ Variable: '$.dates', IsPresent: true, Next: DAILY_MAP_STATE }],
        Default: 'Plan open dates',
      },
      'Plan open dates': athenaQuery(openDatesSql(latenessHours), 'Read open dates', describeName(PLAN_DATES_STEP)),
      'Read open dates': athenaResults(
        { 'dates.$': 'States.StringToJson($.ResultSet.Rows[1].Data[0].VarCharValue)' },
        null,
        DAILY_MAP_STATE,
        describeName(PLAN_DATES_STEP),
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
        End: true,
      },
    },
  };
}

export const PLAN_MONTH_STEP = 'plan_previous_month';
export const WAIT_FOR_DAILY_SECONDS = 300;

/**
 * Input `{"month": "YYYY-MM", "final": true|false}`; `month` defaults to the previous month (the
 * schedules pass only `final`). Waits while a daily execution is running, so the 05:00 run on the 1st
 * and the month close on the 3rd start after that morning's daily run.
 */
export function monthlyDefinition(): AslDefinition {
  const graph = graphStates(MONTHLY_GRAPH);
  return {
    Comment:
      'ace-unit monthly graph (generated by src/graph/write-definitions.ts; do not edit). ' +
      'Input {"month": "YYYY-MM", "final": bool}; without month, the previous month in America/New_York.',
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
        Default: graph.StartAt,
      },
      'Wait for the daily run': { Type: 'Wait', Seconds: WAIT_FOR_DAILY_SECONDS, Next: 'List running daily executions' },
      ...graph.States,
    },
  };
}

export const DEFINITION_FILES = {
  daily: 'infrastructure/modules/orchestration/definitions/daily.asl.json',
  daily_sharded: 'infrastructure/modules/orchestration/definitions/daily-sharded.asl.json',
  monthly: 'infrastructure/modules/orchestration/definitions/monthly.asl.json',
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
  };
  return (Object.keys(DEFINITION_FILES) as DefinitionName[]).map((name) => ({
    name,
    path: DEFINITION_FILES[name],
    text: JSON.stringify(defs[name], null, 2) + '\n',
  }));
}
