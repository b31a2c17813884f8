/**
 * The daily and monthly graphs (graph.ts) rendered as Amazon States Language. Pure: values in,
 * JSON out. `write-definitions.ts` writes them to infrastructure/modules/orchestration/definitions/,
 * where Terraform fills the `"${name}"` placeholders (see fillPlaceholders) at deploy time.
 *
 * Shape of one graph run: one state per topological level (levelsOf); a level with several jobs is
 * a Parallel state with one branch per job. Every job is an ECS `runTask.sync` task whose container
 * command is `<job> --date D` (or `--month M`). A failed job is described, published to SNS, and
 * fails the execution, so the next level (for example ace_unit_calc_daily) never starts.
 */
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

function jobTask(job: JobName, period: Period): State {
  const containerOverride: State = {
    Name: CONTAINER_NAME,
    'Command.$': `States.Array('${job}', '${PERIOD_FLAG[period]}', $.${period})`,
  };
  // Monthly exports learn from the input whether this is the month close (SPEC "Schedule").
  if (period === 'month') {
    containerOverride.Environment = [{ Name: 'ACE_EXPORT_FINAL', 'Value.$': 'States.JsonToString($.final)' }];
  }
  return {
    Type: 'Task',
    Comment: `Runs \`${job} ${PERIOD_FLAG[period]} <${period}>\` on Fargate and waits for it to stop.`,
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
    Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: describeName(job) }],
  };
}

const describeName = (step: string) => `Describe ${step} failure`;
const notifyName = (step: string) => `Notify ${step} failure`;
export const failName = (step: string) => `${step} failed`;

/**
 * Catch target of a step: build `$.failure` {job, date|month, error, summary, execution}, publish it
 * to the alerts topic, then fail the execution with the summary as its cause. A failed publish still
 * fails the execution (and the failed-executions alarm notifies on its own).
 */
function failureStates(step: string, period: Period | null): Record<string, State> {
  const summary =
    period === null
      ? `States.Format('{} failed: {}', '${step}', $.error.Error)`
      : `States.Format('{} failed for ${period} {}: {}', '${step}', $.${period}, $.error.Error)`;
  const failure: State = { job: step, 'error.$': '$.error', 'summary.$': summary, 'execution.$': '$$.Execution.Id' };
  if (period !== null) failure[`${period}.$`] = `$.${period}`;
  return {
    [describeName(step)]: { Type: 'Pass', Parameters: failure, ResultPath: '$.failure', Next: notifyName(step) },
    [notifyName(step)]: {
      Type: 'Task',
      Resource: 'arn:aws:states:::sns:publish',
      Parameters: {
        TopicArn: placeholder('alerts_topic_arn'),
        Subject: `ace-unit: ${step} failed`,
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

function levelName(index: number, jobs: readonly JobName[]): string {
  return jobs.length === 1 ? jobs[0] : `Level ${index + 1} in parallel`;
}

/** The states that run one graph for the period in `$.date` / `$.month`, level after level. */
export function graphStates(graph: Graph): { StartAt: string; States: Record<string, State> } {
  const levels = levelsOf(graph);
  const states: Record<string, State> = {};
  levels.forEach((jobs, i) => {
    const next: State = i + 1 < levels.length ? { Next: levelName(i + 1, levels[i + 1]) } : { End: true };
    if (jobs.length === 1) {
      Object.assign(states, { [jobs[0]]: { ...jobTask(jobs[0], graph.period), ...next } }, failureStates(jobs[0], graph.period));
      return;
    }
    states[levelName(i, jobs)] = {
      Type: 'Parallel',
      Comment: `Runs ${jobs.join(', ')} side by side; a failed branch fails the level and stops the others.`,
      Branches: jobs.map((job) => ({
        StartAt: job,
        States: { [job]: { ...jobTask(job, graph.period), End: true }, ...failureStates(job, graph.period) },
      })),
      ResultPath: null,
      ...next,
    };
  });
  return { StartAt: levelName(0, levels[0]), States: states };
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
export function dailyDefinition(latenessHours = DEFAULT_LATENESS_HOURS): AslDefinition {
  const perDate = graphStates(DAILY_GRAPH);
  return {
    Comment:
      'ace-unit daily graph (generated by src/graph/write-definitions.ts; do not edit). ' +
      'Input {"dates": ["YYYY-MM-DD", ...]} runs those dates in order; {} plans the open dates first.',
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
        ItemSelector: { 'date.$': '$$.Map.Item.Value' },
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
  monthly: 'infrastructure/modules/orchestration/definitions/monthly.asl.json',
} as const;

/** Every definition with the text its file must hold (2-space JSON and a final newline). */
export function renderedDefinitions(): { name: keyof typeof DEFINITION_FILES; path: string; text: string }[] {
  const defs = { daily: dailyDefinition(), monthly: monthlyDefinition() };
  return (Object.keys(DEFINITION_FILES) as (keyof typeof DEFINITION_FILES)[]).map((name) => ({
    name,
    path: DEFINITION_FILES[name],
    text: JSON.stringify(defs[name], null, 2) + '\n',
  }));
}
