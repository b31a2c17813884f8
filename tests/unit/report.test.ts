/**
 * The report's pure parts (src/ops/report.ts): the CSV reader, the per-client changes between two
 * export versions, and the page's escaping of text that comes from the lake (client names).
 */
import { clientChanges, parseCsv, renderReportHtml, ReportData } from '../../src/ops/report';

describe('parseCsv: the exports\' RFC 4180', () => {
  test.each([
    ['a,b\n1,2\n', [{ a: '1', b: '2' }]],
    ['a,b\r\n1,2\r\n', [{ a: '1', b: '2' }]],
    ['a,b\n"x, ""y""",\n', [{ a: 'x, "y"', b: '' }]],
    ['a,b\n"two\nlines",3', [{ a: 'two\nlines', b: '3' }]],
    ['a,b\n', []],
    ['', []],
  ])('%j', (text, rows) => expect(parseCsv(text)).toEqual(rows));
});

describe('clientChanges: per client, from one export version to the next', () => {
  const row = (client_id: string, ace_units: number, client_name = `Client ${client_id}`) => ({ client_id, client_name, billing_account_id: 'BA', is_billable: 'true', ace_units: String(ace_units), delivered_notifications: String(ace_units * 2), attempted_notifications: String(ace_units * 3) });
  const v1 = [row('c01', 10), row('c02', 5), row('c03', 7)];

  test('unchanged clients are left out; a changed, a new and a renamed client are listed with before and after', () => {
    const v2 = [row('c01', 12), row('c02', 5, 'Acme'), row('c03', 7), row('c04', 1)];
    const diff = [
      { client_id: 'c01', change: 'added' },
      { client_id: 'c01', change: 'added' },
      { client_id: 'c04', change: 'added' },
    ];
    expect(clientChanges(v1, v2, diff)).toEqual([
      { client_id: 'c01', before: { ace_units: 10, delivered_notifications: 20, attempted_notifications: 30 }, after: { ace_units: 12, delivered_notifications: 24, attempted_notifications: 36 }, attributes: [], added: 2, removed: 0 },
      { client_id: 'c02', before: { ace_units: 5, delivered_notifications: 10, attempted_notifications: 15 }, after: { ace_units: 5, delivered_notifications: 10, attempted_notifications: 15 }, attributes: ['client_name: Client c02 → Acme'], added: 0, removed: 0 },
      { client_id: 'c04', before: { ace_units: 0, delivered_notifications: 0, attempted_notifications: 0 }, after: { ace_units: 1, delivered_notifications: 2, attempted_notifications: 3 }, attributes: [], added: 1, removed: 0 },
    ]);
  });

  test('a client gone from the later version counts as 0 there; without a diff file the unit counts are unknown (null)', () => {
    expect(clientChanges(v1, [row('c01', 10), row('c02', 5)], null)).toEqual([
      { client_id: 'c03', before: { ace_units: 7, delivered_notifications: 14, attempted_notifications: 21 }, after: { ace_units: 0, delivered_notifications: 0, attempted_notifications: 0 }, attributes: [], added: null, removed: null },
    ]);
  });

  test('the same rows: nothing listed', () => expect(clientChanges(v1, v1, [])).toEqual([]));
});

test('renderReportHtml: text from the lake is escaped (a client name cannot inject markup); no script, no external reference', () => {
  const data: ReportData = {
    month: '2026-03',
    generated_at: '2026-04-01T00:00:00.000Z',
    exports: [{ job: 'ace_unit_monthly_output', file: 'ace_units_2026-03.csv', version: 1, generated_at: '2026-04-01T00:00:00.000Z', rows: 1, total_ace_units: 3, partial: false, final: true, warnings: ['<b>w</b>'], anomalies: null, certificate: null }],
    clients: [{ client_id: 'c01', client_name: '<script>alert("x")</script> & Co', billing_account_id: 'BA"1', is_billable: true, ace_units: 3, delivered_notifications: 4, attempted_notifications: 5 }],
    daily: [],
    by_outcome: [],
    quality: [],
    versions: [],
    notes: [],
  };
  const html = renderReportHtml(data, { daily: '', outcome: '', quality: '' });
  expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co');
  expect(html).toContain('BA&quot;1');
  expect(html).toContain('&lt;b&gt;w&lt;/b&gt;');
  expect(html).not.toMatch(/<script|<link|<img|src=|href=|@import|url\(/i);
  expect(html).toContain('<span data-total="ace_units">3</span>');
  expect(html).toContain('<span class="muted" data-certificate="ace_unit_monthly_output">not written</span>');
  // No manifest has an anomalies field: no anomaly section at all.
  expect(html).not.toContain('Anomalies');
});
