/**
 * `npm run parity -- --month YYYY-MM --legacy FILE [--legacy-outcome FILE] [--legacy-audit FILE] [--map a=b,…] [--out DIR]`:
 * this system's exports of the month against the legacy Glue system's; exit 0 when they agree, 4 when not.
 */
import { Command } from 'commander';
import { ReconciliationError, UsageError } from '../errors.js';
import { differenceLine, parityText, runParity } from '../ops/parity.js';
import { cliMain, withServices } from './main.js';
import { print } from './output.js';
import { parseArgs, requireMonth } from './args.js';

cliMain(async () => {
  const program = new Command('parity')
    .requiredOption('--month <YYYY-MM>', 'billing month')
    .requiredOption('--legacy <FILE>', "the legacy per-client export (CSV)")
    .option('--legacy-outcome <FILE>', 'the legacy per client, outcome, experience and channel export (CSV)')
    .option('--legacy-audit <FILE>', 'the legacy units, one row per client_id, customer_id (CSV)')
    .option('--map <legacy=ours,…>', 'legacy column names that differ from ours')
    .option('--out <DIR>', 'folder for parity_M.csv', '.')
    .option('--evidence <N>', 'read the evidence of at most N units only one side counts', '20');
  parseArgs(program);
  const o = program.opts<{ month: string; legacy: string; legacyOutcome?: string; legacyAudit?: string; map?: string; out: string; evidence: string }>();
  const month = requireMonth(o.month, '--month', 'parity');
  if (!/^[0-9]{1,5}$/.test(o.evidence)) throw new UsageError(`parity: --evidence ${JSON.stringify(o.evidence)} is not valid: use a whole number of units, e.g. 20`);
  if (o.out === '') throw new UsageError('parity: --out must name a folder');
  return withServices(async (services) => {
    const result = await runParity(services, { month, legacy: o.legacy, legacyOutcome: o.legacyOutcome, legacyAudit: o.legacyAudit, map: o.map, outDir: o.out, evidenceLimit: Number(o.evidence) });
    print(parityText(result));
    if (!result.equal) throw new ReconciliationError(differenceLine(result), { job: 'parity', month });
    return 0;
  });
});
