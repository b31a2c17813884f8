/** `npm run certificate -- --month YYYY-MM [--verify] [--format text|json]`: the month's completeness certificate; --verify re-checks it. */
import { Command } from 'commander';
import { UsageError } from '../errors.js';
import { assertVerified, certificateText, readCertificate, verifyCertificate } from '../ops/certificate.js';
import { cliMain, withServices } from './main.js';
import { print } from './output.js';
import { parseArgs, requireMonth } from './args.js';

cliMain(async () => {
  const program = new Command('certificate')
    .requiredOption('--month <YYYY-MM>', 'billing month')
    .option('--verify', 'list the raw landing zone again; exit 4 naming every file added, changed or removed in the windows since')
    .option('--format <format>', 'text or json', 'text');
  parseArgs(program);
  const o = program.opts<{ month: string; verify?: boolean; format: string }>();
  const month = requireMonth(o.month, '--month', 'certificate');
  if (o.format !== 'text' && o.format !== 'json') throw new UsageError(`certificate: --format ${JSON.stringify(o.format)} is not valid: use text or json`);
  return withServices(async (services) => {
    const cert = await readCertificate(services, month);
    if (!o.verify) {
      print(o.format === 'json' ? `${JSON.stringify(cert, null, 2)}\n` : certificateText(cert));
      return 0;
    }
    const v = await verifyCertificate(services, cert);
    if (o.format === 'json') print(`${JSON.stringify({ billing_month: month, certificate_generated_at: cert.generated_at, ...v }, null, 2)}\n`);
    else for (const c of v.changes) print(`${c.change}\t${c.key}\t${c.detail}\n`);
    assertVerified(cert, v);
    if (o.format === 'text') print(`certificate of ${month} holds: ${v.files} raw files in ${v.windows} windows unchanged since ${cert.generated_at}${cert.complete ? '' : ' (the certificate itself is NOT COMPLETE)'}\n`);
    return 0;
  });
});
