/** `npm run report -- --month YYYY-MM [--out FILE]`: the month's billing report, one self-contained HTML file. */
import { Command } from 'commander';
import { UsageError } from '../errors.js';
import { writeReport } from '../ops/report.js';
import { cliMain, withServices } from './main.js';
import { print } from './output.js';
import { parseArgs, requireMonth } from './args.js';

cliMain(async () => {
  const program = new Command('report')
    .requiredOption('--month <YYYY-MM>', 'billing month')
    .option('--out <file>', 'write the page to this local file instead of beside the exports');
  parseArgs(program);
  const o = program.opts<{ month: string; out?: string }>();
  const month = requireMonth(o.month, '--month', 'report');
  if (o.out === '') throw new UsageError('report: --out must name a file');
  return withServices(async (services) => {
    const r = await writeReport(services, month, o.out);
    const what = r.version === null ? '' : r.unchanged ? ` (version ${r.version}, unchanged)` : ` (version ${r.version})`;
    print(`${r.location}${what}\n`);
    return 0;
  });
});
