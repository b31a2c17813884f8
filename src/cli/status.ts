/** `npm run status -- --month YYYY-MM [--all]`: the partitions whose inputs changed since they were built. */
import { Command } from 'commander';
import { monthStatus } from '../ops/status.js';
import { cliMain, withServices } from './main.js';
import { print } from './output.js';
import { requireMonth, parseArgs } from './args.js';
import { formatRows } from './format.js';

cliMain(async () => {
  const program = new Command('status')
    .requiredOption('--month <YYYY-MM>', 'billing month')
    .option('--all', 'list current partitions too')
    .option('--format <format>', 'table or json', 'table');
  parseArgs(program);
  const o = program.opts<{ month: string; all?: boolean; format: string }>();
  const month = requireMonth(o.month, '--month', 'status');
  return withServices(async (services) => {
    const statuses = await monthStatus(services, month);
    const shown = o.all ? statuses : statuses.filter((s) => s.state !== 'current');
    if (o.format === 'json') print(`${JSON.stringify(shown)}\n`);
    else if (shown.length === 0) print(`${month}: every partition is current (${statuses.length} checked)\n`);
    else print(formatRows(shown as unknown as Record<string, unknown>[], 'table'));
    return 0;
  });
});
