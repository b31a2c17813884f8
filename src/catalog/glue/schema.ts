/**
 * Pure mapping from a TableDef to Glue's TableInput / PartitionInput: Parquet SerDe and formats,
 * the partition key declared in PartitionKeys (not among the columns), comments, Glue types.
 */
import type { Column as GlueColumn, PartitionInput, StorageDescriptor, Table, TableInput } from '@aws-sdk/client-glue';
import { Column, TableDef } from '../../rules/tables.js';
import { Pointer, partitionPrefix, runPrefix } from '../../lake/publish.js';

/** Where the lake lives in S3 (the lake's ACE_LAKE_ROOT). */
export interface LakeLocation {
  bucket: string;
  prefix: string;
}

export const PARQUET = {
  inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
  outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
  serde: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
} as const;

/** Glue comments are limited to 255 characters. */
const COMMENT_MAX = 255;

export function glueType(type: Column['type']): string {
  switch (type) {
    case 'VARCHAR':
      return 'string';
    case 'BIGINT':
      return 'bigint';
    case 'INTEGER':
      return 'int';
    case 'BOOLEAN':
      return 'boolean';
    case 'DATE':
      return 'date';
    case 'TIMESTAMPTZ':
      return 'timestamp';
    case 'DOUBLE':
      return 'double';
    default: {
      const never: never = type;
      throw new Error(`no Glue type for ${String(never)}`);
    }
  }
}

function glueColumn(c: Column): GlueColumn {
  return { Name: c.name, Type: glueType(c.type), Comment: c.comment.slice(0, COMMENT_MAX) };
}

/** `s3://bucket/prefix/<key>` (the prefix may be empty). */
export function s3Uri(lake: LakeLocation, key: string): string {
  return `s3://${[lake.bucket, lake.prefix, key].filter(Boolean).join('/')}`;
}

export function tableLocation(lake: LakeLocation, table: string): string {
  return `${s3Uri(lake, `tables/${table}`)}/`;
}

/**
 * The run folder a partition version lives in: what the Glue partition points at once current.
 * An append-only table (the run ledger) keeps every run's file in the partition folder itself.
 */
export function partitionLocation(lake: LakeLocation, pointer: Pointer, appendOnly = false): string {
  const key = appendOnly
    ? partitionPrefix(pointer.table, pointer.partitionKey, pointer.partitionValue)
    : runPrefix(pointer.table, pointer.partitionKey, pointer.partitionValue, pointer.runId);
  return `${s3Uri(lake, key)}/`;
}

export function storageDescriptor(def: TableDef, location: string): StorageDescriptor {
  return {
    Columns: def.columns.filter((c) => c.name !== def.partitionKey).map(glueColumn),
    Location: location,
    InputFormat: PARQUET.inputFormat,
    OutputFormat: PARQUET.outputFormat,
    SerdeInfo: { SerializationLibrary: PARQUET.serde, Parameters: { 'serialization.format': '1' } },
  };
}

export function tableInput(def: TableDef, lake: LakeLocation): TableInput {
  const key = def.columns.find((c) => c.name === def.partitionKey);
  if (!key) throw new Error(`table ${def.name} has no column for its partition key ${def.partitionKey}`);
  return {
    Name: def.name,
    Description: def.description,
    TableType: 'EXTERNAL_TABLE',
    Parameters: { EXTERNAL: 'TRUE', classification: 'parquet' },
    PartitionKeys: [glueColumn(key)],
    StorageDescriptor: storageDescriptor(def, tableLocation(lake, def.name)),
  };
}

export function partitionInput(def: TableDef, lake: LakeLocation, pointer: Pointer): PartitionInput {
  return {
    Values: [pointer.partitionValue],
    StorageDescriptor: storageDescriptor(def, partitionLocation(lake, pointer, def.appendOnly)),
    Parameters: { 'ace.run_id': pointer.runId, 'ace.rows': String(pointer.rows), 'ace.published_at': pointer.publishedAt },
  };
}

const cols = (list: GlueColumn[] | undefined) => (list ?? []).map((c) => `${c.Name}:${c.Type}`).join('|');
const comments = (list: GlueColumn[] | undefined) => (list ?? []).map((c) => c.Comment ?? '').join('|');

/** Differences that change nothing for readers (Athena reads by name and type). */
export const COSMETIC = new Set(['column comments', 'description']);

/** What differs between the table in Glue and the wanted definition ([] when nothing does). */
export function tableDiff(existing: Table, wanted: TableInput): string[] {
  const diffs: string[] = [];
  const a = existing.StorageDescriptor;
  const b = wanted.StorageDescriptor!;
  if (cols(a?.Columns) !== cols(b.Columns)) diffs.push('columns');
  if (cols(existing.PartitionKeys) !== cols(wanted.PartitionKeys)) diffs.push('partition keys');
  if (a?.Location !== b.Location) diffs.push('location');
  if (a?.InputFormat !== b.InputFormat || a?.OutputFormat !== b.OutputFormat || a?.SerdeInfo?.SerializationLibrary !== b.SerdeInfo?.SerializationLibrary) diffs.push('format');
  if (existing.TableType !== wanted.TableType) diffs.push('table type');
  if (comments(a?.Columns) !== comments(b.Columns) || comments(existing.PartitionKeys) !== comments(wanted.PartitionKeys)) diffs.push('column comments');
  if ((existing.Description ?? '') !== (wanted.Description ?? '')) diffs.push('description');
  return diffs;
}
