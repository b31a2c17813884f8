/**
 * infrastructure/modules/catalog/tables.json is generated from src/rules/tables.ts: the committed file
 * must match the generator (npx tsx src/catalog/glue/write-terraform-tables.ts), so the Glue tables
 * Terraform creates are the ones GlueCatalog.ensureTable wants.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { TABLES, TableDef, VIEWS } from '../../src/rules/tables';
import { TERRAFORM_TABLES_PATH, renderTerraformTables } from '../../src/catalog/glue/write-terraform-tables';
import { tableInput } from '../../src/catalog/glue/schema';

const ROOT = resolve(__dirname, '../..');
const committed = readFileSync(resolve(ROOT, TERRAFORM_TABLES_PATH), 'utf8');

interface TfColumn { name: string; type: string; comment: string }
const doc = JSON.parse(committed) as { tables: Record<string, { description: string; partition_key: TfColumn; append_only: boolean; columns: TfColumn[] }>; views: string[] };

describe(TERRAFORM_TABLES_PATH, () => {
  test('is not stale (regenerate with: npx tsx src/catalog/glue/write-terraform-tables.ts)', () => {
    expect(committed).toBe(renderTerraformTables());
  });

  test('has every table of TABLES, the intermediates, runs and the rejects included, and the two views', () => {
    expect(Object.keys(doc.tables).sort()).toEqual(Object.keys(TABLES).sort());
    for (const t of ['ace_engagement_daily', 'ace_attempt_daily', 'runs', 'notification_attempted_rejects', 'notification_delivered_rejects', 'experience_config_rejects']) {
      expect(doc.tables[t]).toBeDefined();
    }
    expect(doc.views).toEqual(Object.keys(VIEWS).sort());
    expect(doc.tables.runs.append_only).toBe(true);
  });

  test.each(Object.values(TABLES as Record<string, TableDef>).map((d) => [d.name, d] as const))('%s: Glue types, comments, partition key outside the columns', (_name, def) => {
    const t = doc.tables[def.name];
    const input = tableInput(def, { bucket: 'b', prefix: 'lake' });
    expect(t.description).toBe(def.description);
    expect(t.partition_key.name).toBe(def.partitionKey);
    expect(t.columns.map((c) => c.name)).not.toContain(def.partitionKey);
    expect(t.columns.map((c) => c.name)).toEqual(def.columns.filter((c) => c.name !== def.partitionKey).map((c) => c.name));
    const expected: Record<string, string> = { VARCHAR: 'string', BIGINT: 'bigint', INTEGER: 'int', BOOLEAN: 'boolean', DATE: 'date', TIMESTAMPTZ: 'timestamp', DOUBLE: 'double' };
    for (const c of [...t.columns, t.partition_key]) {
      const source = def.columns.find((d) => d.name === c.name)!;
      expect(c.type).toBe(expected[source.type]);
      expect(c.comment.length).toBeGreaterThan(0);
    }
    // Exactly what the Glue adapter compares (tableDiff): no update on the first publish.
    expect(t.columns).toEqual((input.StorageDescriptor?.Columns ?? []).map((c) => ({ name: c.Name, type: c.Type, comment: c.Comment })));
    expect(t.partition_key).toEqual({ name: input.PartitionKeys![0].Name, type: input.PartitionKeys![0].Type, comment: input.PartitionKeys![0].Comment });
  });

  test('modules/catalog reads it instead of a hand-written map, with column and partition key comments', () => {
    const main = readFileSync(resolve(ROOT, 'infrastructure/modules/catalog/main.tf'), 'utf8');
    expect(main).toMatch(/jsondecode\(file\("\$\{path\.module\}\/tables\.json"\)\)/);
    expect(main).toMatch(/comment\s*=\s*columns\.value\.comment/);
    expect(main).toMatch(/comment\s*=\s*each\.value\.partition_key\.comment/);
    expect(main).not.toMatch(/rejects_columns|\["event_id", "string"\]/);
  });
});
