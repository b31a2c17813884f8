/**
 * `parity`: this system's two monthly exports of M (their current versions, found through their
 * `_manifest.json` as `explain` finds them) against the legacy Glue system's CSV exports, and with a
 * legacy audit, the units only one side counts, each with this system's evidence and a likely cause.
 * The comparison itself (column plan, SQL, classification, text) is pure: src/ops/parityCompare.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AceError, MissingInputError, UsageError, oneLine } from '../errors.js';
import { Db, sqlIdent, sqlString } from '../engine/duckdb.js';
import { readJson } from '../lake/json.js';
import { Pointer, readPointer, runPrefix } from '../lake/publish.js';
import { tableSelect } from '../sql/files.js';
import { TABLES, TableDef } from '../rules/tables.js';
import { Services } from '../run/context.js';
import type { Manifest } from '../../jobs/steps/export.js';
import { addDays, BillingMonth, BusinessDate, datesBetween, firstDayOf, lastDayOf } from '../time/time.js';
import { Explanation, explainUnit, explanationText } from './explain.js';
import { readRawLine } from './rawLine.js';
import {
  CAUSE_TEXT,
  Candidate,
  Cause,
  Cell,
  CELL_CSV_HEADER,
  Level,
  LEVELS,
  Plan,
  Side,
  cellCsvRow,
  cellsShown,
  cellTable,
  checkMap,
  classifyUnit,
  comparisonSql,
  csvField,
  duplicateKeysSql,
  parseMap,
  planColumns,
  toCells,
} from './parityCompare.js';

export interface ParityRequest {
  month: BillingMonth;
  /** Legacy per-client export (CSV). */
  legacy: string;
  /** Legacy per (client, outcome, experience, channel) export (CSV). */
  legacyOutcome?: string;
  /** Legacy units: one row per (client_id, customer_id). */
  legacyAudit?: string;
  /** `--map legacy=ours,…` as given. */
  map?: string;
  /** Folder for parity_M.csv (and parity_units_M.csv). */
  outDir: string;
  /** At most this many one-sided units get their evidence read (every one is classified). */
  evidenceLimit: number;
}

export interface Compared {
  level: Level;
  legacy_file: string;
  export_file: string;
  export_version: number;
  notes: string[];
  cells: Cell[];
}

/** A raw event behind a unit the legacy counts and this system does not. */
export interface EventEvidence {
  what: string;
  event_id: string | null;
  source_file: string;
  line_number: number;
  raw_line: string;
}

export interface UnitDiff {
  client_id: string;
  customer_id: string;
  counted_by: 'legacy' | 'ace-unit';
  causes: (Cause | 'unknown')[];
  details: string[];
  /** ace-unit only: `explain`'s proof of the unit; legacy only: the events this system holds for it. */
  explanation?: Explanation;
  events?: EventEvidence[];
  evidence_note?: string;
}

export interface ParityResult {
  month: string;
  compared: Compared[];
  units: { legacy_file: string; legacy_units: number; ace_units: number; diffs: UnitDiff[] } | null;
  files: string[];
  equal: boolean;
}

export async function runParity(services: Services, req: ParityRequest): Promise<ParityResult> {
  const { month } = req;
  const map = parseMap(req.map);
  for (const [flag, file] of [['--legacy', req.legacy], ['--legacy-outcome', req.legacyOutcome], ['--legacy-audit', req.legacyAudit]] as const) {
    if (file !== undefined && !fs.statSync(file, { throwIfNoEntry: false })?.isFile()) throw new UsageError(`parity: ${flag} ${file}: no such file; give the legacy system's CSV export for ${month}`, { month });
  }
  fs.mkdirSync(services.config.scratchRoot, { recursive: true });
  const scratch = fs.mkdtempSync(path.join(services.config.scratchRoot, 'parity-'));
  const db = await services.engine.connect();
  try {
    // The sandbox lets DuckDB read only the lake and scratch: the legacy files are copied in.
    let n = 0;
    const loadCsv = async (table: string, file: string, legacy: boolean): Promise<string[]> => {
      const local = path.join(scratch, `in-${n++}.csv`);
      fs.copyFileSync(file, local);
      // Ours is written as SPEC says (RFC 4180, comma); the legacy dialect is sniffed (Spark escapes quotes with \).
      const opts = legacy ? 'header = true, all_varchar = true' : `header = true, all_varchar = true, delim = ',', quote = '"', escape = '"'`;
      await db.run(`CREATE TEMP TABLE ${sqlIdent(table)} AS SELECT * FROM read_csv(${sqlString(local)}, ${opts})`);
      return (await db.columns(`SELECT * FROM ${sqlIdent(table)}`)).map((c) => c.name);
    };

    // Load everything first: one --map serves all the legacy files.
    const loaded: { level: Level; legacyFile: string; manifest: Manifest; key: string; oursHeader: string[]; legacyHeader: string[] }[] = [];
    for (const [level, legacyFile] of [['client', req.legacy], ['outcome', req.legacyOutcome]] as const) {
      if (legacyFile === undefined) continue;
      const { manifest, key } = await currentExport(services, LEVELS[level].job, month);
      const [csv] = await services.exportStore.localPaths([key], path.join(scratch, level));
      loaded.push({ level, legacyFile, manifest, key, oursHeader: await loadCsv(`ours_${level}`, csv, false), legacyHeader: await loadCsv(`legacy_${level}`, legacyFile, true) });
    }
    const auditHeader = req.legacyAudit === undefined ? null : await loadCsv('legacy_units', req.legacyAudit, true);
    checkMap(
      map,
      [...loaded.map((l) => ({ file: l.legacyFile, header: l.legacyHeader })), ...(auditHeader ? [{ file: req.legacyAudit!, header: auditHeader }] : [])],
      [...new Set([...loaded.flatMap((l) => l.oursHeader), 'client_id', 'customer_id'])],
    );

    const compared: Compared[] = [];
    let clientManifest: Manifest | null = null;
    for (const { level, legacyFile, manifest, key, oursHeader, legacyHeader } of loaded) {
      if (level === 'client') clientManifest = manifest;
      const plan = planColumns(level, legacyFile, legacyHeader, oursHeader, map);
      const params = plan.monthColumn ? { month } : undefined;
      await refuseDuplicateKeys(db, plan, `legacy_${level}`, legacyFile, month, params);
      const rows = await db.all(comparisonSql(plan, `ours_${level}`, `legacy_${level}`), params);
      compared.push({ level, legacy_file: legacyFile, export_file: services.exportStore.describe(key), export_version: manifest.version, notes: plan.notes, cells: toCells(plan, rows) });
    }

    let units: ParityResult['units'] = null;
    if (req.legacyAudit !== undefined) {
      clientManifest ??= (await currentExport(services, LEVELS.client.job, month)).manifest;
      units = await compareUnits(services, db, scratch, req, map, clientManifest, auditHeader!);
    }

    const files = writeCsvs(req, compared, units);
    const equal = compared.every((c) => c.cells.every((x) => x.status === 'equal')) && (units === null || units.diffs.length === 0);
    return { month, compared, units, files, equal };
  } finally {
    db.close();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

async function currentExport(services: Services, job: string, month: BillingMonth): Promise<{ manifest: Manifest; key: string }> {
  const prefix = `${job}/billing_month=${month}`;
  const manifest = await readJson<Manifest>(services.exportStore, `${prefix}/_manifest.json`);
  if (!manifest) {
    throw new MissingInputError(`no export of ${month} to compare: ${services.exportStore.describe(`${prefix}/_manifest.json`)} is missing; run \`npm run pipeline -- monthly --month ${month}\` first`, { job: 'parity', month });
  }
  return { manifest, key: `${prefix}/${manifest.file}` };
}

async function refuseDuplicateKeys(db: Db, plan: Plan, table: string, file: string, month: string, params?: { month: string }): Promise<void> {
  const dups = await db.all<{ key: string; n: number }>(duplicateKeysSql(plan, table), params);
  if (dups.length > 0) {
    throw new UsageError(`parity: the legacy file ${file} holds ${dups.map((d) => `${d.key} ${d.n} times`).join(', ')} (key ${plan.keys.map((k) => k.legacy).join(', ')}): give one row per key for ${month}, or --map the right columns`, { month });
  }
}

function writeCsvs(req: ParityRequest, compared: Compared[], units: ParityResult['units']): string[] {
  fs.mkdirSync(req.outDir, { recursive: true });
  const files: string[] = [];
  const cellsFile = path.join(req.outDir, `parity_${req.month}.csv`);
  const lines = [CELL_CSV_HEADER.join(','), ...compared.flatMap((c) => c.cells.map(cellCsvRow))];
  fs.writeFileSync(cellsFile, `${lines.join('\n')}\n`);
  files.push(cellsFile);
  if (units) {
    const unitsFile = path.join(req.outDir, `parity_units_${req.month}.csv`);
    const rows = units.diffs.map((u) => {
      const evidence = u.explanation
        ? [u.explanation.delivery, u.explanation.attempt].map((e) => `${e.source_file}:${e.line_number}`)
        : (u.events ?? []).map((e) => `${e.source_file}:${e.line_number}`);
      return [u.client_id, u.customer_id, u.counted_by, u.causes.join(' '), u.details.join('; '), evidence.join(' ')].map(csvField).join(',');
    });
    fs.writeFileSync(unitsFile, `${['client_id,customer_id,counted_by,cause,detail,evidence', ...rows].join('\n')}\n`);
    files.push(unitsFile);
  }
  return files;
}

// ---- units --------------------------------------------------------------------------------------

async function compareUnits(
  services: Services,
  db: Db,
  scratch: string,
  req: ParityRequest,
  map: Map<string, string>,
  manifest: Manifest,
  header: string[],
): Promise<NonNullable<ParityResult['units']>> {
  const { month } = req;
  const file = req.legacyAudit!;
  const nameOf = (ours: string) => header.find((h) => (map.get(h) ?? h) === ours);
  const client = nameOf('client_id');
  const customer = nameOf('customer_id');
  if (!client || !customer) throw new UsageError(`parity: the legacy audit ${file} needs client_id and customer_id columns (its columns: ${header.join(', ')}); name them with --map legacy_name=client_id`, { month });
  const monthCol = nameOf('billing_month');

  // The audit the current export counted (as `explain --version N` reads it).
  const def = TABLES.ace_unit_audit;
  const runId = String(manifest.source_run_ids.ace_unit_audit ?? '');
  const pointer = await readJson<Pointer>(services.store, `${runPrefix(def.name, def.partitionKey, month, runId)}/_manifest.json`);
  if (!pointer) throw new MissingInputError(`the ace_unit_audit version ${runId} behind export version ${manifest.version} was garbage-collected: its units cannot be compared; re-export the month`, { job: 'parity', month });
  const auditFiles = await services.store.localPaths(pointer.files, path.join(scratch, 'audit'));
  await db.run(`CREATE TEMP TABLE ours_units AS SELECT DISTINCT client_id, customer_id FROM (${tableSelect(def, auditFiles)})`);
  await db.run(
    `CREATE TEMP TABLE legacy_units_m AS SELECT DISTINCT trim(${sqlIdent(client)}) AS client_id, trim(${sqlIdent(customer)}) AS customer_id FROM legacy_units ${monthCol ? `WHERE trim(${sqlIdent(monthCol)}) = ${sqlString(month)}` : ''}`,
  );
  await db.run(`CREATE TEMP TABLE one_sided AS
    SELECT coalesce(o.client_id, l.client_id) AS client_id, coalesce(o.customer_id, l.customer_id) AS customer_id, CASE WHEN o.client_id IS NULL THEN 'legacy' ELSE 'ours' END AS side
    FROM ours_units o FULL OUTER JOIN legacy_units_m l ON o.client_id = l.client_id AND o.customer_id = l.customer_id
    WHERE o.client_id IS NULL OR l.client_id IS NULL`);
  const [counts] = await db.all<{ legacy: number; ours: number }>(`SELECT (SELECT count(*) FROM legacy_units_m)::INTEGER AS legacy, (SELECT count(*) FROM ours_units)::INTEGER AS ours`);
  const sided = await db.all<{ client_id: string; customer_id: string; side: Side }>(`SELECT * FROM one_sided ORDER BY side, client_id, customer_id`);
  if (sided.length === 0) return { legacy_file: file, legacy_units: counts.legacy, ace_units: counts.ours, diffs: [] };

  const facts = await unitFacts(services, db, scratch, month);
  const diffs: UnitDiff[] = [];
  for (const u of sided) {
    const key = `${u.client_id}\u0000${u.customer_id}`;
    const candidates = facts.candidates.get(key) ?? [];
    const rejected = facts.rejected.get(key) ?? [];
    const c = classifyUnit(u.side, month, services.config.attributionDays, candidates, rejected.length);
    const diff: UnitDiff = { client_id: u.client_id, customer_id: u.customer_id, counted_by: u.side === 'legacy' ? 'legacy' : 'ace-unit', causes: c.causes, details: [...c.details, ...facts.notes] };
    if (diffs.length >= req.evidenceLimit) {
      diff.evidence_note = `evidence not read: more than ${req.evidenceLimit} units differ (raise --evidence)`;
    } else {
      // A unit whose evidence cannot be read (a raw file gone, a version garbage-collected) is still listed.
      try {
        if (u.side === 'ours') {
          diff.explanation = await explainUnit(services, { month, client: u.client_id, customer: u.customer_id, version: manifest.version });
        } else {
          diff.events = await legacyOnlyEvidence(services, scratch, candidates, rejected);
          if (diff.events.length === 0) diff.evidence_note = `this system holds no attempt of customer ${u.customer_id} for client ${u.client_id} in the dates read for ${month}`;
        }
      } catch (err) {
        if (!(err instanceof AceError)) throw err;
        diff.evidence_note = `its evidence cannot be read: ${oneLine(err)}`;
      }
    }
    diffs.push(diff);
  }
  return { legacy_file: file, legacy_units: counts.legacy, ace_units: counts.ours, diffs };
}

interface Located {
  source_file: string;
  line_number: number;
}
type FactCandidate = Candidate & { attempt_at?: Located; delivery_at?: Located };
interface Rejected extends Located {
  event_id: string | null;
  stream: string;
  raw_line: string;
}

/**
 * What the current tables hold for the one-sided units: attempts of the unit and deliveries of their
 * notifications (for legacy-only units), or the unit's engagements and their attempts (ace-unit only),
 * and the conflicting duplicates rejected around the month. Dates read: the month with the lookback
 * before it and a day either side (where the legacy's EST dates can move an event).
 */
async function unitFacts(services: Services, db: Db, scratch: string, month: BillingMonth): Promise<{ candidates: Map<string, FactCandidate[]>; rejected: Map<string, Rejected[]>; notes: string[] }> {
  const first = firstDayOf(month);
  const last = lastDayOf(month);
  const days = services.config.attributionDays;
  const notes: string[] = [];
  const view = async (name: string, def: TableDef, dates: BusinessDate[], required: BusinessDate[] = []) => {
    const pointers = await Promise.all(dates.map((d) => readPointer(services.store, def, d)));
    const missing = required.filter((d) => !pointers[dates.indexOf(d)]);
    if (missing.length > 0) notes.push(`${def.name} ${missing.map((d) => `dt=${d}`).join(', ')} not built: causes there cannot be seen`);
    const files = await services.store.localPaths(pointers.flatMap((p) => p?.files ?? []), path.join(scratch, name));
    await db.run(`CREATE TEMP VIEW ${sqlIdent(name)} AS ${tableSelect(def, files)}`);
  };
  const around = datesBetween(addDays(first, -1), addDays(last, 1));
  await view('f_attempted', TABLES.notification_attempted, datesBetween(addDays(first, -days - 1), addDays(last, 1)));
  await view('f_delivered', TABLES.notification_delivered, around, [addDays(last, 1)]);
  await view('f_engaged', TABLES.ace_engagement_daily, around);
  const rejectDates = datesBetween(addDays(first, -days - 1), addDays(last, 3));
  await view('f_attempted_rejects', TABLES.notification_attempted_rejects, rejectDates);
  await view('f_delivered_rejects', TABLES.notification_delivered_rejects, rejectDates);
  const jx = (field: string) => `CASE WHEN json_valid(raw_line) THEN json_extract_string(raw_line, '$.${field}') END`;
  await db.run(`CREATE TEMP TABLE f_dups AS
    SELECT 'notification_attempted' AS stream, source_file, line_number, raw_line, ${jx('event_id')} AS event_id, ${jx('notification_id')} AS notification_id, ${jx('client_id')} AS client_id, ${jx('customer_id')} AS customer_id
      FROM f_attempted_rejects WHERE reason = 'conflicting_duplicate'
    UNION ALL
    SELECT 'notification_delivered', source_file, line_number, raw_line, ${jx('event_id')}, ${jx('notification_id')}, NULL, NULL
      FROM f_delivered_rejects WHERE reason = 'conflicting_duplicate'`);
  const dupOf = (attemptEvent: string, notification: string) =>
    `EXISTS (SELECT 1 FROM f_dups x WHERE (x.stream = 'notification_attempted' AND x.event_id = ${attemptEvent}) OR (x.stream = 'notification_delivered' AND x.notification_id = ${notification}))`;
  const rows = await db.all<Record<string, unknown>>(`
    SELECT u.client_id, u.customer_id, a.notification_id, a.event_id AS attempt_event_id, epoch_ms(a.attempted_at)::DOUBLE AS attempted_ms, CAST(a.dt AS VARCHAR) AS attempt_dt,
      a.source_file AS attempt_file, a.line_number::DOUBLE AS attempt_line,
      d.event_id AS delivery_event_id, epoch_ms(d.delivered_at)::DOUBLE AS delivered_ms, CAST(d.dt AS VARCHAR) AS delivery_dt, d.source_file AS delivery_file, d.line_number::DOUBLE AS delivery_line,
      EXISTS (SELECT 1 FROM f_engaged e WHERE e.notification_id = d.notification_id AND e.dt = d.dt AND e.client_id = u.client_id AND e.customer_id = u.customer_id) AS engaged,
      ${dupOf('a.event_id', 'a.notification_id')} AS conflicting_duplicate
    FROM one_sided u JOIN f_attempted a ON a.client_id = u.client_id AND a.customer_id = u.customer_id
    LEFT JOIN f_delivered d ON d.notification_id = a.notification_id
    WHERE u.side = 'legacy'
    UNION ALL
    SELECT u.client_id, u.customer_id, e.notification_id, e.attempt_event_id, epoch_ms(a.attempted_at)::DOUBLE, CAST(a.dt AS VARCHAR), a.source_file, a.line_number::DOUBLE,
      NULL, epoch_ms(e.engaged_at)::DOUBLE, CAST(e.dt AS VARCHAR), NULL, NULL, true,
      ${dupOf('e.attempt_event_id', 'e.notification_id')}
    FROM one_sided u JOIN f_engaged e ON e.client_id = u.client_id AND e.customer_id = u.customer_id AND e.dt BETWEEN ${sqlString(first)} AND ${sqlString(last)}
    LEFT JOIN f_attempted a ON a.event_id = e.attempt_event_id
    WHERE u.side = 'ours'
    ORDER BY 1, 2, delivered_ms NULLS LAST, attempted_ms`);
  const candidates = new Map<string, FactCandidate[]>();
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  const str = (v: unknown) => (v === null || v === undefined ? null : String(v));
  for (const r of rows) {
    const key = `${String(r.client_id)}\u0000${String(r.customer_id)}`;
    const c: FactCandidate = {
      notification_id: String(r.notification_id),
      attempt_event_id: str(r.attempt_event_id),
      attempted_ms: num(r.attempted_ms),
      attempt_dt: str(r.attempt_dt),
      delivery_event_id: str(r.delivery_event_id),
      delivered_ms: num(r.delivered_ms),
      delivery_dt: str(r.delivery_dt),
      engaged: Boolean(r.engaged),
      conflicting_duplicate: Boolean(r.conflicting_duplicate),
    };
    if (r.attempt_file) c.attempt_at = { source_file: String(r.attempt_file), line_number: Number(r.attempt_line) };
    if (r.delivery_file) c.delivery_at = { source_file: String(r.delivery_file), line_number: Number(r.delivery_line) };
    candidates.set(key, [...(candidates.get(key) ?? []), c]);
  }
  const rejectedRows = await db.all<Record<string, unknown>>(`
    SELECT u.client_id, u.customer_id, x.stream, x.source_file, x.line_number::DOUBLE AS line_number, x.raw_line, x.event_id
    FROM one_sided u JOIN f_dups x ON x.client_id = u.client_id AND x.customer_id = u.customer_id
    WHERE u.side = 'legacy' ORDER BY 1, 2, 4, 5`);
  const rejected = new Map<string, Rejected[]>();
  for (const r of rejectedRows) {
    const key = `${String(r.client_id)}\u0000${String(r.customer_id)}`;
    rejected.set(key, [...(rejected.get(key) ?? []), { stream: String(r.stream), source_file: String(r.source_file), line_number: Number(r.line_number), raw_line: String(r.raw_line), event_id: str(r.event_id) }]);
  }
  return { candidates, rejected, notes };
}

/** At most this many attempts (with their deliveries) are shown for a unit only the legacy counts. */
const EVENTS_SHOWN = 3;

async function legacyOnlyEvidence(services: Services, scratch: string, candidates: FactCandidate[], rejected: Rejected[]): Promise<EventEvidence[]> {
  const out: EventEvidence[] = [];
  const line = async (at: Located) => (await readRawLine(services.raw, at.source_file, at.line_number, scratch)).toString('utf8');
  for (const r of rejected.slice(0, EVENTS_SHOWN)) {
    out.push({ what: `${r.stream} conflicting duplicate (rejected here, kept by the legacy?)`, event_id: r.event_id, source_file: r.source_file, line_number: r.line_number, raw_line: await line(r) });
  }
  for (const c of candidates.slice(0, EVENTS_SHOWN)) {
    if (c.attempt_at) out.push({ what: `attempt of ${c.notification_id} (notification_attempted dt=${c.attempt_dt})`, event_id: c.attempt_event_id, ...c.attempt_at, raw_line: await line(c.attempt_at) });
    if (c.delivery_at) out.push({ what: `delivery of ${c.notification_id} (notification_delivered dt=${c.delivery_dt}${c.engaged ? ', engaged' : ', not engaged here'})`, event_id: c.delivery_event_id, ...c.delivery_at, raw_line: await line(c.delivery_at) });
  }
  return out;
}

/** The comparison for a person: a table per level, then the one-sided units with their evidence. */
export function parityText(r: ParityResult): string {
  const out: string[] = [];
  for (const c of r.compared) {
    const differ = c.cells.filter((x) => x.status !== 'equal');
    const keys = new Set(c.cells.map((x) => x.keys.join('\u0000'))).size;
    out.push(`${LEVELS[c.level].label}: ${c.export_file} (export version ${c.export_version}) vs ${c.legacy_file}`);
    for (const n of c.notes) out.push(`  note: ${n}`);
    const shown = cellsShown(c.cells);
    if (shown.length > 0) out.push(...cellTable(c.level, shown).map((l) => `  ${l}`));
    out.push(`  ${keys} key${keys === 1 ? '' : 's'}, ${c.cells.length} value${c.cells.length === 1 ? '' : 's'} compared: ${differ.length === 0 ? 'all equal' : `${differ.length} differ`}`, '');
  }
  if (r.units) {
    const u = r.units;
    const legacyOnly = u.diffs.filter((d) => d.counted_by === 'legacy').length;
    out.push(`units: ${u.legacy_file} (${u.legacy_units} units) vs this system's audit (${u.ace_units} units): ${u.diffs.length === 0 ? 'the same units' : `${legacyOnly} counted by the legacy only, ${u.diffs.length - legacyOnly} by ace-unit only`}`);
    for (const d of u.diffs) {
      out.push('', `== client ${d.client_id}, customer ${d.customer_id}: counted by ${d.counted_by} only; cause: ${d.causes.map((c) => `${c} (${CAUSE_TEXT[c]})`).join(', ')}`);
      for (const x of d.details) out.push(`  ${x}`);
      if (d.evidence_note) out.push(`  ${d.evidence_note}`);
      if (d.explanation) out.push(explanationText(d.explanation).trimEnd());
      for (const e of d.events ?? []) {
        out.push(`  ${e.what}: event ${e.event_id ?? '?'}`, `  raw line ${e.source_file}:${e.line_number}:`, e.raw_line);
      }
    }
    out.push('');
  }
  out.push(...r.files.map((f) => `wrote ${f}`));
  return `${out.join('\n')}\n`;
}

/** One line naming what differs (the first few), for stderr and the exit code 4. */
export function differenceLine(r: ParityResult): string {
  const cells = r.compared.flatMap((c) => c.cells.filter((x) => x.status !== 'equal'));
  const parts: string[] = [];
  if (cells.length > 0) {
    const first = cells.slice(0, 3).map((x) => `${x.keys.filter(Boolean).join('/')} ${x.column} (legacy ${x.legacy ?? 'none'}, ace-unit ${x.ours ?? 'none'})`);
    parts.push(`${cells.length} value${cells.length === 1 ? ' differs' : 's differ'} from the legacy: ${first.join(', ')}${cells.length > 3 ? ', …' : ''}`);
  }
  if (r.units && r.units.diffs.length > 0) {
    const d = r.units.diffs;
    parts.push(`${d.length} unit${d.length === 1 ? '' : 's'} counted by one side only: ${d.slice(0, 3).map((x) => `${x.client_id}/${x.customer_id} (${x.counted_by}, ${x.causes.join('+')})`).join(', ')}${d.length > 3 ? ', …' : ''}`);
  }
  return `${parts.join('; ')}; every value is in ${r.files.join(' and ')}`;
}

export { CAUSE_TEXT };
