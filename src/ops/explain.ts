/**
 * `explain`: the billing proof of one ACE unit, from the client's export row down to the raw bytes.
 * export row → audit row (first_notification_id, first_engaged_date) → ace_engagement_daily
 * (attempt_event_id) → the earliest delivery of that notification on that date and the attributing
 * attempt, each with its source_file, line_number and the line read back from the raw file.
 * Current: the partitions the pointers name (what the catalog's views read). `version`: the audit
 * version export version N was built from, and the dt partitions that were current when it was written.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { MissingInputError, UsageError } from '../errors.js';
import { sqlIdent } from '../engine/duckdb.js';
import { readJson } from '../lake/json.js';
import { Pointer, readPointer, runPrefix, versionAsOf } from '../lake/publish.js';
import { tableSelect } from '../sql/files.js';
import { TABLES, TableDef } from '../rules/tables.js';
import { Services } from '../run/context.js';
import type { Manifest } from '../../jobs/steps/export.js';
import { addDays, BillingMonth, BusinessDate } from '../time/time.js';
import { readRawLine } from './rawLine.js';

export const EXPORT_JOB = 'ace_unit_monthly_output';

export interface ExplainRequest {
  month: BillingMonth;
  client: string;
  customer: string;
  /** An export version (1, 2, …): explain the unit as that version counted it. */
  version?: number;
}

export type Row = Record<string, unknown>;

/** An event with where it came from and the raw line itself (line end excluded). */
export interface RawEvidence extends Row {
  event_id: string;
  source_file: string;
  line_number: number;
  raw_line: string;
}

export interface Explanation {
  unit: { billing_month: string; client_id: string; customer_id: string; basis: string; notes: string[] };
  export: { file: string; version: number; current_version: number; generated_at: string; partial: boolean; final: boolean; row: Row };
  audit: Row;
  engagement: Row;
  delivery: RawEvidence;
  attempt: RawEvidence;
}

const ISO = (col: string) => `strftime(${col}, '%Y-%m-%dT%H:%M:%S.%gZ')`;

/** The table's columns as JSON-friendly values: instants as ISO-8601 UTC with milliseconds and `Z`, dates as text. */
function selectList(def: TableDef): string {
  return def.columns
    .map((c) => {
      const id = sqlIdent(c.name);
      if (c.type === 'TIMESTAMPTZ') return `${ISO(id)} AS ${id}`;
      if (c.type === 'DATE') return `CAST(${id} AS VARCHAR) AS ${id}`;
      if (c.type === 'BIGINT') return `CAST(${id} AS DOUBLE) AS ${id}`;
      return id;
    })
    .join(', ');
}

/** Where each table's partitions are read: the current pointers, or those of an export version. */
interface Basis {
  label: string;
  audit(): Promise<Pointer>;
  partition(def: TableDef, date: BusinessDate): Promise<Pointer | null>;
}

/**
 * With ACE_CUSTOMER_ID_KEY the tables hold HMAC-SHA256(key, customer_id) (docs/security.md): a raw id
 * given on the command line is looked up by its pseudonym; a pseudonym (64 hex characters) as is.
 */
export function customerKeyOf(customer: string, key: string | null): string {
  if (key === null || /^[0-9a-f]{64}$/.test(customer)) return customer;
  return crypto.createHmac('sha256', key).update(customer, 'utf8').digest('hex');
}

export async function explainUnit(services: Services, req: ExplainRequest): Promise<Explanation> {
  const { month, client } = req;
  const customer = customerKeyOf(req.customer, services.config.customerIdKey);
  const store = services.store;
  const prefix = `${EXPORT_JOB}/billing_month=${month}`;
  const current = await readJson<Manifest>(services.exportStore, `${prefix}/_manifest.json`);
  if (!current) {
    throw new MissingInputError(`the month was never exported: no ${services.exportStore.describe(`${prefix}/_manifest.json`)}; run \`npm run pipeline -- monthly --month ${month}\` first`, { job: 'explain', month });
  }
  let manifest = current;
  let csvKey = `${prefix}/${current.file}`;
  if (req.version !== undefined && req.version !== current.version) {
    const vPrefix = `${prefix}/versions/v${req.version}`;
    const old = req.version < current.version ? await readJson<Manifest>(services.exportStore, `${vPrefix}/_manifest.json`) : null;
    if (!old) throw new UsageError(`no export version ${req.version}: its versions are 1 to ${current.version} (the current one)`, { job: 'explain', month });
    manifest = old;
    csvKey = `${vPrefix}/${old.file}`;
  }
  const version = manifest.version;
  const notes: string[] = [];
  if (customer !== req.customer) notes.push(`customer ${req.customer} is ${customer} in the tables (pseudonymised with ACE_CUSTOMER_ID_KEY)`);

  const scratchRoot = services.config.scratchRoot;
  fs.mkdirSync(scratchRoot, { recursive: true });
  const scratch = fs.mkdtempSync(path.join(scratchRoot, 'explain-'));
  const db = await services.engine.connect();
  try {
    const read = async (def: TableDef, pointer: Pointer, where: string, params: Record<string, string>, order = ''): Promise<Row[]> => {
      const files = await store.localPaths(pointer.files, path.join(scratch, def.name, `${pointer.partitionValue}-${pointer.runId}`));
      return db.all<Row>(`SELECT ${selectList(def)} FROM (${tableSelect(def, files)}) WHERE ${where} ${order}`, params);
    };

    // The export row of the client.
    const [csvPath] = await services.exportStore.localPaths([csvKey], path.join(scratch, 'export'));
    const [exportRow] = await db.all<Row>(`SELECT * FROM read_csv($p, header = true, all_varchar = true) WHERE client_id = $client`, { p: csvPath, client });
    const exported = {
      file: services.exportStore.describe(csvKey),
      version,
      current_version: current.version,
      generated_at: manifest.generated_at,
      partial: manifest.partial,
      final: manifest.final,
      row: exportRow ?? {},
    };
    const versionText = `export version ${version}${version === current.version ? ' (current)' : ` (current: ${current.version})`}`;

    const basis: Basis =
      req.version === undefined
        ? {
            label: 'current partitions',
            audit: async () => {
              const p = await readPointer(store, TABLES.ace_unit_audit, month);
              if (!p) throw new MissingInputError(`no ace_unit_audit for billing_month=${month}; run the daily pipeline for the month`, { job: 'explain', month });
              return p;
            },
            partition: (def, date) => readPointer(store, def, date),
          }
        : {
            label: `as it counted the unit (the partitions current when it was written, ${manifest.generated_at})`,
            audit: async () => {
              const runId = String(manifest.source_run_ids.ace_unit_audit ?? '');
              const def = TABLES.ace_unit_audit;
              const p = await readJson<Pointer>(store, `${runPrefix(def.name, def.partitionKey, month, runId)}/_manifest.json`);
              if (!p) throw new MissingInputError(`the ace_unit_audit version ${runId} behind export version ${version} was garbage-collected: it can no longer be explained`, { job: 'explain', month });
              return p;
            },
            partition: (def, date) => versionAsOf(store, def, date, manifest.generated_at),
          };

    // The audit row: the unit itself.
    const auditPointer = await basis.audit();
    const [audit] = await read(TABLES.ace_unit_audit, auditPointer, 'client_id = $client AND customer_id = $customer', { client, customer });
    if (!audit) {
      const units = exportRow ? Number(exportRow.ace_units) : 0;
      let hint = '';
      if (req.version === undefined) {
        const list = `npm run query -- "select customer_id from ace_unit_audit where billing_month = '${month}' and client_id = '${client.replace(/'/g, "''")}' limit 10"`;
        if (units > 0) hint = `; list some with ${list}`;
      } else {
        // Say whether a later version counts it, so "not in version N" reads as a change, not a typo.
        const now = await readPointer(store, TABLES.ace_unit_audit, month);
        const later = now ? await read(TABLES.ace_unit_audit, now, 'client_id = $client AND customer_id = $customer', { client, customer }) : [];
        hint = later.length > 0 ? `; the current audit counts it (explain it without --version)` : `; the current audit does not count it either`;
      }
      throw new MissingInputError(
        `customer ${req.customer}${customer !== req.customer ? ` (pseudonym ${customer})` : ''} of client ${client} is not an ACE unit of the month in ${versionText}: client ${client} has ${units} unit${units === 1 ? '' : 's'} in it${hint}`,
        { job: 'explain', month },
      );
    }
    if (req.version === undefined && manifest.source_run_ids.ace_unit_audit !== auditPointer.runId) {
      notes.push(`the current ace_unit_audit (run ${auditPointer.runId}) is newer than the one export version ${version} counted (run ${String(manifest.source_run_ids.ace_unit_audit)}): re-export the month, or pass --version ${version}`);
    }

    // The first-touch engagement: the notification engaged on the first engaged date.
    const date = String(audit.first_engaged_date) as BusinessDate;
    const notification = String(audit.first_notification_id);
    const need = async (def: TableDef, d: BusinessDate): Promise<Pointer> => {
      const p = await basis.partition(def, d);
      if (!p) throw new MissingInputError(`${def.name} dt=${d} is missing (${basis.label}): the unit's evidence cannot be read; run \`npm run status -- --month ${month}\``, { job: 'explain', month });
      return p;
    };
    const [engagement] = await read(TABLES.ace_engagement_daily, await need(TABLES.ace_engagement_daily, date), 'notification_id = $n', { n: notification });
    if (!engagement) throw inconsistent(month, `ace_engagement_daily dt=${date} has no row for notification ${notification}`);

    // The delivery: the earliest of that notification on that date (ties: smallest event_id), as the calc chose it.
    const [delivery] = await read(TABLES.notification_delivered, await need(TABLES.notification_delivered, date), 'notification_id = $n', { n: notification }, 'ORDER BY delivered_at, event_id LIMIT 1');
    if (!delivery) throw inconsistent(month, `notification_delivered dt=${date} has no delivery of notification ${notification}`);

    // The attempt that attributes it, in a date of the lookback.
    const attemptId = String(engagement.attempt_event_id);
    let attempt: Row | undefined;
    for (let back = 0; back <= services.config.attributionDays && !attempt; back++) {
      const p = await basis.partition(TABLES.notification_attempted, addDays(date, -back));
      if (p) [attempt] = await read(TABLES.notification_attempted, p, 'event_id = $id', { id: attemptId });
    }
    if (!attempt) throw inconsistent(month, `no notification_attempted row with event_id ${attemptId} in the ${services.config.attributionDays} days up to ${date}`);

    const withLine = async (row: Row): Promise<RawEvidence> => {
      const line = await readRawLine(services.raw, String(row.source_file), Number(row.line_number), scratch);
      return { ...row, event_id: String(row.event_id), source_file: String(row.source_file), line_number: Number(row.line_number), raw_line: line.toString('utf8') };
    };
    return {
      unit: { billing_month: month, client_id: client, customer_id: customer, basis: `${versionText}, ${basis.label}`, notes },
      export: exported,
      audit,
      engagement,
      delivery: await withLine(delivery),
      attempt: await withLine(attempt),
    };
  } finally {
    db.close();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

function inconsistent(month: string, what: string): MissingInputError {
  return new MissingInputError(`${what}, though the audit names it: the tables changed since the audit was built; run \`npm run status -- --month ${month}\` and restate the month`, { job: 'explain', month });
}

/** The explanation for a person: one section per link of the chain, raw lines exactly as they are. */
export function explanationText(e: Explanation): string {
  const out: string[] = [];
  const fields = (row: Row, skip: string[] = []) => {
    const keys = Object.keys(row).filter((k) => !skip.includes(k));
    const width = Math.max(0, ...keys.map((k) => k.length));
    for (const k of keys) out.push(`  ${k.padEnd(width)}  ${row[k] === null || row[k] === undefined ? '' : String(row[k])}`);
  };
  const section = (title: string) => out.push('', title, '-'.repeat(title.length));
  const u = e.unit;
  out.push(`ACE unit ${u.billing_month}: client ${u.client_id}, customer ${u.customer_id}`);
  out.push(`  ${u.basis}`);
  for (const n of u.notes) out.push(`  note: ${n}`);
  section(`Export row (version ${e.export.version} of ${e.export.current_version}, generated ${e.export.generated_at}${e.export.partial ? ', partial' : ''}${e.export.final ? ', final' : ''})`);
  out.push(`  ${e.export.file}`);
  fields(e.export.row);
  section('Audit row (ace_unit_audit)');
  fields(e.audit);
  section(`First-touch engagement (ace_engagement_daily dt=${String(e.engagement.dt)})`);
  fields(e.engagement);
  for (const [title, ev] of [
    [`Delivery (notification_delivered dt=${String(e.delivery.dt)}: the earliest of the notification that day)`, e.delivery],
    [`Attempt (notification_attempted dt=${String(e.attempt.dt)}: the one that attributes the engagement)`, e.attempt],
  ] as const) {
    section(title);
    fields(ev, ['raw_line']);
    out.push(`  raw line ${ev.source_file}:${ev.line_number}:`);
    out.push(ev.raw_line);
  }
  return `${out.join('\n')}\n`;
}
