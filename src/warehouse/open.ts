/** Picks the warehouse adapter for the configured URL. */
import { WarehouseLocation } from '../config/config.js';
import { ConfigError } from '../errors.js';
import { Warehouse } from './warehouse.js';
import { FileWarehouse } from './file/fileWarehouse.js';
import { PostgresWarehouse } from './postgres/postgresWarehouse.js';

export function openWarehouse(location: WarehouseLocation): Warehouse {
  switch (location.kind) {
    case 'file':
      return new FileWarehouse(location.path);
    case 'postgres':
      return new PostgresWarehouse(location.url);
    default: {
      const never: never = location;
      throw new ConfigError(`unknown warehouse ${JSON.stringify(never)}`);
    }
  }
}
