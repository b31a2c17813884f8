/**
 * Issue 14: imports point one way (docs/architecture.md) and no module is part of a cycle. The rule is
 * `.dependency-cruiser.cjs`; this runs dependency-cruiser (its CLI: the package is ESM-only) over src/
 * and jobs/ in `npm test`, so a wrong import fails the suite naming the rule it breaks.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

interface Cruise {
  modules: { source: string }[];
  summary: { violations: { rule: { name: string }; from: string; to: string; cycle?: (string | { name: string })[] }[] };
}

test('imports follow the layers (cli → ops/graph → jobs → run → adapters → rules/time), with no cycle and nothing importing cli', () => {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs'), 'src', 'jobs', '--config', '.dependency-cruiser.cjs', '--output-type', 'json'], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.status === null || !r.stdout) throw new Error(`dependency-cruiser did not run: ${r.stderr}`);
  const result = JSON.parse(r.stdout) as Cruise;
  const violations = result.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}${v.cycle ? ` (cycle: ${v.cycle.map((c) => (typeof c === 'string' ? c : c.name)).join(' → ')})` : ''}`);
  expect(violations).toEqual([]);
  // The rule really ran over the code: every layer is in the graph.
  const modules = result.modules.map((m) => m.source);
  for (const folder of ['src/cli/', 'src/ops/', 'src/graph/', 'jobs/', 'src/run/', 'src/sql/', 'src/lake/', 'src/rules/']) expect({ folder, cruised: modules.some((m) => m.startsWith(folder)) }).toEqual({ folder, cruised: true });
});
