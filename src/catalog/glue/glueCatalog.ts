/**
 * The Glue catalog (ACE_CATALOG=glue): tables with explicit schemas, and a partition made current by
 * pointing its Glue location at the run folder just published (BatchCreatePartition, or
 * UpdatePartition when it exists): the one atomic swap Athena readers see. After any error the
 * partition is read back, so a publish whose response was lost is recognised as done.
 *
 * ACE_CATALOG=glue-crawler keeps the old way instead: the table's crawler is started and awaited.
 */
import {
  BatchCreatePartitionCommand,
  CreateTableCommand,
  GetCrawlerCommand,
  GetPartitionCommand,
  GetTableCommand,
  GlueClient,
  StartCrawlerCommand,
  Table,
  UpdatePartitionCommand,
  UpdateTableCommand,
} from '@aws-sdk/client-glue';
import { AthenaClient } from '@aws-sdk/client-athena';
import { Catalog } from '../catalog.js';
import { TableDef } from '../../rules/tables.js';
import { Pointer } from '../../lake/publish.js';
import { CatalogError, ConfigError } from '../../errors.js';
import { Config, loadConfig } from '../../config/config.js';
import { Logger } from '../../log.js';
import { awsErrorName, awsHint, awsMessage } from '../../aws/errors.js';
import { AthenaRunner } from '../../aws/athena.js';
import { Clock, pollUntil, realClock } from '../../aws/poll.js';
import { COSMETIC, LakeLocation, partitionInput, partitionLocation, tableDiff, tableInput } from './schema.js';
import { athenaViewStatements } from './views.js';

export interface GlueCatalogOptions {
  database: string;
  lake: LakeLocation;
  /** `tables`: explicit schemas and partitions (ACE_CATALOG=glue); `crawler`: start the table's crawler. */
  mode: 'tables' | 'crawler';
  crawlerPrefix?: string;
  crawlerTimeoutMs?: number;
  /** First wait between two GetCrawler calls (doubles up to 30 s). */
  crawlerPollMs?: number;
  /** Runs the views' CREATE OR REPLACE VIEW; without it ensureViews fails. */
  athena?: AthenaRunner;
  log?: Logger;
  clock?: Clock;
}

export class GlueCatalog implements Catalog {
  /** Tables already checked by this process: one GetTable per table, not per partition. */
  private readonly ensured = new Set<string>();

  constructor(
    private readonly glue: GlueClient,
    readonly options: GlueCatalogOptions,
  ) {}

  /** Builds the catalog from ACE_CATALOG, ACE_GLUE_DATABASE, ACE_LAKE_ROOT (s3://) and the Athena settings. */
  static fromConfig(config: Config, log?: Logger): GlueCatalog {
    if (config.catalog === 'local') throw new ConfigError('GlueCatalog needs ACE_CATALOG=glue or glue-crawler');
    const database = config.aws.glueDatabase;
    if (!database) throw new ConfigError(`ACE_CATALOG=${config.catalog} needs ACE_GLUE_DATABASE (the Glue database of the lake's tables)`);
    if (config.lake.kind !== 's3') {
      throw new ConfigError(`ACE_CATALOG=${config.catalog} needs the lake on S3 (ACE_LAKE_ROOT=s3://bucket/prefix): Glue partitions point at S3 locations`);
    }
    const athena = new AthenaRunner(new AthenaClient({}), { workgroup: config.aws.athenaWorkgroup, database, outputLocation: config.aws.athenaOutput });
    return new GlueCatalog(new GlueClient({}), {
      database,
      lake: { bucket: config.lake.bucket, prefix: config.lake.prefix },
      mode: config.catalog === 'glue-crawler' ? 'crawler' : 'tables',
      crawlerPrefix: config.aws.glueCrawlerPrefix,
      crawlerTimeoutMs: config.aws.glueCrawlerTimeoutSeconds * 1000,
      athena,
      log,
    });
  }

  static fromEnv(env: Record<string, string | undefined> = process.env, log?: Logger): GlueCatalog {
    return GlueCatalog.fromConfig(loadConfig(env), log);
  }

  private where(def: TableDef): string {
    return `Glue table ${this.options.database}.${def.name}`;
  }

  async ensureTable(def: TableDef): Promise<void> {
    // In crawler mode the crawler owns the schema.
    if (this.options.mode === 'crawler' || this.ensured.has(def.name)) return;
    const wanted = tableInput(def, this.options.lake);
    const existing = await this.getTable(def);
    try {
      if (!existing) {
        await this.glue.send(new CreateTableCommand({ DatabaseName: this.options.database, TableInput: wanted }));
        this.options.log?.info({ event: 'catalog.table_created', table: def.name }, `created ${this.where(def)}`);
      } else {
        const diffs = tableDiff(existing, wanted);
        if (diffs.length > 0) {
          await this.glue.send(new UpdateTableCommand({ DatabaseName: this.options.database, TableInput: wanted }));
          this.options.log?.info({ event: 'catalog.table_updated', table: def.name, changed: diffs.join(', ') }, `updated ${this.where(def)} (${diffs.join(', ')})`);
        }
      }
    } catch (err) {
      // Another job created it between our GetTable and CreateTable: compare again.
      if (!existing && awsErrorName(err) === 'AlreadyExistsException') return this.ensureTable(def);
      // Comments or description alone change nothing for readers: a role that may not update the
      // table (the Terraform-managed tables) only warns.
      const diffs = existing ? tableDiff(existing, wanted) : [];
      if (existing && /AccessDenied/.test(awsErrorName(err)) && diffs.every((d) => COSMETIC.has(d))) {
        this.options.log?.warn(
          { event: 'catalog.table_drift', table: def.name, changed: diffs.join(', ') },
          `${this.where(def)} differs from src/rules/tables.ts only in ${diffs.join(' and ')}, and this role may not update it; continuing`,
        );
        this.ensured.add(def.name);
        return;
      }
      throw new CatalogError(`cannot ${existing ? 'update' : 'create'} ${this.where(def)}: ${awsMessage(err)}${awsHint(err)}`, { table: def.name }, { cause: err });
    }
    this.ensured.add(def.name);
  }

  private async getTable(def: TableDef): Promise<Table | null> {
    try {
      return (await this.glue.send(new GetTableCommand({ DatabaseName: this.options.database, Name: def.name }))).Table ?? null;
    } catch (err) {
      if (awsErrorName(err) === 'EntityNotFoundException') return null;
      throw new CatalogError(`cannot read ${this.where(def)}: ${awsMessage(err)}${awsHint(err)}`, { table: def.name }, { cause: err });
    }
  }

  /** Append-only partitions registered by this process: their location never changes, so once is enough. */
  private readonly appendOnlyRegistered = new Set<string>();

  async registerPartition(def: TableDef, pointer: Pointer): Promise<void> {
    if (this.options.mode === 'crawler') return this.crawl(def);
    const once = `${def.name}/${pointer.partitionValue}`;
    if (def.appendOnly && this.appendOnlyRegistered.has(once)) return;
    const location = partitionLocation(this.options.lake, pointer, def.appendOnly);
    const input = partitionInput(def, this.options.lake, pointer);
    const partition = `${def.partitionKey}=${pointer.partitionValue}`;
    const base = { DatabaseName: this.options.database, TableName: def.name };
    try {
      const res = await this.glue.send(new BatchCreatePartitionCommand({ ...base, PartitionInputList: [input] }));
      const failure = res.Errors?.[0]?.ErrorDetail;
      if (failure && failure.ErrorCode === 'AlreadyExistsException' && def.appendOnly) {
        // The append-only partition's folder is fixed: it exists, nothing to repoint.
      } else if (failure && failure.ErrorCode === 'AlreadyExistsException') {
        await this.glue.send(new UpdatePartitionCommand({ ...base, PartitionValueList: [pointer.partitionValue], PartitionInput: input }));
      } else if (failure) {
        throw Object.assign(new Error(failure.ErrorMessage ?? failure.ErrorCode ?? 'BatchCreatePartition failed'), { name: failure.ErrorCode ?? 'Error' });
      }
      if (def.appendOnly) this.appendOnlyRegistered.add(once);
    } catch (err) {
      // The request may have gone through with its response lost: the catalog says what is current.
      const current = await this.partitionLocationInGlue(def, pointer.partitionValue, err);
      if (current === location) {
        this.options.log?.warn(
          { event: 'catalog.publish_recognised', table: def.name, partition, error: awsMessage(err) },
          `${this.where(def)} ${partition} already points at ${location} (the call failed with ${awsMessage(err)}, but it had gone through)`,
        );
        return;
      }
      throw new CatalogError(
        `cannot point ${this.where(def)} ${partition} at ${location}: ${awsMessage(err)}${awsHint(err)}; it still points at ${current ?? 'nothing'}, so Athena readers see the previous version. Rerun the job`,
        { table: def.name, partition },
        { cause: err },
      );
    }
  }

  /** The partition's location in Glue, null when it does not exist. */
  private async partitionLocationInGlue(def: TableDef, value: string, original: unknown): Promise<string | null> {
    try {
      const res = await this.glue.send(new GetPartitionCommand({ DatabaseName: this.options.database, TableName: def.name, PartitionValues: [value] }));
      return res.Partition?.StorageDescriptor?.Location ?? null;
    } catch (err) {
      if (awsErrorName(err) === 'EntityNotFoundException') return null;
      throw new CatalogError(
        `cannot register ${this.where(def)} ${def.partitionKey}=${value} (${awsMessage(original)}), and reading it back failed too (${awsMessage(err)}); check the partition in Glue, then rerun the job`,
        { table: def.name },
        { cause: original },
      );
    }
  }

  /** Creates or replaces the two catalog views in Athena (CREATE OR REPLACE VIEW), after their tables exist. */
  async ensureViews(): Promise<void> {
    if (!this.options.athena) {
      // Tables are published either way; without Athena settings the views are left to an operator.
      this.options.log?.warn({ event: 'catalog.views_skipped' }, 'no Athena settings (ACE_ATHENA_WORKGROUP): v_dim_customer and v_outcome_experience_lookup were not created or replaced');
      return;
    }
    for (const { view, sql } of athenaViewStatements()) {
      await this.options.athena.execute(sql);
      this.options.log?.info({ event: 'catalog.view_created', view }, `created or replaced view ${this.options.database}.${view} in Athena`);
    }
  }

  /** glue-crawler mode: starts the table's crawler (after a crawl already running) and waits for it, bounded. */
  private async crawl(def: TableDef): Promise<void> {
    const name = `${this.options.crawlerPrefix ?? ''}${def.name}`;
    const clock = this.options.clock ?? realClock;
    const timeoutMs = this.options.crawlerTimeoutMs ?? 15 * 60 * 1000;
    const deadline = clock.now() + timeoutMs;
    const poll = { initialDelayMs: this.options.crawlerPollMs ?? 5000, maxDelayMs: 30_000, clock };
    const timeout = (state: string) =>
      new CatalogError(
        `Glue crawler ${name} for ${this.where(def)} did not finish within ${Math.round(timeoutMs / 1000)} s (state ${state}); the new partition may not be visible in Athena yet: check the crawler in the Glue console, then rerun the job (or raise ACE_GLUE_CRAWLER_TIMEOUT_SECONDS)`,
        { table: def.name, crawler: name },
      );
    const state = async () => {
      try {
        return (await this.glue.send(new GetCrawlerCommand({ Name: name }))).Crawler;
      } catch (err) {
        throw new CatalogError(`cannot read Glue crawler ${name}: ${awsMessage(err)}${awsHint(err)}`, { crawler: name }, { cause: err });
      }
    };
    let startedAt = 0;
    for (;;) {
      try {
        startedAt = clock.now();
        await this.glue.send(new StartCrawlerCommand({ Name: name }));
        break;
      } catch (err) {
        if (awsErrorName(err) !== 'CrawlerRunningException') {
          throw new CatalogError(`cannot start Glue crawler ${name}: ${awsMessage(err)}${awsHint(err)}; ACE_CATALOG=glue-crawler expects a crawler named <ACE_GLUE_CRAWLER_PREFIX><table>`, { crawler: name }, { cause: err });
        }
        // A crawl started before our files were written may miss them: wait for it, then start ours.
        await pollUntil(
          async () => {
            const c = await state();
            return c?.State === 'READY' ? { done: true, value: undefined } : { done: false, state: c?.State ?? 'UNKNOWN' };
          },
          { ...poll, timeoutMs: Math.max(0, deadline - clock.now()) },
          timeout,
        );
      }
    }
    let sawRunning = false;
    const last = await pollUntil(
      async () => {
        const c = await state();
        const s = c?.State ?? 'UNKNOWN';
        if (s !== 'READY') sawRunning = true;
        const ours = sawRunning || (c?.LastCrawl?.StartTime?.getTime() ?? 0) >= startedAt;
        return s === 'READY' && ours ? { done: true, value: c?.LastCrawl } : { done: false, state: s };
      },
      { ...poll, timeoutMs: Math.max(0, deadline - clock.now()) },
      timeout,
    );
    if (last?.Status && last.Status !== 'SUCCEEDED') {
      throw new CatalogError(`Glue crawler ${name} ${last.Status}: ${last.ErrorMessage ?? 'no message'}; see its log group ${last.LogGroup ?? ''}`.trim(), { crawler: name });
    }
    this.options.log?.info({ event: 'catalog.crawled', table: def.name, crawler: name }, `crawler ${name} finished`);
  }
}
