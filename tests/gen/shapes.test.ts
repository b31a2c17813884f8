/**
 * The generator's benchmark shapes (issue 16): id shapes, an extra nested object, compact JSON. Each
 * shape still writes valid events with unique ids, and the default shape keeps its bytes.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { generate, GenerateOptions } from '../../src/gen/generator';

function attemptedLines(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(...(name.endsWith('.gz') ? gunzipSync(readFileSync(p)) : readFileSync(p)).toString('utf8').split('\n'));
    }
  };
  walk(join(root, 'raw', 'notification_attempted'));
  return out.filter((l) => l.trim() !== '');
}

const roots: string[] = [];
async function gen(extra: Partial<GenerateOptions>): Promise<string[]> {
  const root = mkdtempSync(join(tmpdir(), 'ace-gen-shape-'));
  roots.push(root);
  await generate({ root, from: '2026-04-01', to: '2026-04-01', eventsPerDay: 300, seed: 3, ...extra });
  return attemptedLines(root);
}
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

const events = (lines: string[]) => lines.flatMap((l) => {
  try {
    const v = JSON.parse(l) as Record<string, unknown>;
    return typeof v.event_id === 'string' && typeof v.notification_id === 'string' ? [v] : [];
  } catch {
    return [];
  }
});

test.each([
  ['prefixed', /^evt-a-\d{10}-260401$/],
  ['uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/],
  ['numeric', /^\d{16}$/],
] as const)('idShape %s: event ids have the shape, stay strings and stay unique per content', async (idShape, re) => {
  const ev = events(await gen({ idShape }));
  expect(ev.length).toBeGreaterThan(250);
  expect(ev.filter((e) => re.test(e.event_id as string)).length).toBeGreaterThan(ev.length * 0.99);
  // Copies of one event_id are identical duplicates (the generator's only same-id lines).
  const byId = new Map<string, string>();
  for (const e of ev) {
    const text = JSON.stringify(e);
    expect(byId.get(e.event_id as string) ?? text).toBe(text);
    byId.set(e.event_id as string, text);
  }
});

test('extraNested adds one nested object per event; compactJson drops the spaces after colons', async () => {
  const nested = events(await gen({ extraNested: true }));
  expect(nested.every((e) => typeof e.context === 'object' && e.context !== null)).toBe(true);
  const compact = await gen({ compactJson: true });
  const valid = compact.filter((l) => events([l]).length === 1);
  expect(valid.every((l) => !l.includes('": '))).toBe(true);
  expect(events(await gen({})).length).toBe(events(compact).length);
});

test('the default shape is unchanged: same bytes with the new options spelled out at their defaults', async () => {
  expect(await gen({ idShape: 'short', extraNested: false, compactJson: false })).toEqual(await gen({}));
  expect((await gen({}))[0]).toMatch(/^\{"(event_id|attempted_at)": "/);
});
