/**
 * `report`: the billing month in one self-contained HTML page (no script, no network: styles inline,
 * charts pre-rendered to inline SVG by reportCharts.ts). Three parts: `gatherReport` reads the lake
 * (export CSVs and manifests, the ace_unit_agg version the export counted, the ingest counts, the
 * certificates); `renderReportHtml` is pure; `writeReport` publishes it beside the exports, versioned
 * like them (`report/billing_month=M/` with `versions/vN/` for the earlier ones), or to a local file.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AceError, MissingInputError, StorageError, oneLine } from '../errors.js';
import { readJson } from '../lake/json.js';
import { Pointer, readPointer, runPrefix } from '../lake/publish.js';
import { ObjectStore } from '../lake/objectStore.js';
import { TABLES } from '../rules/tables.js';
import { Services } from '../run/context.js';
import type { Manifest } from '../../jobs/steps/export.js';
import { BillingMonth, datesBetween, firstDayOf, lastDayOf } from '../time/time.js';
import { EXPORT_JOB } from './explain.js';
import { DailyUnits, OutcomeUnits, QualityDay, dailySpec, outcomeSpec, qualitySpec, renderSvg } from './reportCharts.js';

export const OUTCOME_JOB = 'ace_unit_monthly_outcome_experience_output';

/** The report's key in the export store, beside the exports. */
export function reportPrefix(month: string): string {
  return `report/billing_month=${month}`;
}
export function reportFile(month: string): string {
  return `ace_report_${month}.html`;
}

export type CsvRow = Record<string, string>;

export interface ClientRow {
  client_id: string;
  client_name: string;
  billing_account_id: string;
  is_billable: boolean;
  ace_units: number;
  delivered_notifications: number;
  attempted_notifications: number;
}

export interface ExportSummary {
  job: string;
  file: string;
  version: number;
  generated_at: string;
  rows: number;
  total_ace_units: number;
  partial: boolean;
  final: boolean;
  warnings: string[];
  /** The manifest's `anomalies` list; null when the manifest has none (anomaly checks not run). */
  anomalies: unknown[] | null;
  /** The `_certificate.json` beside the manifest; null when not written. */
  certificate: { complete: boolean; detail: string } | null;
}

export interface ClientChange {
  client_id: string;
  /** Numbers of the client in the earlier and the later version (absent client: 0), and attributes that changed. */
  before: Record<string, number>;
  after: Record<string, number>;
  attributes: string[];
  /** Units added and removed, from the export's unit diff file, when it lists them. */
  added: number | null;
  removed: number | null;
}

export interface VersionStep {
  job: string;
  from: number;
  to: number;
  generated_at: string;
  diff_file: string | null;
  clients: ClientChange[];
}

export interface QualityRow extends QualityDay {
  attempted_kept: number | null;
  delivered_kept: number | null;
}

export interface ReportData {
  month: string;
  generated_at: string;
  exports: ExportSummary[];
  clients: ClientRow[];
  daily: DailyUnits[];
  by_outcome: OutcomeUnits[];
  quality: QualityRow[];
  versions: VersionStep[];
  notes: string[];
}

/** RFC 4180 (as the exports write it: comma, double quotes doubled, `\n` or `\r\n`) into objects by header. */
export function parseCsv(text: string): CsvRow[] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') record.push(field), (field = '');
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      record.push(field), records.push(record), (record = []), (field = '');
    } else field += ch;
  }
  if (field !== '' || record.length > 0) record.push(field), records.push(record);
  const [header, ...rows] = records;
  if (!header) return [];
  return rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])));
}

const num = (v: string | undefined): number => (v === undefined || v === '' ? 0 : Number(v));

function clientRow(r: CsvRow): ClientRow {
  return {
    client_id: r.client_id,
    client_name: r.client_name,
    billing_account_id: r.billing_account_id,
    is_billable: r.is_billable === 'true',
    ace_units: num(r.ace_units),
    delivered_notifications: num(r.delivered_notifications),
    attempted_notifications: num(r.attempted_notifications),
  };
}

async function readCsv(store: ObjectStore, key: string): Promise<CsvRow[] | null> {
  const text = await store.readText(key);
  return text === null ? null : parseCsv(text);
}

function summarize(job: string, m: Manifest & { anomalies?: unknown }, certificate: ExportSummary['certificate']): ExportSummary {
  return {
    job,
    file: m.file,
    version: m.version,
    generated_at: m.generated_at,
    rows: m.rows,
    total_ace_units: m.total_ace_units,
    partial: m.partial,
    final: m.final,
    warnings: m.warnings ?? [],
    anomalies: Array.isArray(m.anomalies) ? m.anomalies : null,
    certificate,
  };
}

/** `complete: true/false` and, when the certificate says why (`blockers`), the first reasons. */
function certificateOf(raw: unknown): ExportSummary['certificate'] {
  if (raw === null || typeof raw !== 'object') return null;
  const c = raw as Record<string, unknown>;
  const list = [c.blockers, c.reasons].find(Array.isArray) ?? [];
  const reasons = list.map((x) => (typeof x === 'string' ? x : JSON.stringify(x)));
  return { complete: c.complete === true, detail: reasons.slice(0, 5).join('; ') };
}

/** Numbers per client of one export version: ace_units (and the volumes, for ace_units_M.csv), plus its attributes. */
function perClient(rows: CsvRow[]): Map<string, { numbers: Record<string, number>; attrs: Record<string, string> }> {
  const out = new Map<string, { numbers: Record<string, number>; attrs: Record<string, string> }>();
  for (const r of rows) {
    const c = out.get(r.client_id) ?? { numbers: {}, attrs: {} };
    for (const col of ['ace_units', 'delivered_notifications', 'attempted_notifications', 'engagements']) {
      if (col in r) c.numbers[col] = (c.numbers[col] ?? 0) + num(r[col]);
    }
    for (const col of ['client_name', 'billing_account_id', 'is_billable']) if (col in r) c.attrs[col] = r[col];
    out.set(r.client_id, c);
  }
  return out;
}

/**
 * Per client, what changed from one version's rows to the next (clients with no change are left out);
 * `diff`: the rows of the unit diff file (client_id, change = added|removed), null when there is none.
 */
export function clientChanges(before: CsvRow[], after: CsvRow[], diff: CsvRow[] | null): ClientChange[] {
  const a = perClient(before);
  const b = perClient(after);
  const ids = [...new Set([...a.keys(), ...b.keys()])].sort();
  const out: ClientChange[] = [];
  for (const id of ids) {
    const x = a.get(id) ?? { numbers: {}, attrs: {} };
    const y = b.get(id) ?? { numbers: {}, attrs: {} };
    const cols = [...new Set([...Object.keys(x.numbers), ...Object.keys(y.numbers)])];
    const beforeN = Object.fromEntries(cols.map((c) => [c, x.numbers[c] ?? 0]));
    const afterN = Object.fromEntries(cols.map((c) => [c, y.numbers[c] ?? 0]));
    const attributes = Object.keys({ ...x.attrs, ...y.attrs }).filter((k) => a.has(id) && b.has(id) && x.attrs[k] !== y.attrs[k]).map((k) => `${k}: ${x.attrs[k] ?? ''} → ${y.attrs[k] ?? ''}`);
    const mine = diff?.filter((d) => d.client_id === id) ?? null;
    const added = mine ? mine.filter((d) => d.change === 'added').length : null;
    const removed = mine ? mine.filter((d) => d.change === 'removed').length : null;
    const changed = cols.some((c) => beforeN[c] !== afterN[c]) || attributes.length > 0 || (added ?? 0) > 0 || (removed ?? 0) > 0;
    if (changed) out.push({ client_id: id, before: beforeN, after: afterN, attributes, added, removed });
  }
  return out;
}

/** The version steps of one export: v1 → v2 → … → current, each with its per-client changes. */
async function versionSteps(store: ObjectStore, job: string, current: Manifest, notes: string[]): Promise<VersionStep[]> {
  const prefix = `${job}/billing_month=${current.billing_month}`;
  const versions: { manifest: Manifest; csvKey: string }[] = [];
  for (let v = 1; v < current.version; v++) {
    const m = await readJson<Manifest>(store, `${prefix}/versions/v${v}/_manifest.json`);
    if (m) versions.push({ manifest: m, csvKey: `${prefix}/versions/v${v}/${m.file}` });
  }
  versions.push({ manifest: current, csvKey: `${prefix}/${current.file}` });
  const steps: VersionStep[] = [];
  for (let i = 1; i < versions.length; i++) {
    const [prev, next] = [versions[i - 1], versions[i]];
    const [before, after] = [await readCsv(store, prev.csvKey), await readCsv(store, next.csvKey)];
    if (!before || !after) {
      notes.push(`${job}: version ${prev.manifest.version} or ${next.manifest.version} has no CSV any more; its changes are not shown`);
      continue;
    }
    // The unit-by-unit diff (`unit_diff`; older versions named it `diff`), one row per unit added or removed.
    const diffName = next.manifest.previous_version?.unit_diff ?? next.manifest.previous_version?.diff ?? null;
    // Units added and removed only from a diff file that lists them (a `change` column), even if empty.
    const diffText = diffName ? await store.readText(`${prefix}/${diffName}`) : null;
    const diff = diffText !== null && /(^|,)change(,|$)/.test(diffText.split('\n')[0].trim()) ? parseCsv(diffText) : null;
    steps.push({ job, from: prev.manifest.version, to: next.manifest.version, generated_at: next.manifest.generated_at, diff_file: diffName, clients: clientChanges(before, after, diff) });
  }
  return steps;
}

/** Reads everything the report shows for `month` (read-only). */
export async function gatherReport(services: Services, month: BillingMonth): Promise<ReportData> {
  const store = services.exportStore;
  const notes: string[] = [];
  const manifestOf = (job: string) => readJson<Manifest & { anomalies?: unknown }>(store, `${job}/billing_month=${month}/_manifest.json`);
  const main = await manifestOf(EXPORT_JOB);
  if (!main) {
    throw new MissingInputError(`the month was never exported: no ${store.describe(`${EXPORT_JOB}/billing_month=${month}/_manifest.json`)}; run \`npm run pipeline -- monthly --month ${month}\` first`, { job: 'report', month });
  }
  const outcome = await manifestOf(OUTCOME_JOB);
  if (!outcome) notes.push(`${OUTCOME_JOB} was never exported for ${month}: the outcome chart is empty`);

  // Not `exports`: compiled to CommonJS, that name would shadow the module's own.
  const summaries: ExportSummary[] = [];
  for (const [job, m] of [[EXPORT_JOB, main], [OUTCOME_JOB, outcome]] as const) {
    if (!m) continue;
    const cert = certificateOf(await readJson<unknown>(store, `${job}/billing_month=${month}/_certificate.json`));
    summaries.push(summarize(job, m, cert));
  }

  const mainRows = await readCsv(store, `${EXPORT_JOB}/billing_month=${month}/${main.file}`);
  if (!mainRows) throw new MissingInputError(`${store.describe(`${EXPORT_JOB}/billing_month=${month}/${main.file}`)} is missing though its manifest names it; rerun \`npm run pipeline -- monthly --month ${month}\``, { job: 'report', month });
  const clients = mainRows.map(clientRow);

  const outcomeRows = outcome ? ((await readCsv(store, `${OUTCOME_JOB}/billing_month=${month}/${outcome.file}`)) ?? []) : [];
  const by_outcome: OutcomeUnits[] = outcomeRows.map((r) => ({
    client_id: r.client_id,
    outcome: r.outcome_name || r.outcome_id,
    experience: r.experience_name || r.experience_id,
    channel: r.channel,
    ace_units: num(r.ace_units),
  }));

  const daily = await dailyUnits(services, month, main, notes);
  const quality = await qualityByDay(services, month);
  const versions = [...(await versionSteps(store, EXPORT_JOB, main, notes)), ...(outcome ? await versionSteps(store, OUTCOME_JOB, outcome, notes) : [])];
  return { month, generated_at: new Date().toISOString(), exports: summaries, clients, daily, by_outcome, quality, versions, notes };
}

/** New and month-to-date units by day from the ace_unit_agg version the export counted (the current one if it was garbage-collected). */
async function dailyUnits(services: Services, month: BillingMonth, main: Manifest, notes: string[]): Promise<DailyUnits[]> {
  const def = TABLES.ace_unit_agg;
  const runId = String(main.source_run_ids.ace_unit_agg ?? '');
  let pointer = runId ? await readJson<Pointer>(services.store, `${runPrefix(def.name, def.partitionKey, month, runId)}/_manifest.json`) : null;
  if (!pointer) {
    pointer = await readPointer(services.store, def, month);
    notes.push(`the ace_unit_agg version behind export version ${main.version} is gone: the daily chart shows the current one${pointer ? '' : ' (none)'}`);
  }
  if (!pointer || pointer.files.length === 0) return [];
  const scratchRoot = services.config.scratchRoot;
  fs.mkdirSync(scratchRoot, { recursive: true });
  const scratch = fs.mkdtempSync(path.join(scratchRoot, 'report-'));
  const db = await services.engine.connect();
  try {
    const files = await services.store.localPaths(pointer.files, scratch);
    return await db.all<DailyUnits>(
      `SELECT client_id, CAST(date AS VARCHAR) AS date, CAST(new_ace_units AS DOUBLE) AS new_ace_units, CAST(mtd_ace_units AS DOUBLE) AS mtd_ace_units
       FROM read_parquet($f) ORDER BY date, client_id`,
      { f: files },
    );
  } finally {
    db.close();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** Per date of the month: the ingest counts of both event streams and the unattributed deliveries (current partitions). */
async function qualityByDay(services: Services, month: BillingMonth): Promise<QualityRow[]> {
  const out: QualityRow[] = [];
  for (const date of datesBetween(firstDayOf(month), lastDayOf(month))) {
    const [att, del, un] = await Promise.all([
      readPointer(services.store, TABLES.notification_attempted, date),
      readPointer(services.store, TABLES.notification_delivered, date),
      readPointer(services.store, TABLES.unattributed_deliveries, date),
    ]);
    if (!att && !del && !un) continue;
    const counts = (p: Pointer | null) => (p?.meta.counts ?? null) as Record<string, number> | null;
    const [a, d] = [counts(att), counts(del)];
    const sum = (k: string) => Number(a?.[k] ?? 0) + Number(d?.[k] ?? 0);
    out.push({
      date,
      attempted_kept: a ? Number(a.kept) : null,
      delivered_kept: d ? Number(d.kept) : null,
      rejects: sum('owned_rejected'),
      duplicates: sum('duplicates'),
      too_late: sum('too_late'),
      unattributed: un ? un.rows : 0,
    });
  }
  return out;
}

const esc = (v: unknown): string =>
  String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const int = (n: number | null): string => (n === null ? '—' : Math.round(n).toLocaleString('en-US'));

export interface ReportCharts {
  daily: string;
  outcome: string;
  quality: string;
}

/** Renders the three charts to inline SVG. */
export async function renderCharts(data: ReportData): Promise<ReportCharts> {
  return {
    daily: data.daily.length > 0 ? await renderSvg(dailySpec(data.daily)) : '',
    outcome: data.by_outcome.length > 0 ? await renderSvg(outcomeSpec(data.by_outcome)) : '',
    quality: data.quality.length > 0 ? await renderSvg(qualitySpec(data.quality)) : '',
  };
}

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:24px auto;max-width:1100px;color:#1f2328;padding:0 16px}
h1{font-size:24px;margin-bottom:4px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
.sub{color:#59636e;margin-top:0}
table{border-collapse:collapse;margin:8px 0;font-size:13px}th,td{padding:4px 10px;border-bottom:1px solid #eaeef2;text-align:left}
th{background:#f6f8fa}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
tr.total td{font-weight:600;border-top:2px solid #8c959f}
.cards{display:flex;gap:12px;flex-wrap:wrap}.card{border:1px solid #d0d7de;border-radius:6px;padding:10px 14px;min-width:150px}
.card .v{font-size:22px;font-weight:600}.card .k{color:#59636e;font-size:12px}
.ok{color:#1a7f37;font-weight:600}.bad{color:#cf222e;font-weight:600}.muted{color:#59636e}
.chart{overflow-x:auto;margin:8px 0}.note{background:#fff8c5;border:1px solid #d4a72c;padding:6px 10px;border-radius:6px;font-size:13px}
`;

function table(head: string[], rows: string[][], numeric: boolean[], total?: string[]): string {
  const th = head.map((h, i) => `<th${numeric[i] ? ' class="n"' : ''}>${esc(h)}</th>`).join('');
  const tr = (cells: string[], cls = '') => `<tr${cls}>${cells.map((c, i) => `<td${numeric[i] ? ' class="n"' : ''}>${c}</td>`).join('')}</tr>`;
  return `<table><thead><tr>${th}</tr></thead><tbody>${rows.map((r) => tr(r)).join('')}${total ? tr(total, ' class="total"') : ''}</tbody></table>`;
}

function certificateText(e: ExportSummary): string {
  if (!e.certificate) return `<span class="muted" data-certificate="${esc(e.job)}">not written</span>`;
  const c = e.certificate;
  return `<span class="${c.complete ? 'ok' : 'bad'}" data-certificate="${esc(e.job)}">${c.complete ? 'complete' : 'not complete'}</span>${c.detail ? ` <span class="muted">${esc(c.detail)}</span>` : ''}`;
}

/** The page itself: pure, from the gathered data and the rendered charts. */
export function renderReportHtml(d: ReportData, charts: ReportCharts): string {
  const main = d.exports.find((e) => e.job === EXPORT_JOB)!;
  const total = (k: 'ace_units' | 'delivered_notifications' | 'attempted_notifications') => d.clients.reduce((s, c) => s + c[k], 0);
  const billable = d.clients.filter((c) => c.is_billable).reduce((s, c) => s + c.ace_units, 0);
  const outcomeTotal = d.by_outcome.reduce((s, r) => s + r.ace_units, 0);
  const parts: string[] = [];
  const status = [main.partial ? 'partial' : 'complete month', main.final ? 'final' : 'not final'].join(', ');
  parts.push(`<h1>ACE units, billing month ${esc(d.month)}</h1>`);
  parts.push(`<p class="sub">Export version ${main.version} (${esc(status)}), generated ${esc(main.generated_at)}; report generated ${esc(d.generated_at)}</p>`);
  parts.push(
    `<div class="cards">${[
      ['ACE units', `<span data-total="ace_units">${int(total('ace_units'))}</span>`],
      ['billable ACE units', `<span data-total="billable_ace_units">${int(billable)}</span>`],
      ['delivered notifications', `<span data-total="delivered_notifications">${int(total('delivered_notifications'))}</span>`],
      ['attempted notifications', `<span data-total="attempted_notifications">${int(total('attempted_notifications'))}</span>`],
      ['clients', int(d.clients.length)],
      ['certificate', certificateText(main)],
    ]
      .map(([k, v]) => `<div class="card"><div class="v">${v}</div><div class="k">${esc(k)}</div></div>`)
      .join('')}</div>`,
  );
  for (const n of d.notes) parts.push(`<p class="note">${esc(n)}</p>`);

  parts.push(`<h2>Units and volumes per client</h2>`);
  parts.push(
    table(
      ['client', 'name', 'billing account', 'billable', 'ACE units', 'delivered', 'attempted'],
      d.clients.map((c) => [esc(c.client_id), esc(c.client_name), esc(c.billing_account_id), c.is_billable ? 'yes' : 'no', int(c.ace_units), int(c.delivered_notifications), int(c.attempted_notifications)]),
      [false, false, false, false, true, true, true],
      ['total', '', '', '', int(total('ace_units')), int(total('delivered_notifications')), int(total('attempted_notifications'))],
    ),
  );

  parts.push(`<h2>New and month-to-date units by day</h2>`);
  parts.push(charts.daily ? `<div class="chart" data-chart="daily">${charts.daily}</div>` : `<p class="muted">No units by day.</p>`);
  parts.push(`<p class="muted">Sum of new units over the month: <span data-total="daily_new_units">${int(d.daily.reduce((s, r) => s + r.new_ace_units, 0))}</span></p>`);

  parts.push(`<h2>Units by outcome, experience and channel</h2>`);
  parts.push(charts.outcome ? `<div class="chart" data-chart="outcome">${charts.outcome}</div>` : `<p class="muted">No units by outcome.</p>`);
  parts.push(`<p class="muted">Total of ${esc(OUTCOME_JOB)}: <span data-total="by_outcome_ace_units">${int(outcomeTotal)}</span> ACE units</p>`);

  parts.push(`<h2>Data quality by day</h2>`);
  parts.push(charts.quality ? `<div class="chart" data-chart="quality">${charts.quality}</div>` : '');
  const q = d.quality;
  const qsum = (k: keyof QualityDay) => q.reduce((s, r) => s + Number(r[k]), 0);
  parts.push(
    table(
      ['date', 'attempts kept', 'deliveries kept', 'rejects', 'duplicates', 'too late', 'unattributed deliveries'],
      q.map((r) => [esc(r.date), int(r.attempted_kept), int(r.delivered_kept), int(r.rejects), int(r.duplicates), int(r.too_late), int(r.unattributed)]),
      [false, true, true, true, true, true, true],
      ['month', int(q.reduce((s, r) => s + (r.attempted_kept ?? 0), 0)), int(q.reduce((s, r) => s + (r.delivered_kept ?? 0), 0)), int(qsum('rejects')), int(qsum('duplicates')), int(qsum('too_late')), int(qsum('unattributed'))],
    ),
  );

  parts.push(`<h2>Export versions</h2>`);
  parts.push(
    table(
      ['export', 'version', 'generated', 'rows', 'ACE units', 'partial', 'final', 'certificate'],
      d.exports.map((e) => [esc(e.file), String(e.version), esc(e.generated_at), int(e.rows), int(e.total_ace_units), e.partial ? 'yes' : 'no', e.final ? 'yes' : 'no', certificateText(e)]),
      [false, true, false, true, true, false, false, false],
    ),
  );
  if (d.versions.length === 0) parts.push(`<p class="muted">Version 1 is the only version: nothing changed since the first export.</p>`);
  for (const v of d.versions) {
    parts.push(`<h3>${esc(v.job)}: version ${v.from} → ${v.to} <span class="muted">(${esc(v.generated_at)}${v.diff_file ? `, units listed in ${esc(v.diff_file)}` : ''})</span></h3>`);
    if (v.clients.length === 0) {
      parts.push(`<p class="muted">No client's numbers changed.</p>`);
      continue;
    }
    const cols = [...new Set(v.clients.flatMap((c) => Object.keys(c.after)))];
    parts.push(
      table(
        ['client', ...cols.map((c) => `${c} (v${v.from} → v${v.to})`), 'units added', 'units removed', 'attributes changed'],
        v.clients.map((c) => [
          esc(c.client_id),
          ...cols.map((k) => {
            const delta = (c.after[k] ?? 0) - (c.before[k] ?? 0);
            return `${int(c.before[k] ?? 0)} → ${int(c.after[k] ?? 0)} (${delta >= 0 ? '+' : ''}${int(delta)})`;
          }),
          c.added === null ? '—' : int(c.added),
          c.removed === null ? '—' : int(c.removed),
          esc(c.attributes.join('; ')),
        ]),
        [false, ...cols.map(() => true), true, true, false],
      ),
    );
  }

  const warned = d.exports.filter((e) => e.warnings.length > 0);
  if (warned.length > 0) {
    parts.push(`<h2>Warnings</h2><ul>${warned.flatMap((e) => e.warnings.map((w) => `<li>${esc(e.job)}: ${esc(w)}</li>`)).join('')}</ul>`);
  }
  const checked = d.exports.filter((e) => e.anomalies !== null);
  if (checked.length > 0) {
    const items = checked.flatMap((e) => (e.anomalies ?? []).map((a) => `<li>${esc(e.job)}: ${esc(anomalyText(a))}</li>`));
    parts.push(`<h2>Anomalies</h2>${items.length > 0 ? `<ul data-anomalies="${items.length}">${items.join('')}</ul>` : `<p class="ok" data-anomalies="0">None flagged.</p>`}`);
  }
  return `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>ACE units ${esc(d.month)}</title><style>${STYLE}</style></head><body>${parts.join('\n')}</body></html>\n`;
}

/** `2026-03-04 c01 delivered = 1, outside 40 to 60 (median 50)` for an anomaly flag as the checks record it; JSON otherwise. */
function anomalyText(a: unknown): string {
  if (typeof a === 'string') return a;
  const x = (a ?? {}) as Record<string, unknown>;
  if (['date', 'subject', 'metric', 'value', 'low', 'high'].every((k) => k in x)) {
    return `${String(x.date)} ${String(x.subject)} ${String(x.metric)} = ${String(x.value)}, outside ${String(x.low)} to ${String(x.high)}${'median' in x ? ` (median ${String(x.median)})` : ''}`;
  }
  return JSON.stringify(a);
}

export interface ReportManifest {
  job: 'ace_report';
  billing_month: string;
  file: string;
  version: number;
  /** sha256 of the data the page shows (its generation time aside): the same data is the same version. */
  content_sha256: string;
  export_versions: Record<string, number>;
  generated_at: string;
  previous_version: { version: number; generated_at: string } | null;
}

export interface WrittenReport {
  /** Where the page is: a local path, or the object's `s3://…` address. */
  location: string;
  version: number | null;
  unchanged: boolean;
}

/** The data's digest, its generation time aside. */
function contentDigest(d: ReportData): string {
  return crypto.createHash('sha256').update(JSON.stringify({ ...d, generated_at: '' })).digest('hex');
}

/**
 * Builds the month's report. With `out`, writes it to that local file. Otherwise publishes it beside
 * the exports: the earlier version is kept under `versions/vN/`, then the page, then `_manifest.json`
 * (a reader that finds the manifest finds its page); unchanged data keeps the current version.
 */
export async function writeReport(services: Services, month: BillingMonth, out?: string): Promise<WrittenReport> {
  const data = await gatherReport(services, month);
  const html = renderReportHtml(data, await renderCharts(data));
  if (out !== undefined) {
    try {
      fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
      fs.writeFileSync(out, html);
    } catch (err) {
      throw new StorageError(`cannot write the report to ${out}: ${(err as Error).message}; choose another --out path`, { job: 'report', month, path: out }, { cause: err });
    }
    return { location: path.resolve(out), version: null, unchanged: false };
  }
  const store = services.exportStore;
  const prefix = reportPrefix(month);
  const file = reportFile(month);
  const digest = contentDigest(data);
  const previous = await readJson<ReportManifest>(store, `${prefix}/_manifest.json`);
  if (previous && previous.content_sha256 === digest && (await store.readText(`${prefix}/${previous.file}`)) !== null) {
    return { location: store.describe(`${prefix}/${previous.file}`), version: previous.version, unchanged: true };
  }
  if (previous) {
    const old = await store.readText(`${prefix}/${previous.file}`);
    if (old !== null) await store.writeText(`${prefix}/versions/v${previous.version}/${previous.file}`, old);
    await store.writeText(`${prefix}/versions/v${previous.version}/_manifest.json`, `${JSON.stringify(previous, null, 2)}\n`);
  }
  const manifest: ReportManifest = {
    job: 'ace_report',
    billing_month: month,
    file,
    version: previous ? previous.version + 1 : 1,
    content_sha256: digest,
    export_versions: Object.fromEntries(data.exports.map((e) => [e.job, e.version])),
    generated_at: data.generated_at,
    previous_version: previous ? { version: previous.version, generated_at: previous.generated_at } : null,
  };
  await store.writeText(`${prefix}/${file}`, html);
  await store.writeText(`${prefix}/_manifest.json`, `${JSON.stringify(manifest, null, 2)}\n`);
  return { location: store.describe(`${prefix}/${file}`), version: manifest.version, unchanged: false };
}

/**
 * The monthly graph's last step (pipeline monthly/restate, the demo): the report beside the exports.
 * A failure here names the report and says the exports themselves were written.
 */
export async function reportAfterExports(services: Services, month: BillingMonth): Promise<WrittenReport> {
  try {
    const r = await writeReport(services, month);
    services.log.info({ event: 'report.written', month, location: r.location, version: r.version, unchanged: r.unchanged }, `report ${r.location}`);
    return r;
  } catch (err) {
    const code = err instanceof AceError ? err.code : 'internal';
    throw new AceError(code, `the exports were written but the report was not: ${oneLine(err)}; run \`npm run report -- --month ${month}\` again`, { job: 'report', month }, { cause: err });
  }
}
