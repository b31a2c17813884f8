/** `npm run gc -- [--retention-hours 168] [--dry-run]`: removes what no reader can reach, once unreachable longer than the retention. */
import { parseArgs } from './args.js';
import { Command } from 'commander';
import { UsageError } from '../errors.js';
import { collectGarbage, MIN_RETENTION_HOURS } from '../lake/gc.js';
import { cliMain, withServices } from './main.js';
import { print } from './output.js';

cliMain(async () => {
  const program = new Command('gc')
    .option('--retention-hours <n>', `keep superseded versions at least this long after they stopped being current (at least ${MIN_RETENTION_HOURS})`, '168')
    .option('--dry-run', 'list what would be removed');
  parseArgs(program);
  const o = program.opts<{ retentionHours: string; dryRun?: boolean }>();
  if (!/^\d+$/.test(o.retentionHours)) throw new UsageError('gc: --retention-hours must be a whole number of hours (default 168)');
  if (Number(o.retentionHours) < MIN_RETENTION_HOURS) {
    throw new UsageError(`gc: --retention-hours ${o.retentionHours} is under ${MIN_RETENTION_HOURS} hour and could remove the files of a run still being written or read; use ${MIN_RETENTION_HOURS} or more (default 168)`);
  }
  return withServices(async (services, _config, log) => {
    const r = await collectGarbage(services.store, Number(o.retentionHours), new Date(), !!o.dryRun, (message) => log.warn({ event: 'state.unreadable' }, message));
    log.info({ event: 'gc.done', removed: r.removed.length, kept: r.kept }, `${o.dryRun ? 'would remove' : 'removed'} ${r.removed.length} unreachable objects or folders, kept ${r.kept} run folders`);
    print(`${JSON.stringify({ removed: r.removed, kept: r.kept, dryRun: !!o.dryRun })}\n`);
    return 0;
  });
});
