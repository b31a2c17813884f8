/** Builds the adapters named by the configuration: the one place that picks local or AWS parts. */
import fs from 'node:fs';
import { Config, StoreLocation, allowedDirectories } from '../config/config.js';
import { ConfigError } from '../errors.js';
import { Engine } from '../engine/duckdb.js';
import { ObjectStore } from '../lake/objectStore.js';
import { LocalObjectStore } from '../lake/local/localObjectStore.js';
import { LocalCatalog } from '../catalog/local/localCatalog.js';
import { Catalog } from '../catalog/catalog.js';
import { Logger } from '../log.js';
import { Services } from './context.js';

/** Opens an object store for a configured location. */
export async function openStore(location: StoreLocation, variable: string, scratch?: string, forcePathStyle = false): Promise<ObjectStore> {
  switch (location.kind) {
    case 'local':
      return new LocalObjectStore(location.root);
    case 's3': {
      const { S3ObjectStore } = await import('../lake/s3/s3ObjectStore.js');
      return new S3ObjectStore(location.bucket, location.prefix, undefined, scratch, forcePathStyle);
    }
    default: {
      const never: never = location;
      throw new ConfigError(`unknown store kind ${JSON.stringify(never)}`);
    }
  }
}

async function openCatalog(config: Config, store: ObjectStore, log: Logger): Promise<Catalog> {
  if (config.catalog === 'local') return new LocalCatalog(store);
  const { GlueCatalog } = await import('../catalog/glue/glueCatalog.js');
  return GlueCatalog.fromConfig(config, log);
}

/** Checks that a local lake root exists, so a typo never turns into silently empty partitions. */
export function assertLakeReadable(config: Config, job: string, needsRaw: boolean): void {
  if (config.lake.kind !== 'local') return;
  const root = config.lake.root;
  try {
    fs.accessSync(root, fs.constants.R_OK | fs.constants.W_OK);
  } catch {
    throw new ConfigError(
      `${job}: the lake root ${root} does not exist or is not readable and writable; set ACE_LAKE_ROOT to the lake folder${needsRaw ? ' (raw input is read from <root>/raw/), or run `npm run generate` to create sample data' : ''}`,
      { job, path: root },
    );
  }
}

export async function openServices(config: Config, log: Logger): Promise<Services> {
  const store = await openStore(config.lake, 'ACE_LAKE_ROOT', config.scratchRoot, config.s3ForcePathStyle);
  const exportStore = await openStore(config.exports, 'ACE_EXPORT_ROOT', config.scratchRoot, config.s3ForcePathStyle);
  const catalog = await openCatalog(config, store, log);
  const engine = await Engine.open({ ...config.duckdb, allowedDirectories: config.duckdb.sandbox ? allowedDirectories(config) : undefined });
  const raw = config.raw ? { store: await openStore(config.raw, 'ACE_RAW_ROOT', config.scratchRoot, config.s3ForcePathStyle), prefix: '' } : { store, prefix: 'raw/' };
  return { config, store, exportStore, raw, catalog, engine, log };
}
