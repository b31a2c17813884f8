/** `npm run query -- [--engine local|athena] [--format table|csv|json|ndjson|parquet] [--out FILE] "<SQL>"`: SQL over the catalog's tables and views. */
import { parseArgs } from './args.js';
import { Command } from 'commander';
import { UsageError } from '../errors.js';
import { loadConfig } from '../config/config.js';
import { cliMain, withServices } from './main.js';
import { print } from './output.js';
import { RowFormat, formatRows } from './format.js';
import { deliverFile, parquetOutPath } from './queryOut.js';
import { QUERY_ENGINES, QueryEngine, QueryEngineName } from '../query/engine.js';

const FORMATS = ['table', 'csv', 'json', 'ndjson', 'parquet'] as const;

cliMain(async () => {
  const program = new Command('query')
    .argument('<sql>', 'SQL over the tables and views of the catalog')
    .option('--format <format>', 'table, csv, json, ndjson (one object per line), or parquet (with --out)', 'table')
    .option('--out <file>', 'with --format parquet: the Parquet file to write (a local path outside the lake)')
    .option('--engine <engine>', 'local (DuckDB over the lake) or athena (the Glue database, in ACE_ATHENA_WORKGROUP)', 'local');
  parseArgs(program);
  const { format, engine, out } = program.opts<{ format: string; engine: string; out?: string }>();
  if (!(FORMATS as readonly string[]).includes(format)) throw new UsageError(`query: --format ${format} is not valid: use ${FORMATS.join(', ')}`);
  if (!(QUERY_ENGINES as readonly string[]).includes(engine)) throw new UsageError(`--engine ${engine} is not valid: use ${QUERY_ENGINES.join(' or ')}`);
  if (out !== undefined && format !== 'parquet') throw new UsageError(`query: --out writes Parquet only: add --format parquet (the ${format} format prints to stdout; redirect it with >)`);
  if (format === 'parquet' && out === undefined) throw new UsageError('query: --format parquet needs --out FILE (Parquet is binary and is not printed)');
  const config = loadConfig();
  const outFile = out === undefined ? null : parquetOutPath(out, config);
  const [sql] = program.args;
  const show = async (open: () => Promise<QueryEngine>): Promise<number> => {
    const qe = await open();
    try {
      if (outFile) {
        const { file, rows } = await qe.writeParquet(sql);
        deliverFile(file, outFile);
        print(`wrote ${rows} rows to ${outFile}\n`);
      } else {
        const { rows, columns } = await qe.run(sql, format === 'json' || format === 'ndjson' ? 'json' : 'text');
        print(formatRows(rows, format as RowFormat, columns));
      }
    } finally {
      await qe.close();
    }
    return 0;
  };
  switch (engine as QueryEngineName) {
    case 'athena': {
      // Athena needs neither DuckDB nor the lake: only the Glue database and the workgroup.
      const { AthenaQueryEngine } = await import('../query/athena.js');
      return show(async () => AthenaQueryEngine.fromConfig(config));
    }
    case 'local': {
      const { LocalQueryEngine } = await import('../query/local.js');
      return withServices((services) => show(() => LocalQueryEngine.open(services)));
    }
  }
});
