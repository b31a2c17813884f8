/** `npm run explain -- --month YYYY-MM --client C --customer U [--version N] [--format text|json]`: the billing proof of one ACE unit. */
import { Command } from 'commander';
import { UsageError } from '../errors.js';
import { explainUnit, explanationText } from '../ops/explain.js';
import { cliMain, withServices } from './main.js';
import { print } from './output.js';
import { parseArgs, requireMonth } from './args.js';

cliMain(async () => {
  const program = new Command('explain')
    .requiredOption('--month <YYYY-MM>', 'billing month')
    .requiredOption('--client <client_id>', 'client')
    .requiredOption('--customer <customer_id>', "the client's end customer")
    .option('--version <N>', 'explain the unit as export version N counted it')
    .option('--format <format>', 'text or json', 'text');
  parseArgs(program);
  const o = program.opts<{ month: string; client: string; customer: string; version?: string; format: string }>();
  const month = requireMonth(o.month, '--month', 'explain');
  if (o.format !== 'text' && o.format !== 'json') throw new UsageError(`explain: --format ${JSON.stringify(o.format)} is not valid: use text or json`);
  if (o.version !== undefined && !/^[1-9][0-9]{0,5}$/.test(o.version)) throw new UsageError(`explain: --version ${JSON.stringify(o.version)} is not valid: use an export version number, e.g. 1`);
  if (o.client === '' || o.customer === '') throw new UsageError('explain: --client and --customer must not be empty');
  return withServices(async (services) => {
    const e = await explainUnit(services, { month, client: o.client, customer: o.customer, version: o.version === undefined ? undefined : Number(o.version) });
    print(o.format === 'json' ? `${JSON.stringify(e, null, 2)}\n` : explanationText(e));
    return 0;
  });
});
