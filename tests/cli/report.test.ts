/**
 * `npm run report` through the real CLI on a small generated lake (March 2026, exported partial as of
 * 2026-03-03, then again as of 2026-03-04: export version 2 with per-client changes), and the page
 * opened in Debian's headless chromium (tests/helpers/chromium.ts): no console message, no failed
 * load, the charts rendered with their data marks, and every total equal to the export's. The
 * screenshot is kept as tests/artifacts/report.png. Without chromium the test fails, naming the fix.
 */
import fs from 'node:fs';
import path from 'node:path';
import { bash, cliCommand, emptyLake, REPO } from './helpers';
import { parseCsvObjects } from '../helpers/csv';
import { chromiumBinary, visitPage } from '../helpers/chromium';

const MONTH = '2026-03';
const ARTIFACTS = path.join(REPO, 'tests/artifacts');
const PAGE = path.join(ARTIFACTS, 'report.html');

interface PageFacts {
  external: string[];
  totals: Record<string, string>;
  charts: { chart: string; width: number; height: number; marks: number; labels: string[] }[];
  clients: string[][];
  versionTitles: string[];
  versionRows: string[][];
  certificate: string;
}

/** Runs in the page: what the test checks, as JSON. */
const FACTS = `(() => {
  const all = [...document.querySelectorAll('*')];
  const external = [
    ...[...document.querySelectorAll('script, link, iframe, img, object, embed, video, audio, source')].map((e) => e.outerHTML.slice(0, 80)),
    ...all.flatMap((e) => [...e.attributes]).filter((a) => /^(src|href|xlink:href|srcset)$/i.test(a.name)).map((a) => a.name + '=' + a.value),
    ...[...document.querySelectorAll('style')].filter((s) => /url\\(|@import/i.test(s.textContent)).map(() => 'style with url() or @import'),
  ];
  const totals = Object.fromEntries([...document.querySelectorAll('[data-total]')].map((e) => [e.dataset.total, e.textContent]));
  const charts = [...document.querySelectorAll('[data-chart]')].map((d) => {
    const svg = d.querySelector('svg');
    const box = svg ? svg.getBoundingClientRect() : { width: 0, height: 0 };
    const marks = [...d.querySelectorAll('g.role-mark > path, g.role-mark > line')];
    return { chart: d.dataset.chart, width: box.width, height: box.height, marks: marks.filter((m) => m.getBBox().width + m.getBBox().height > 0).length,
      labels: [...d.querySelectorAll('g.mark-rect.role-mark > path[aria-label]')].map((m) => m.getAttribute('aria-label')) };
  });
  const rows = (table) => [...table.querySelectorAll('tbody tr')].map((tr) => [...tr.children].map((td) => td.textContent));
  const headings = [...document.querySelectorAll('h2')];
  const clientsTable = headings.find((h) => h.textContent.startsWith('Units and volumes')).nextElementSibling;
  const versionTitles = [...document.querySelectorAll('h3')].map((h) => h.textContent);
  const firstStep = document.querySelector('h3');
  const versionRows = firstStep && firstStep.nextElementSibling.tagName === 'TABLE' ? rows(firstStep.nextElementSibling) : [];
  return { external, totals, charts, clients: rows(clientsTable), versionTitles, versionRows,
    certificate: document.querySelector('[data-certificate="ace_unit_monthly_output"]').textContent };
})()`;

/** Sum of the values named `field` in the bars' aria labels (`business date: 2026-03-01; new units: 11; client: c01`). */
function sumLabels(labels: string[], field: string): number {
  return labels.reduce((s, l) => {
    const m = new RegExp(`(?:^|; )${field}: ([0-9,.]+)`).exec(l);
    return s + (m ? Number(m[1].replace(/,/g, '')) : 0);
  }, 0);
}

const int = (text: string) => Number(text.replace(/,/g, ''));

describe('npm run report', () => {
  let lake: string;
  const ok = (script: string) => {
    const r = bash(lake, script);
    if (r.status !== 0) throw new Error(`${script} exited ${r.status}: ${r.stderr.slice(-2000)}`);
    return r.stdout;
  };
  const exportsDir = (job: string) => path.join(lake, `exports/${job}/billing_month=${MONTH}`);
  const manifest = (job: string) => JSON.parse(fs.readFileSync(path.join(exportsDir(job), '_manifest.json'), 'utf8'));
  const reportDir = () => path.join(lake, `exports/report/billing_month=${MONTH}`);
  const csv = (file: string) => parseCsvObjects(fs.readFileSync(file, 'utf8'));
  let reportV1: { version: number; export_versions: Record<string, number> };

  beforeAll(() => {
    lake = emptyLake();
    ok(cliCommand('generate', ['--root', lake, '--from', '2026-02-26', '--to', '2026-03-06', '--events-per-day', '40', '--seed', '7']));
    ok(cliCommand('pipeline', ['daily', '--from', '2026-03-01', '--to', '2026-03-03']));
    ok(cliCommand('pipeline', ['monthly', '--month', MONTH, '--allow-partial']));
    reportV1 = JSON.parse(fs.readFileSync(path.join(reportDir(), '_manifest.json'), 'utf8'));
    // One more date: export version 2, whose per-client changes the report lists.
    ok(cliCommand('pipeline', ['daily', '--date', '2026-03-04']));
    ok(cliCommand('pipeline', ['monthly', '--month', MONTH, '--allow-partial']));
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    fs.rmSync(PAGE, { force: true });
  });

  afterAll(() => fs.rmSync(lake, { recursive: true, force: true }));

  test('chromium is installed (CI installs it in .ci/run)', () => {
    expect(chromiumBinary()).toMatch(/chrom/);
  });

  test('the monthly graph writes the report beside the exports, versioned like them', () => {
    expect(reportV1).toMatchObject({ version: 1, export_versions: { ace_unit_monthly_output: 1 } });
    const current = JSON.parse(fs.readFileSync(path.join(reportDir(), '_manifest.json'), 'utf8'));
    expect(current).toMatchObject({ job: 'ace_report', billing_month: MONTH, file: `ace_report_${MONTH}.html`, version: 2, export_versions: { ace_unit_monthly_output: 2 } });
    expect(fs.readFileSync(path.join(reportDir(), `ace_report_${MONTH}.html`), 'utf8')).toContain('Export version 2');
    expect(fs.readFileSync(path.join(reportDir(), `versions/v1/ace_report_${MONTH}.html`), 'utf8')).toContain('Export version 1');
    expect(JSON.parse(fs.readFileSync(path.join(reportDir(), 'versions/v1/_manifest.json'), 'utf8')).version).toBe(1);
    // The same data again: the version stands.
    const again = bash(lake, cliCommand('report', ['--month', MONTH]));
    expect(again.status).toBe(0);
    expect(again.stdout).toBe(`${path.join(reportDir(), `ace_report_${MONTH}.html`)} (version 2, unchanged)\n`);
  });

  test('--out: one self-contained page that chromium opens with no console message or failed load; charts drawn with data; totals equal the export\'s', async () => {
    const r = bash(lake, cliCommand('report', ['--month', MONTH, '--out', PAGE]));
    expect(r.stderr).not.toMatch(/"level":(40|50)/);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${PAGE}\n`);

    const visit = await visitPage<PageFacts>(PAGE, FACTS);
    fs.writeFileSync(path.join(ARTIFACTS, 'report.png'), visit.screenshot);
    expect(visit.problems).toEqual([]);
    const f = visit.value;
    expect(f.external).toEqual([]);

    // The charts: an SVG each, with data marks that have a size on the page.
    expect(f.charts.map((c) => c.chart)).toEqual(['daily', 'outcome', 'quality']);
    for (const c of f.charts) {
      expect(c.width).toBeGreaterThan(200);
      expect(c.height).toBeGreaterThan(100);
      expect(c.marks).toBeGreaterThan(10);
    }

    // Totals: the export's manifest, its CSV, the page's figures, and the bars' values all agree.
    const main = manifest('ace_unit_monthly_output');
    const byOutcome = manifest('ace_unit_monthly_outcome_experience_output');
    const rows = csv(path.join(exportsDir('ace_unit_monthly_output'), main.file));
    const sum = (k: string) => rows.reduce((s, row) => s + Number(row[k]), 0);
    expect(main.total_ace_units).toBe(sum('ace_units'));
    expect(main.total_ace_units).toBeGreaterThan(0);
    expect(int(f.totals.ace_units)).toBe(main.total_ace_units);
    expect(int(f.totals.billable_ace_units)).toBe(rows.filter((row) => row.is_billable === 'true').reduce((s, row) => s + Number(row.ace_units), 0));
    expect(int(f.totals.delivered_notifications)).toBe(sum('delivered_notifications'));
    expect(int(f.totals.attempted_notifications)).toBe(sum('attempted_notifications'));
    expect(int(f.totals.by_outcome_ace_units)).toBe(byOutcome.total_ace_units);
    expect(int(f.totals.daily_new_units)).toBe(main.total_ace_units);
    const [daily, outcome] = f.charts;
    expect(sumLabels(daily.labels, 'new units')).toBe(main.total_ace_units);
    // Two panels (by outcome, by experience), each summing to the whole export.
    expect(sumLabels(outcome.labels, 'ACE units')).toBe(2 * byOutcome.total_ace_units);

    // Per client: the table's rows are the export's rows, then the total.
    expect(f.clients.slice(0, -1).map((c) => [c[0], int(c[4]), int(c[5]), int(c[6])])).toEqual(
      rows.map((row) => [row.client_id, Number(row.ace_units), Number(row.delivered_notifications), Number(row.attempted_notifications)]),
    );
    expect(f.clients[f.clients.length - 1][0]).toBe('total');
  });

  test('the export versions with their per-client diffs: every client whose numbers changed from version 1 to 2', async () => {
    const { value: f } = await visitPage<PageFacts>(PAGE, FACTS);
    expect(f.versionTitles[0]).toMatch(/^ace_unit_monthly_output: version 1 → 2/);
    const dir = exportsDir('ace_unit_monthly_output');
    const v1 = csv(path.join(dir, `versions/v1/ace_units_${MONTH}.csv`));
    const v2 = csv(path.join(dir, `ace_units_${MONTH}.csv`));
    const changed = v2.filter((row) => Number(v1.find((o) => o.client_id === row.client_id)?.ace_units ?? 0) !== Number(row.ace_units));
    expect(changed.length).toBeGreaterThan(0);
    const diff = csv(path.join(dir, 'diff_units_v1_v2.csv'));
    for (const row of changed) {
      const before = Number(v1.find((o) => o.client_id === row.client_id)?.ace_units ?? 0);
      const shown = f.versionRows.find((r) => r[0] === row.client_id);
      expect(shown?.[1]).toBe(`${before} → ${row.ace_units} (+${Number(row.ace_units) - before})`);
      // Units added, from the export's unit-by-unit diff file.
      expect(int(shown![shown!.length - 3])).toBe(diff.filter((d) => d.client_id === row.client_id && d.change === 'added').length);
    }
    // The export wrote its certificate (jobs/steps/certificate.ts): the page shows its status.
    const cert = JSON.parse(fs.readFileSync(path.join(dir, '_certificate.json'), 'utf8')) as { complete: boolean };
    expect(f.certificate).toBe(cert.complete ? 'complete' : 'not complete');
  });

  test('the certificate\'s status and the manifests\' anomalies, when they are there', () => {
    const dir = exportsDir('ace_unit_monthly_output');
    // The shapes the certificate and the anomaly checks write (issue 15, points 2 and 6).
    fs.writeFileSync(path.join(dir, '_certificate.json'), JSON.stringify({ billing_month: MONTH, complete: false, blockers: ['window 2026-03-31 window still open'] }));
    const m = manifest('ace_unit_monthly_output');
    const flag = { date: '2026-03-04', scope: 'client', subject: 'c01', metric: 'delivered', value: 1, median: 50, mad: 2, low: 40, high: 60, basis: 'weekday', history: 20 };
    fs.writeFileSync(path.join(dir, '_manifest.json'), JSON.stringify({ ...m, anomalies: [flag] }));
    const out = path.join(lake, 'with-certificate.html');
    const r = bash(lake, cliCommand('report', ['--month', MONTH, '--out', out]));
    expect(r.status).toBe(0);
    const html = fs.readFileSync(out, 'utf8');
    expect(html).toContain('<span class="bad" data-certificate="ace_unit_monthly_output">not complete</span> <span class="muted">window 2026-03-31 window still open</span>');
    expect(html).toContain('<ul data-anomalies="1"><li>ace_unit_monthly_output: 2026-03-04 c01 delivered = 1, outside 40 to 60 (median 50)</li></ul>');
    fs.writeFileSync(path.join(dir, '_certificate.json'), JSON.stringify({ billing_month: MONTH, complete: true }));
    expect(bash(lake, cliCommand('report', ['--month', MONTH, '--out', out])).status).toBe(0);
    expect(fs.readFileSync(out, 'utf8')).toContain('<span class="ok" data-certificate="ace_unit_monthly_output">complete</span>');
  });

  test('a month never exported exits 4 with one line naming the month and what to do; nothing is written', () => {
    const out = path.join(lake, 'never.html');
    const r = bash(lake, cliCommand('report', ['--month', '2026-05', '--out', out]));
    expect(r.status).toBe(4);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: report 2026-05: the month was never exported: .*run `npm run pipeline -- monthly --month 2026-05` first$/);
    expect(fs.existsSync(out)).toBe(false);
  });

  test('control: the browser check does see a console error and a failed load', async () => {
    const bad = path.join(lake, 'bad.html');
    fs.writeFileSync(bad, '<!DOCTYPE html><html><body><p>x</p><script>console.error("planted error")</script><img src="missing.png"></body></html>');
    const { problems, value } = await visitPage<number>(bad, 'document.querySelectorAll("p").length');
    expect(value).toBe(1);
    expect(problems).toEqual(
      expect.arrayContaining([
        { kind: 'console', level: 'error', text: 'planted error' },
        expect.objectContaining({ kind: 'log', level: 'error', text: expect.stringContaining('missing.png') }),
      ]),
    );
  });
});
