/** ACE_CUSTOMER_ID_KEY: customer_id becomes HMAC-SHA256(key, customer_id), computed by DuckDB at ingest. */
import crypto from 'node:crypto';
import { Engine } from '../../src/engine/duckdb';
import { hmacSql } from '../../src/sql/ingest';
import { hmacPads } from '../../src/run/raw';

describe('HMAC-SHA256 in DuckDB SQL', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await Engine.open({ memoryLimit: '256MB', tempDir: require('node:os').tmpdir() + '/ace-unit-test-duckdb', threads: 1 });
  });
  afterAll(() => engine.close());

  test.each([
    ['a key of exactly thirty-two chars', 'u00079'],
    ['k'.repeat(100), 'customer with spaces and ünïcode'],
    ['0123456789abcdef0123456789abcdef', ''],
  ])('matches node:crypto for key %p and value %p', async (key, value) => {
    const db = await engine.connect();
    try {
      await db.setVariables(hmacPads(key));
      const [row] = await db.all<{ h: string }>(`SELECT ${hmacSql('$v')} AS h`, { v: value });
      expect(row.h).toBe(crypto.createHmac('sha256', key).update(value, 'utf8').digest('hex'));
    } finally {
      db.close();
    }
  });
});
