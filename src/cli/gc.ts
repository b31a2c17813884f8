/** `npm run gc -- [--retention-hours 168] [--dry-run]`: removes unreachable versions older than the retention. */
import { parseArgs } from './args.js';
import { Command } from 'commander';
import { UsageError } from '../errors.js';
import { collectGarbage } from '../lake/gc.js';
import { cliMain, withServices } from './main.js';
import { print } from './output.js';

cliMain(async () => {
  const program = new Command('gc')
    .option('--retention-hours <n>', 'keep superseded versions at least this long', '168')
    .option('--dry-run', 'list what would be removed');
  parseArgs(program);
  const o = program.opts<{ retentionHours: string; dryRun?: boolean }>();
  if (!/^\d+$/.test(o.retentionHours)) throw new UsageError('--retention-hours must be a whole number of hours');
  return withServices(async (services, _config, log) => {
    const r = await collectGarbage(services.store, Number(o.retentionHours), new Date(), !!o.dryRun);
    log.info({ event: 'gc.done', removed: r.removed.length, kept: r.kept }, `${o.dryRun ? 'would remove' : 'removed'} ${r.removed.length} unreachable objects or folders, kept ${r.kept} run folders`);
    print(`${JSON.stringify({ removed: r.removed, kept: r.kept, dryRun: !!o.dryRun })}\n`);
    return 0;
  });
});
