/** `npm run query -- [--format csv|json|table] "<SQL>"`: SQL over the catalog's tables and views. */
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { UsageError } from '../errors.js';
import { cliMain, withServices } from './main.js';
import { registerViews } from '../catalog/local/views.js';
import { formatRows } from './format.js';

cliMain(async () => {
  const program = new Command('query')
    .argument('<sql>', 'SQL over the tables and views of the catalog')
    .option('--format <format>', 'csv, json or table', 'table')
    .exitOverride()
    .configureOutput({ writeErr: () => undefined });
  try {
    program.parse(process.argv);
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/^error: /, ''));
  }
  const { format } = program.opts<{ format: string }>();
  if (!['csv', 'json', 'table'].includes(format)) throw new UsageError(`--format ${format} is not valid: use csv, json or table`);
  const [sql] = program.args;
  return withServices(async (services) => {
    const db = await services.engine.connect();
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'ace-query-'));
    try {
      await registerViews(db, services.store, scratch);
      const columns = await db.columns(`SELECT * FROM (${sql}) LIMIT 0`).catch(() => null);
      const rows = await db.all(sql);
      process.stdout.write(formatRows(rows, format as 'csv' | 'json' | 'table', columns?.map((c) => c.name)));
    } finally {
      db.close();
      fs.rmSync(scratch, { recursive: true, force: true });
    }
    return 0;
  });
});
