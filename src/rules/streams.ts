/** The three raw streams of SPEC.md "Raw input": required fields in the table's order. */

export type FieldKind = 'id' | 'name' | 'channel' | 'timestamp';

export interface FieldSpec {
  name: string;
  kind: FieldKind;
  /** Replaced by HMAC-SHA256 under ACE_CUSTOMER_ID_KEY when pseudonymisation is on. */
  pseudonymise?: boolean;
}

export interface StreamSpec {
  stream: 'notification_attempted' | 'notification_delivered' | 'experience_config';
  /** Required fields in SPEC.md's order: when several are wrong, the first is named. */
  fields: FieldSpec[];
  /** The field whose business date places the row; null for snapshot streams (no date filter). */
  dateField: string | null;
  /** Dedup key; null for snapshot streams (every valid line is a row). */
  key: string | null;
  /** Columns readers filter on, to sort the Parquet output. */
  orderBy: string[];
}

export const ATTEMPTED: StreamSpec = {
  stream: 'notification_attempted',
  fields: [
    { name: 'event_id', kind: 'id' },
    { name: 'notification_id', kind: 'id' },
    { name: 'client_id', kind: 'id' },
    { name: 'customer_id', kind: 'id', pseudonymise: true },
    { name: 'experience_id', kind: 'id' },
    { name: 'channel', kind: 'channel' },
    { name: 'attempted_at', kind: 'timestamp' },
  ],
  dateField: 'attempted_at',
  key: 'event_id',
  orderBy: ['notification_id', 'attempted_at', 'event_id'],
};

export const DELIVERED: StreamSpec = {
  stream: 'notification_delivered',
  fields: [
    { name: 'event_id', kind: 'id' },
    { name: 'notification_id', kind: 'id' },
    { name: 'channel', kind: 'channel' },
    { name: 'delivered_at', kind: 'timestamp' },
  ],
  dateField: 'delivered_at',
  key: 'event_id',
  orderBy: ['notification_id', 'delivered_at', 'event_id'],
};

export const EXPERIENCE_CONFIG: StreamSpec = {
  stream: 'experience_config',
  fields: [
    { name: 'experience_id', kind: 'id' },
    { name: 'experience_name', kind: 'name' },
    { name: 'outcome_id', kind: 'id' },
    { name: 'outcome_name', kind: 'name' },
    { name: 'client_id', kind: 'id' },
    { name: 'updated_at', kind: 'timestamp' },
  ],
  dateField: null,
  key: null,
  orderBy: ['experience_id', 'arrival_hour', 'source_file', 'line_number'],
};
