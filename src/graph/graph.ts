/**
 * The daily and monthly graphs, declared once. The local runner (src/graph/runner.ts) and the
 * Step Functions definitions (src/graph/stepfunctions.ts) are both derived from these values.
 */

import { JobName } from '../../jobs/index.js';

export { ALL_JOBS, isJobName } from '../../jobs/index.js';
export type { JobName };

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

export const DAILY_GRAPH: Graph = {
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

export const MONTHLY_GRAPH: Graph = {
  name: 'monthly',
  period: 'month',
  nodes: [
    { job: 'ace_unit_monthly_output', after: [] },
    { job: 'ace_unit_monthly_outcome_experience_output', after: [] },
  ],
};

/** The jobs of each graph, in declared order. */
export const DAILY_JOBS: JobName[] = DAILY_GRAPH.nodes.map((n) => n.job);
export const MONTHLY_JOBS: JobName[] = MONTHLY_GRAPH.nodes.map((n) => n.job);

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
