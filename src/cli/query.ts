/** `npm run query -- [--engine local|athena] [--format csv|json|table] "<SQL>"`: SQL over the catalog's tables and views. */
import { parseArgs } from './args.js';
import { Command } from 'commander';
import { UsageError } from '../errors.js';
import { loadConfig } from '../config/config.js';
import { cliMain, withServices } from './main.js';
import { print } from './output.js';
import { formatRows } from './format.js';
import { QUERY_ENGINES, QueryEngine, QueryEngineName } from '../query/engine.js';

cliMain(async () => {
  const program = new Command('query')
    .argument('<sql>', 'SQL over the tables and views of the catalog')
    .option('--format <format>', 'csv, json or table', 'table')
    .option('--engine <engine>', 'local (DuckDB over the lake) or athena (the Glue database, in ACE_ATHENA_WORKGROUP)', 'local');
  parseArgs(program);
  const { format, engine } = program.opts<{ format: string; engine: string }>();
  if (!['csv', 'json', 'table'].includes(format)) throw new UsageError(`--format ${format} is not valid: use csv, json or table`);
  if (!(QUERY_ENGINES as readonly string[]).includes(engine)) throw new UsageError(`--engine ${engine} is not valid: use ${QUERY_ENGINES.join(' or ')}`);
  const [sql] = program.args;
  const show = async (open: () => Promise<QueryEngine>): Promise<number> => {
    const qe = await open();
    try {
      const { rows, columns } = await qe.run(sql);
      print(formatRows(rows, format as 'csv' | 'json' | 'table', columns));
    } finally {
      await qe.close();
    }
    return 0;
  };
  switch (engine as QueryEngineName) {
    case 'athena': {
      // Athena needs neither DuckDB nor the lake: only the Glue database and the workgroup.
      const { AthenaQueryEngine } = await import('../query/athena.js');
      return show(async () => AthenaQueryEngine.fromConfig(loadConfig()));
    }
    case 'local': {
      const { LocalQueryEngine } = await import('../query/local.js');
      return withServices((services) => show(() => LocalQueryEngine.open(services)));
    }
  }
});
