/**
 * Writes the Step Functions definitions generated from the graph declaration (stepfunctions.ts) to
 * infrastructure/modules/orchestration/definitions/: daily.asl.json, daily-sharded.asl.json (the same
 * graph with the shardable jobs as shards plus a merge; deployed when Terraform's shard_count > 1) and
 * monthly.asl.json. Run from the repository root:
 *   npx tsx src/graph/write-definitions.ts            # write
 *   npx tsx src/graph/write-definitions.ts --check    # exit 1 when a committed file is stale
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { renderedDefinitions } from './stepfunctions.js';

function main(argv: string[]): number {
  const check = argv.includes('--check');
  const root = process.cwd();
  if (!existsSync(resolve(root, 'infrastructure'))) {
    process.stderr.write(`write-definitions: no infrastructure/ under ${root}; run it from the repository root\n`);
    return 2;
  }
  let stale = 0;
  for (const { path, text } of renderedDefinitions()) {
    const file = resolve(root, path);
    const current = existsSync(file) ? readFileSync(file, 'utf8') : null;
    if (current === text) {
      process.stdout.write(`up to date  ${path}\n`);
      continue;
    }
    if (check) {
      stale += 1;
      process.stderr.write(`stale       ${path}: run npx tsx src/graph/write-definitions.ts and commit the result\n`);
      continue;
    }
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    process.stdout.write(`wrote       ${path}\n`);
  }
  return stale > 0 ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
