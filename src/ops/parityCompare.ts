/**
 * The pure half of `parity` (no I/O): which legacy column is compared with which of ours, the SQL
 * that joins the two exports and turns them into one row per key and column, the classification of
 * a unit only one side counts, and the text a person reads. src/ops/parity.ts runs it.
 */
import { UsageError } from '../errors.js';
import { sqlIdent, sqlString } from '../engine/duckdb.js';
import { BillingMonth, businessDateOf, monthWindow } from '../time/time.js';

export type Level = 'client' | 'outcome';
export type Kind = 'number' | 'boolean' | 'text';
export type CellStatus = 'equal' | 'differs' | 'only_legacy' | 'only_ours';

/** The two exports compared, with their keys (SPEC "Monthly exports"). */
export const LEVELS: Record<Level, { job: string; keys: string[]; label: string }> = {
  client: { job: 'ace_unit_monthly_output', keys: ['client_id'], label: 'per client' },
  outcome: { job: 'ace_unit_monthly_outcome_experience_output', keys: ['client_id', 'outcome_id', 'experience_id', 'channel'], label: 'per client, outcome, experience and channel' },
};

const NUMBERS = new Set(['ace_units', 'delivered_notifications', 'attempted_notifications', 'engagements']);
const BOOLEANS = new Set(['is_billable']);
/** Not compared: the month selects the legacy rows; the rule version is this system's own. */
const NOT_COMPARED = new Set(['billing_month', 'rule_version']);

export function kindOf(column: string): Kind {
  return NUMBERS.has(column) ? 'number' : BOOLEANS.has(column) ? 'boolean' : 'text';
}

/** `--map a=b,c=d` (legacy name = our name) into a map; a malformed pair is a usage error. */
export function parseMap(text: string | undefined): Map<string, string> {
  const map = new Map<string, string>();
  if (text === undefined || text.trim() === '') return map;
  for (const pair of text.split(',')) {
    const m = /^\s*([^=]+?)\s*=\s*([^=]+?)\s*$/.exec(pair);
    if (!m) throw new UsageError(`parity: --map ${JSON.stringify(pair)} is not valid: use legacy_column=our_column pairs separated by commas, e.g. units=ace_units`);
    if (map.has(m[1])) throw new UsageError(`parity: --map names the legacy column ${m[1]} twice`);
    map.set(m[1], m[2]);
  }
  return map;
}

export interface ColumnPair {
  legacy: string;
  ours: string;
  kind: Kind;
}

export interface Plan {
  level: Level;
  keys: ColumnPair[];
  compared: ColumnPair[];
  /** The legacy column holding the billing month, when it has one (its rows of other months are left out). */
  monthColumn: string | null;
  notes: string[];
}

/**
 * Matches the legacy file's columns to ours by name, after `--map` renamed them. Every key must be
 * there (a usage error naming it and `--map` otherwise); a column on one side only is noted, not compared.
 */
export function planColumns(level: Level, file: string, legacyHeader: string[], oursHeader: string[], map: Map<string, string>): Plan {
  const renamed = new Map<string, string>(); // our name → legacy name
  for (const legacy of legacyHeader) {
    const ours = map.get(legacy) ?? legacy;
    if (renamed.has(ours)) throw new UsageError(`parity: the legacy file ${file} has two columns for ${ours} (${renamed.get(ours)} and ${legacy}); fix --map`);
    renamed.set(ours, legacy);
  }
  const keys: ColumnPair[] = LEVELS[level].keys.map((k) => {
    const legacy = renamed.get(k);
    if (legacy === undefined) {
      throw new UsageError(`parity: the legacy file ${file} has no column ${k} (its columns: ${legacyHeader.join(', ')}); name it with --map legacy_name=${k}`);
    }
    return { legacy, ours: k, kind: 'text' };
  });
  const compared: ColumnPair[] = [];
  const notes: string[] = [];
  for (const ours of oursHeader) {
    if (LEVELS[level].keys.includes(ours) || NOT_COMPARED.has(ours)) continue;
    const legacy = renamed.get(ours);
    if (legacy === undefined) notes.push(`${ours} is not in the legacy file: not compared`);
    else compared.push({ legacy, ours, kind: kindOf(ours) });
  }
  const known = new Set([...oursHeader]);
  const extra = legacyHeader.filter((l) => !known.has(map.get(l) ?? l));
  if (extra.length > 0) notes.push(`legacy column${extra.length === 1 ? '' : 's'} ${extra.join(', ')} ${extra.length === 1 ? 'has' : 'have'} no counterpart here: not compared (use --map legacy=ours if ${extra.length === 1 ? 'it is' : 'they are'} one of ours under another name)`);
  const monthColumn = renamed.get('billing_month') ?? null;
  return { level, keys, compared, monthColumn, notes };
}

/**
 * One `--map` serves every legacy file: each pair must name a column of at least one of them and a
 * column of this system's (a typo would otherwise silently compare nothing).
 */
export function checkMap(map: Map<string, string>, legacy: { file: string; header: string[] }[], ours: string[]): void {
  for (const [from, to] of map) {
    if (!legacy.some((l) => l.header.includes(from))) {
      throw new UsageError(`parity: --map names ${from}, which is not a column of the legacy file${legacy.length === 1 ? '' : 's'} (${legacy.map((l) => `${l.file}: ${l.header.join(', ')}`).join('; ')})`);
    }
    if (!ours.includes(to)) throw new UsageError(`parity: --map names ${to}, which is not a column of this system's exports (${ours.join(', ')})`);
  }
}

/** A value as compared: numbers as numbers (141 = 141.0), booleans case-free (True = true), text as is. */
function normalised(kind: Kind, v: string): string {
  if (kind === 'number') return `TRY_CAST(trim(${v}) AS DOUBLE)`;
  if (kind === 'boolean') return `CASE lower(trim(${v})) WHEN 'true' THEN 'true' WHEN 't' THEN 'true' WHEN '1' THEN 'true' WHEN 'false' THEN 'false' WHEN 'f' THEN 'false' WHEN '0' THEN 'false' ELSE ${v} END`;
  return `coalesce(${v}, '')`;
}

/**
 * The SQL joining this system's export (relation `ours`, all text) with the legacy one (`legacy`, all
 * text): one row per key and compared column with `level, key_0…, key_index, column, legacy, ours,
 * difference` (ours − legacy, numbers only; a side without the key counts as 0) and `status`.
 * `$month` filters the legacy rows when the legacy file has a billing month column.
 */
export function comparisonSql(plan: Plan, ours: string, legacy: string): string {
  const k = plan.keys;
  const oSel = [...k.map((p, i) => `${sqlIdent(p.ours)} AS k${i}`), ...plan.compared.map((p, i) => `${sqlIdent(p.ours)} AS c${i}`)].join(', ');
  const lSel = [...k.map((p, i) => `trim(${sqlIdent(p.legacy)}) AS k${i}`), ...plan.compared.map((p, i) => `${sqlIdent(p.legacy)} AS c${i}`)].join(', ');
  const where = plan.monthColumn ? `WHERE trim(${sqlIdent(plan.monthColumn)}) = $month` : '';
  const keyOut = k.map((_, i) => `coalesce(o.k${i}, l.k${i}) AS k${i}`).join(', ');
  const on = k.map((_, i) => `o.k${i} = l.k${i}`).join(' AND ');
  const cells = plan.compared.map((p, i) => {
    const o = normalised(p.kind, `o_c${i}`);
    const l = normalised(p.kind, `l_c${i}`);
    const equal = p.kind === 'number' ? `(${o} IS NOT NULL AND ${l} IS NOT NULL AND ${o} = ${l})` : `(${o} = ${l})`;
    const diff = p.kind === 'number' ? `CASE WHEN (in_ours AND ${o} IS NULL) OR (in_legacy AND ${l} IS NULL) THEN NULL ELSE coalesce(${o}, 0) - coalesce(${l}, 0) END` : 'NULL::DOUBLE';
    return `SELECT ${sqlString(plan.level)} AS level, ${k.map((_, j) => `k${j}`).join(', ')}, ${i} AS column_index, ${sqlString(p.ours)} AS "column", l_c${i} AS legacy, o_c${i} AS ours, ${diff} AS difference,
      CASE WHEN NOT in_legacy THEN 'only_ours' WHEN NOT in_ours THEN 'only_legacy' WHEN ${equal} THEN 'equal' ELSE 'differs' END AS status FROM j`;
  });
  if (cells.length === 0) {
    cells.push(`SELECT ${sqlString(plan.level)} AS level, ${k.map((_, j) => `k${j}`).join(', ')}, 0 AS column_index, '(row)' AS "column", NULL AS legacy, NULL AS ours, NULL::DOUBLE AS difference,
      CASE WHEN NOT in_legacy THEN 'only_ours' WHEN NOT in_ours THEN 'only_legacy' ELSE 'equal' END AS status FROM j`);
  }
  return `WITH o AS (SELECT ${oSel} FROM ${ours}),
  l AS (SELECT ${lSel} FROM ${legacy} ${where}),
  j AS (SELECT ${keyOut}, o.k0 IS NOT NULL AS in_ours, l.k0 IS NOT NULL AS in_legacy,
          ${[...plan.compared.map((_, i) => `o.c${i} AS o_c${i}, l.c${i} AS l_c${i}`), 'NULL AS _none'].join(', ')}
        FROM o FULL OUTER JOIN l ON ${on})
  SELECT * FROM (${cells.join('\nUNION ALL\n')}) ORDER BY ${k.map((_, j) => `k${j}`).join(', ')}, column_index`;
}

/** Keys the legacy file holds more than once (in the month compared): the SQL lists them. */
export function duplicateKeysSql(plan: Plan, legacy: string): string {
  const keys = plan.keys.map((p) => `trim(${sqlIdent(p.legacy)})`).join(` || '/' || `);
  const where = plan.monthColumn ? `WHERE trim(${sqlIdent(plan.monthColumn)}) = $month` : '';
  return `SELECT ${keys} AS key, count(*)::INTEGER AS n FROM ${legacy} ${where} GROUP BY ALL HAVING count(*) > 1 ORDER BY key LIMIT 5`;
}

export interface Cell {
  level: Level;
  keys: string[];
  column: string;
  legacy: string | null;
  ours: string | null;
  difference: number | null;
  status: CellStatus;
}

/** Rows from comparisonSql into cells. */
export function toCells(plan: Plan, rows: Record<string, unknown>[]): Cell[] {
  const text = (v: unknown) => (v === null || v === undefined ? null : String(v));
  return rows.map((r) => ({
    level: plan.level,
    keys: plan.keys.map((_, i) => String(r[`k${i}`] ?? '')),
    column: String(r.column),
    legacy: text(r.legacy),
    ours: text(r.ours),
    difference: r.difference === null || r.difference === undefined ? null : Number(r.difference),
    status: r.status as CellStatus,
  }));
}

// ---- units only one side counts ------------------------------------------------------------------

export type Side = 'legacy' | 'ours';
export type Cause = 'dedup' | 'lookback' | 'est_date_boundary';

export const CAUSE_TEXT: Record<Cause | 'unknown', string> = {
  dedup: 'an event deduplicated differently',
  lookback: 'a delivery outside the lookback',
  est_date_boundary: 'a date boundary in another time zone (the legacy cron ran in fixed EST, UTC-5)',
  unknown: 'unknown',
};

/**
 * One delivery (or engagement) of a unit's notification with the attempt behind it, as this system's
 * tables hold them. Instants in epoch milliseconds; dates are ET business dates (the partitions).
 */
export interface Candidate {
  notification_id: string;
  attempt_event_id: string | null;
  attempted_ms: number | null;
  attempt_dt: string | null;
  delivery_event_id: string | null;
  delivered_ms: number | null;
  delivery_dt: string | null;
  /** This system engaged the notification on delivery_dt (for this unit). */
  engaged: boolean;
  /** A conflicting duplicate of the attempt or the delivery was rejected (conflicting_duplicate). */
  conflicting_duplicate: boolean;
}

export interface Classification {
  causes: (Cause | 'unknown')[];
  details: string[];
}

const HOUR = 3_600_000;
const ESTd = (ms: number) => new Date(ms - 5 * HOUR).toISOString().slice(0, 10);
const dayNumber = (date: string) => Date.parse(`${date}T00:00:00Z`) / (24 * HOUR);
const iso = (ms: number) => new Date(ms).toISOString();

/** The month in fixed EST (UTC-5), as the legacy cron cut it: [M-01 05:00Z, next M-01 05:00Z). */
export function estMonthWindow(month: BillingMonth): { startMs: number; endMs: number } {
  const [y, m] = month.split('-').map(Number);
  return { startMs: Date.UTC(y, m - 1, 1, 5), endMs: Date.UTC(y, m, 1, 5) };
}

/**
 * Why one side counts a unit the other does not, where the tables can tell:
 * - legacy only: a conflicting duplicate carried this unit (the legacy kept another copy); a
 *   delivery in M whose attempt is outside this system's lookback; a delivery in M by fixed EST but
 *   not by America/New_York (00:00-01:00 EDT on the 1st of the next month).
 * - ours only: every engagement of the unit in M is explained by one of the same causes seen from
 *   the other side (its attempt or delivery had a conflicting duplicate; by EST dates its attempt is
 *   outside the lookback; by EST its delivery is in another month).
 * Otherwise `unknown`.
 */
export function classifyUnit(side: Side, month: BillingMonth, attributionDays: number, candidates: Candidate[], rejectedCopies: number): Classification {
  const et = monthWindow(month);
  const est = estMonthWindow(month);
  const inEt = (ms: number) => ms >= et.startUtc.getTime() && ms < et.endUtc.getTime();
  const inEst = (ms: number) => ms >= est.startMs && ms < est.endMs;
  const estGap = (c: Candidate) => (c.delivered_ms === null || c.attempted_ms === null ? null : dayNumber(ESTd(c.delivered_ms)) - dayNumber(ESTd(c.attempted_ms)));
  const found = new Map<Cause, string>();
  const add = (cause: Cause, detail: string) => {
    if (!found.has(cause)) found.set(cause, detail);
  };
  const boundaryText = (ms: number) =>
    `delivered ${iso(ms)}: ${businessDateOf(new Date(ms))} in America/New_York, ${ESTd(ms)} in fixed EST`;

  if (side === 'legacy') {
    if (rejectedCopies > 0) add('dedup', `${rejectedCopies} conflicting duplicate${rejectedCopies === 1 ? '' : 's'} of an attempt carried this unit; this system kept the earliest-arrived copy, which does not`);
    for (const c of candidates) {
      if (c.delivered_ms === null) continue;
      if (c.conflicting_duplicate) add('dedup', `notification ${c.notification_id}: a conflicting duplicate of its attempt or delivery was rejected here; the legacy may have kept the other copy`);
      const gap = estGap(c);
      if (!inEt(c.delivered_ms) && inEst(c.delivered_ms) && gap !== null && gap >= 0 && gap <= attributionDays) add('est_date_boundary', `notification ${c.notification_id} ${boundaryText(c.delivered_ms)}: EST puts it in ${month}, this system in ${businessDateOf(new Date(c.delivered_ms)).slice(0, 7)}`);
      if (inEt(c.delivered_ms) && !c.engaged && c.attempt_dt !== null && c.delivery_dt !== null) {
        const back = dayNumber(c.delivery_dt) - dayNumber(c.attempt_dt);
        if (back > attributionDays || back < 0) add('lookback', `notification ${c.notification_id} delivered ${c.delivery_dt}, attempted ${c.attempt_dt} (${back} days before; the lookback is ${attributionDays}): unattributed here`);
      }
    }
  } else {
    const perEngagement = candidates.filter((c) => c.engaged && c.delivered_ms !== null);
    const explained = perEngagement.map((c) => {
      const causes: [Cause, string][] = [];
      if (c.conflicting_duplicate) causes.push(['dedup', `notification ${c.notification_id}: a conflicting duplicate of its attempt or delivery was rejected here; the legacy may have kept the other copy`]);
      if (!inEst(c.delivered_ms!)) causes.push(['est_date_boundary', `notification ${c.notification_id} ${boundaryText(c.delivered_ms!)}: EST puts it outside ${month}`]);
      const gap = estGap(c);
      if (gap !== null && (gap > attributionDays || gap < 0)) causes.push(['lookback', `notification ${c.notification_id} attempted ${iso(c.attempted_ms!)}, delivered ${iso(c.delivered_ms!)}: ${gap} days apart in EST dates, outside a ${attributionDays}-day lookback`]);
      return causes;
    });
    if (explained.length > 0 && explained.every((cs) => cs.length > 0)) for (const cs of explained) for (const [cause, detail] of cs) add(cause, detail);
  }
  if (found.size === 0) return { causes: ['unknown'], details: [side === 'legacy' ? 'no attempt, delivery or rejected copy here explains it' : 'its engagements show no known cause'] };
  return { causes: [...found.keys()], details: [...found.values()] };
}

// ---- text for a person ---------------------------------------------------------------------------

/** Left-aligned text columns, numbers right-aligned. */
export function table(header: string[], rows: string[][], numeric: boolean[] = []): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((v, i) => (numeric[i] ? v.padStart(widths[i]) : v.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

export function formatNumber(n: number | null): string {
  if (n === null) return '';
  const s = Number.isInteger(n) ? String(n) : String(Number(n.toFixed(6)));
  return n > 0 ? `+${s}` : s;
}

/**
 * The cells a person sees: at the client level every number (both values and the difference) and
 * any other column that differs; at the outcome level only what differs (the CSV has every cell).
 */
export function cellsShown(cells: Cell[]): Cell[] {
  return cells.filter((c) => c.status !== 'equal' || (c.level === 'client' && kindOf(c.column) === 'number'));
}

export function cellTable(level: Level, cells: Cell[]): string[] {
  const keyNames = LEVELS[level].keys;
  return table(
    [...keyNames, 'column', 'legacy', 'ace-unit', 'difference', 'status'],
    cells.map((c) => [...c.keys, c.column, c.legacy ?? '', c.ours ?? '', formatNumber(c.difference), c.status === 'equal' ? '' : c.status]),
    [...keyNames.map(() => false), false, true, true, true, false],
  );
}

/** RFC 4180 field. */
export function csvField(v: string | number | null): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const CELL_CSV_HEADER = ['level', 'client_id', 'outcome_id', 'experience_id', 'channel', 'column', 'legacy', 'ace_unit', 'difference', 'status'];

export function cellCsvRow(c: Cell): string {
  const keys = c.level === 'client' ? [c.keys[0], '', '', ''] : c.keys;
  const diff = c.difference === null ? null : Number.isInteger(c.difference) ? c.difference : Number(c.difference.toFixed(6));
  return [c.level, ...keys, c.column, c.legacy, c.ours, diff, c.status].map(csvField).join(',');
}
