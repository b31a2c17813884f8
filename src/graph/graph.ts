/**
 * The daily and monthly graphs, declared once. The local runner (src/graph/runner.ts) and the
 * Step Functions definitions (src/graph/stepfunctions.ts) are both derived from these values.
 */

export const DAILY_JOBS = [
  'notification_attempted_daily',
  'notification_delivered_daily',
  'outcome_experience_lookup_daily',
  'dim_customer_daily',
  'ace_unit_calc_daily',
] as const;

export const MONTHLY_JOBS = ['ace_unit_monthly_output', 'ace_unit_monthly_outcome_experience_output'] as const;

export type DailyJobName = (typeof DAILY_JOBS)[number];
export type MonthlyJobName = (typeof MONTHLY_JOBS)[number];
export type JobName = DailyJobName | MonthlyJobName;

export const ALL_JOBS: readonly JobName[] = [...DAILY_JOBS, ...MONTHLY_JOBS];

export function isJobName(name: string): name is JobName {
  return (ALL_JOBS as readonly string[]).includes(name);
}

export interface GraphNode<J extends JobName = JobName> {
  job: J;
  /** Jobs that must have succeeded (for the same date or month) before this one starts. */
  after: J[];
}

export interface Graph<J extends JobName = JobName> {
  name: 'daily' | 'monthly';
  /** `date` graphs take `--date YYYY-MM-DD`; `month` graphs take `--month YYYY-MM`. */
  period: 'date' | 'month';
  nodes: GraphNode<J>[];
}

export const DAILY_GRAPH: Graph<DailyJobName> = {
  name: 'daily',
  period: 'date',
  nodes: [
    { job: 'notification_attempted_daily', after: [] },
    { job: 'notification_delivered_daily', after: [] },
    { job: 'outcome_experience_lookup_daily', after: [] },
    { job: 'dim_customer_daily', after: [] },
    { job: 'ace_unit_calc_daily', after: ['notification_attempted_daily', 'notification_delivered_daily'] },
  ],
};

export const MONTHLY_GRAPH: Graph<MonthlyJobName> = {
  name: 'monthly',
  period: 'month',
  nodes: [
    { job: 'ace_unit_monthly_output', after: [] },
    { job: 'ace_unit_monthly_outcome_experience_output', after: [] },
  ],
};

/** Topological levels: every job of a level depends only on jobs of earlier levels. */
export function levelsOf<J extends JobName>(graph: Graph<J>): J[][] {
  const done = new Set<J>();
  const levels: J[][] = [];
  let remaining = graph.nodes.slice();
  while (remaining.length > 0) {
    const ready = remaining.filter((n) => n.after.every((a) => done.has(a)));
    if (ready.length === 0) throw new Error(`graph ${graph.name} has a cycle among ${remaining.map((n) => n.job).join(', ')}`);
    levels.push(ready.map((n) => n.job));
    ready.forEach((n) => done.add(n.job));
    remaining = remaining.filter((n) => !done.has(n.job));
  }
  return levels;
}
