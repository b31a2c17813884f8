/**
 * Every table of the lake: name, partition key and columns (DuckDB types, in file order).
 * The local catalog, the Glue adapter and empty-partition handling all read these definitions.
 */

export interface Column {
  name: string;
  type: 'VARCHAR' | 'BIGINT' | 'INTEGER' | 'BOOLEAN' | 'DATE' | 'TIMESTAMPTZ' | 'DOUBLE';
  comment: string;
}

export interface TableDef {
  name: string;
  partitionKey: 'dt' | 'billing_month' | 'snapshot_date' | 'job';
  /** Append-only tables (the run ledger) get a file per run instead of a pointer per partition. */
  appendOnly?: boolean;
  columns: Column[];
  description: string;
}

const c = (name: string, type: Column['type'], comment: string): Column => ({ name, type, comment });

const source = [
  c('arrival_hour', 'TIMESTAMPTZ', 'UTC hour folder the raw file arrived in'),
  c('source_file', 'VARCHAR', 'object key of the raw file, relative to the lake root'),
  c('line_number', 'BIGINT', '1-based line of the raw file'),
];

const rejectColumns = [
  c('source_file', 'VARCHAR', 'object key of the raw file'),
  c('line_number', 'BIGINT', '1-based line in the raw file'),
  c('reason', 'VARCHAR', 'malformed_json, missing_field, invalid_value or conflicting_duplicate'),
  c('field', 'VARCHAR', 'first offending required field (null for malformed_json)'),
  c('raw_line', 'VARCHAR', 'the line, cut to 1024 bytes at a UTF-8 boundary'),
  c('run_id', 'VARCHAR', 'run that wrote the row'),
];

export const TABLES = {
  notification_attempted: {
    name: 'notification_attempted',
    partitionKey: 'dt',
    description: 'One row per distinct attempted event_id, partitioned by the ET business date of attempted_at.',
    columns: [
      c('event_id', 'VARCHAR', 'unique event id (deduplicated)'),
      c('notification_id', 'VARCHAR', 'notification the attempt belongs to'),
      c('client_id', 'VARCHAR', 'client (bank, utility, insurer)'),
      c('customer_id', 'VARCHAR', "client's end customer"),
      c('experience_id', 'VARCHAR', 'experience that sent it'),
      c('channel', 'VARCHAR', 'sms, email, push or wire'),
      c('attempted_at', 'TIMESTAMPTZ', 'attempt instant (UTC)'),
      ...source,
      c('run_id', 'VARCHAR', 'run that wrote the row'),
      c('dt', 'DATE', 'business date (partition)'),
    ],
  },
  notification_delivered: {
    name: 'notification_delivered',
    partitionKey: 'dt',
    description: 'One row per distinct delivered event_id, partitioned by the ET business date of delivered_at.',
    columns: [
      c('event_id', 'VARCHAR', 'unique event id (deduplicated)'),
      c('notification_id', 'VARCHAR', 'notification delivered'),
      c('channel', 'VARCHAR', 'channel reported by the receipt (not used for billing)'),
      c('delivered_at', 'TIMESTAMPTZ', 'delivery instant (UTC)'),
      ...source,
      c('run_id', 'VARCHAR', 'run that wrote the row'),
      c('dt', 'DATE', 'business date (partition)'),
    ],
  },
  outcome_experience_lookup: {
    name: 'outcome_experience_lookup',
    partitionKey: 'snapshot_date',
    description: 'One row per experience_config record read on snapshot_date.',
    columns: [
      c('experience_id', 'VARCHAR', 'experience'),
      c('experience_name', 'VARCHAR', 'display name'),
      c('outcome_id', 'VARCHAR', 'business outcome'),
      c('outcome_name', 'VARCHAR', 'outcome display name'),
      c('client_id', 'VARCHAR', 'owning client'),
      c('updated_at', 'TIMESTAMPTZ', 'when the config record was changed'),
      ...source,
      c('run_id', 'VARCHAR', 'run that wrote the row'),
      c('snapshot_date', 'DATE', 'date whose arrival hours were read (partition)'),
    ],
  },
  dim_customer: {
    name: 'dim_customer',
    partitionKey: 'snapshot_date',
    description: 'Copy of the warehouse dim_customer table taken on snapshot_date.',
    columns: [
      c('client_id', 'VARCHAR', 'client'),
      c('client_name', 'VARCHAR', 'legal or display name'),
      c('billing_account_id', 'VARCHAR', 'billing account'),
      c('is_test', 'BOOLEAN', 'test client: never billable'),
      c('status', 'VARCHAR', 'warehouse status'),
      c('updated_at', 'TIMESTAMPTZ', 'warehouse update time (zone-less values read as UTC)'),
      c('run_id', 'VARCHAR', 'run that wrote the row'),
      c('snapshot_date', 'DATE', 'snapshot date (partition)'),
    ],
  },
  ace_engagement_daily: {
    name: 'ace_engagement_daily',
    partitionKey: 'dt',
    description: 'Intermediate: one row per engaged notification on dt, with the attempt that attributes it.',
    columns: [
      c('notification_id', 'VARCHAR', 'engaged notification'),
      c('client_id', 'VARCHAR', 'from the earliest matching attempt'),
      c('customer_id', 'VARCHAR', 'from the earliest matching attempt'),
      c('experience_id', 'VARCHAR', 'from the earliest matching attempt'),
      c('channel', 'VARCHAR', 'from the earliest matching attempt'),
      c('attempt_event_id', 'VARCHAR', 'event_id of the attributing attempt'),
      c('engaged_at', 'TIMESTAMPTZ', 'earliest delivered_at of the notification on dt'),
      c('run_id', 'VARCHAR', 'run that wrote the row'),
      c('dt', 'DATE', 'engagement date (partition)'),
    ],
  },
  ace_attempt_daily: {
    name: 'ace_attempt_daily',
    partitionKey: 'dt',
    description: 'Intermediate: distinct attempted notifications per client on dt.',
    columns: [
      c('client_id', 'VARCHAR', 'client'),
      c('attempted_notifications', 'BIGINT', 'distinct notification_ids attempted on dt'),
      c('run_id', 'VARCHAR', 'run that wrote the row'),
      c('dt', 'DATE', 'attempt date (partition)'),
    ],
  },
  unattributed_deliveries: {
    name: 'unattributed_deliveries',
    partitionKey: 'dt',
    description: 'Delivered notifications with no matching attempt in the lookback: never billed.',
    columns: [
      c('notification_id', 'VARCHAR', 'delivered notification'),
      c('delivered_at', 'TIMESTAMPTZ', 'earliest delivered_at on dt'),
      c('channel', 'VARCHAR', 'channel of that delivery'),
      c('run_id', 'VARCHAR', 'run that wrote the row'),
      c('dt', 'DATE', 'delivery date (partition)'),
    ],
  },
  ace_unit_audit: {
    name: 'ace_unit_audit',
    partitionKey: 'billing_month',
    description: 'One row per ACE unit (client_id, customer_id) of the billing month, with its first touch.',
    columns: [
      c('billing_month', 'VARCHAR', 'YYYY-MM (partition)'),
      c('client_id', 'VARCHAR', 'client'),
      c('customer_id', 'VARCHAR', 'end customer'),
      c('first_engaged_at', 'TIMESTAMPTZ', 'earliest engagement time in the month'),
      c('first_engaged_date', 'DATE', 'its business date'),
      c('first_notification_id', 'VARCHAR', 'notification of the first touch (ties: smallest id)'),
      c('first_experience_id', 'VARCHAR', 'experience the unit is attributed to'),
      c('first_channel', 'VARCHAR', 'channel the unit is attributed to'),
      c('last_engaged_at', 'TIMESTAMPTZ', 'latest engagement time in the month'),
      c('engagements', 'BIGINT', 'distinct notifications engaged in the month'),
      c('engaged_days', 'BIGINT', 'distinct engagement dates in the month'),
      c('as_of_date', 'DATE', 'last date included'),
      c('rule_version', 'VARCHAR', 'ACE rule version'),
      c('run_id', 'VARCHAR', 'run that wrote the row'),
    ],
  },
  ace_unit_agg: {
    name: 'ace_unit_agg',
    partitionKey: 'billing_month',
    description: 'One row per (client_id, date) with activity in the billing month.',
    columns: [
      c('billing_month', 'VARCHAR', 'YYYY-MM (partition)'),
      c('client_id', 'VARCHAR', 'client'),
      c('date', 'DATE', 'business date'),
      c('new_ace_units', 'BIGINT', 'units whose first_engaged_date = date'),
      c('mtd_ace_units', 'BIGINT', 'units with first_engaged_date <= date'),
      c('engaged_customers', 'BIGINT', 'distinct customers engaged on date'),
      c('delivered_notifications', 'BIGINT', 'distinct notifications engaged on date'),
      c('attempted_notifications', 'BIGINT', 'distinct notifications attempted on date'),
      c('as_of_date', 'DATE', 'last date included'),
      c('rule_version', 'VARCHAR', 'ACE rule version'),
      c('run_id', 'VARCHAR', 'run that wrote the row'),
    ],
  },
  notification_attempted_rejects: { name: 'notification_attempted_rejects', partitionKey: 'dt', description: 'Quarantined lines of notification_attempted.', columns: [...rejectColumns, c('dt', 'DATE', 'date of the run that owns the arrival hour')] },
  notification_delivered_rejects: { name: 'notification_delivered_rejects', partitionKey: 'dt', description: 'Quarantined lines of notification_delivered.', columns: [...rejectColumns, c('dt', 'DATE', 'date of the run that owns the arrival hour')] },
  experience_config_rejects: { name: 'experience_config_rejects', partitionKey: 'dt', description: 'Quarantined lines of experience_config.', columns: [...rejectColumns, c('dt', 'DATE', 'date of the run that owns the arrival hour')] },
  runs: {
    name: 'runs',
    partitionKey: 'job',
    appendOnly: true,
    description: 'The run ledger: one row per job run, what it read, what it wrote, how it ended.',
    columns: [
      c('run_id', 'VARCHAR', 'run id (UTC start time + random suffix)'),
      c('period', 'VARCHAR', 'business date or billing month'),
      c('status', 'VARCHAR', 'succeeded, up_to_date, failed or superseded'),
      c('started_at', 'TIMESTAMPTZ', 'start instant'),
      c('finished_at', 'TIMESTAMPTZ', 'end instant'),
      c('duration_ms', 'BIGINT', 'elapsed milliseconds'),
      c('code_version', 'VARCHAR', 'ACE_CODE_VERSION (image tag) or the package version'),
      c('rule_version', 'VARCHAR', 'ACE rule version'),
      c('fingerprint', 'VARCHAR', 'input fingerprint of the run (raw objects, upstream versions, config)'),
      c('rows', 'BIGINT', 'main output rows'),
      c('outputs', 'VARCHAR', 'JSON list of published partitions and export objects'),
      c('details', 'VARCHAR', 'JSON counts and warnings'),
      c('error', 'VARCHAR', 'one-line reason when the run failed'),
      c('job', 'VARCHAR', 'job name (partition)'),
    ],
  },
} satisfies Record<string, TableDef>;

export type TableName = keyof typeof TABLES;

export const VIEWS = {
  v_outcome_experience_lookup: 'latest row per experience_id (latest updated_at, then snapshot_date, then arrival order)',
  v_dim_customer: 'latest row per client_id (latest updated_at, then snapshot_date)',
} as const;
