/** Picks the warehouse adapter for the configured URL, mode (select or unload) and credentials. */
import path from 'node:path';
import { Config, WarehouseLocation } from '../config/config.js';
import { ConfigError } from '../errors.js';
import { ObjectStore } from '../lake/objectStore.js';
import { Logger } from '../log.js';
import { Warehouse } from './warehouse.js';
import { FileWarehouse } from './file/fileWarehouse.js';
import { PostgresWarehouse } from './postgres/postgresWarehouse.js';

export function openWarehouse(location: WarehouseLocation, log?: Logger, tableName = 'dim_customer'): Warehouse {
  switch (location.kind) {
    case 'file':
      return new FileWarehouse(location.path);
    case 'postgres':
      return new PostgresWarehouse(location.url, tableName, log);
    default: {
      const never: never = location;
      throw new ConfigError(`unknown warehouse ${JSON.stringify(never)}`);
    }
  }
}

/** What an adapter may need from the run: the lake (unload stages files there), run id, scratch folder. */
export interface WarehouseRun {
  store: ObjectStore;
  runId: string;
  scratch: string;
  log?: Logger;
}

/** The lake folder an unload writes to, inside dim_customer's own prefix but outside every partition. */
export function unloadStagingPrefix(runId: string): string {
  return `tables/dim_customer/_unload/run=${runId}`;
}

/**
 * The warehouse of the configuration: ACE_WAREHOUSE_MODE=unload goes through the Redshift Data API;
 * otherwise ACE_WAREHOUSE_URL, with the credentials of ACE_WAREHOUSE_SECRET_ARN when it is set.
 * AWS clients are loaded only when asked for.
 */
export async function openConfiguredWarehouse(config: Config, run: WarehouseRun): Promise<Warehouse> {
  if (config.warehouseMode === 'unload') {
    const [{ RedshiftDataClient }, { RedshiftDataApi, redshiftTargetFromConfig }, { UnloadWarehouse }] = await Promise.all([
      import('@aws-sdk/client-redshift-data'),
      import('./redshift/dataApi.js'),
      import('./redshift/unloadWarehouse.js'),
    ]);
    const target = redshiftTargetFromConfig(config);
    if (!config.aws.unloadIamRole) throw new ConfigError('ACE_WAREHOUSE_MODE=unload needs ACE_UNLOAD_IAM_ROLE (the role Redshift assumes to write to the lake)');
    if (config.lake.kind !== 's3') throw new ConfigError('ACE_WAREHOUSE_MODE=unload needs the lake on S3 (ACE_LAKE_ROOT=s3://bucket/prefix): Redshift writes the files there');
    return new UnloadWarehouse(new RedshiftDataApi(new RedshiftDataClient({}), target), {
      store: run.store,
      stagingPrefix: unloadStagingPrefix(run.runId),
      iamRole: config.aws.unloadIamRole,
      tableName: config.warehouseTable,
      scratch: path.join(run.scratch, 'warehouse'),
      log: run.log,
    });
  }
  if (!config.aws.warehouseSecretArn) return openWarehouse(config.warehouse, run.log, config.warehouseTable);
  const [{ getSecretString }, { resolveWarehouseLocation }] = await Promise.all([import('../aws/secrets.js'), import('./redshift/secret.js')]);
  return openWarehouse(await resolveWarehouseLocation(config.warehouse, config.aws.warehouseSecretArn, (arn) => getSecretString(arn)), run.log, config.warehouseTable);
}
