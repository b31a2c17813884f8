/**
 * Writes infrastructure/modules/catalog/tables.json from TABLES (src/rules/tables.ts), the single
 * source of truth of the lake's tables: the Glue tables Terraform creates are then exactly the ones
 * GlueCatalog.ensureTable wants (same columns, Glue types, comments, description, partition key), so
 * a job never has to update a table Terraform made. Run from the repository root:
 *   npx tsx src/catalog/glue/write-terraform-tables.ts            # write
 *   npx tsx src/catalog/glue/write-terraform-tables.ts --check    # exit 1 when the committed file is stale
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { TABLES, TableDef, VIEWS } from '../../rules/tables.js';
import { tableInput } from './schema.js';

export const TERRAFORM_TABLES_PATH = 'infrastructure/modules/catalog/tables.json';

interface TfColumn {
  name: string;
  type: string;
  comment: string;
}

interface TfTable {
  description: string;
  partition_key: TfColumn;
  /** True for the run ledger: its partitions point at the partition folder, not a run folder. */
  append_only: boolean;
  /** File columns in order, without the partition key. */
  columns: TfColumn[];
}

const col = (c: { Name?: string; Type?: string; Comment?: string }): TfColumn => ({ name: c.Name ?? '', type: c.Type ?? '', comment: c.Comment ?? '' });

/** One table as Terraform should declare it: the same TableInput the Glue adapter builds. */
export function terraformTable(def: TableDef): TfTable {
  // The location is Terraform's business (bucket and prefix are only known there); the rest is shared.
  const input = tableInput(def, { bucket: 'unused', prefix: '' });
  return {
    description: input.Description ?? '',
    partition_key: col(input.PartitionKeys![0]),
    append_only: Boolean(def.appendOnly),
    columns: (input.StorageDescriptor?.Columns ?? []).map(col),
  };
}

/** The text of tables.json (sorted by table name, stable, newline-terminated). */
export function renderTerraformTables(): string {
  const tables = Object.fromEntries(
    Object.values(TABLES as Record<string, TableDef>)
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((def) => [def.name, terraformTable(def)]),
  );
  const doc = {
    _generated: 'by src/catalog/glue/write-terraform-tables.ts from src/rules/tables.ts; do not edit, regenerate',
    tables,
    // Created at run time by the lookup jobs (Athena CREATE OR REPLACE VIEW), never by Terraform.
    views: Object.keys(VIEWS).sort(),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

function main(argv: string[]): number {
  const check = argv.includes('--check');
  const root = process.cwd();
  if (!existsSync(resolve(root, 'infrastructure'))) {
    process.stderr.write(`write-terraform-tables: no infrastructure/ under ${root}; run it from the repository root\n`);
    return 2;
  }
  const file = resolve(root, TERRAFORM_TABLES_PATH);
  const text = renderTerraformTables();
  const current = existsSync(file) ? readFileSync(file, 'utf8') : null;
  if (current === text) {
    process.stdout.write(`up to date  ${TERRAFORM_TABLES_PATH}\n`);
    return 0;
  }
  if (check) {
    process.stderr.write(`stale       ${TERRAFORM_TABLES_PATH}: run npx tsx src/catalog/glue/write-terraform-tables.ts and commit the result\n`);
    return 1;
  }
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  process.stdout.write(`wrote       ${TERRAFORM_TABLES_PATH}\n`);
  return 0;
}

// Runs only as a script (npx tsx …), not when a test imports renderTerraformTables.
if (/write-terraform-tables\.[cm]?[jt]s$/.test(process.argv[1] ?? '')) process.exitCode = main(process.argv.slice(2));
