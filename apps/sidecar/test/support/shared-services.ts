/**
 * Fresh PostgreSQL schemas and Redis key prefixes for tests on the real services (127.0.0.1:5432
 * database `test`, 127.0.0.1:6379): a unique name per test, dropped or deleted in `finally`/`after`.
 * A missing service fails the test loudly.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';

export const POSTGRES_URL = process.env['TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** A schema name nobody else uses. */
export function uniqueSchema(label: string): string {
  return `sidecar_${label}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
}

/** A Redis key prefix nobody else uses. */
export function uniquePrefix(label: string): string {
  return `sidecar-test-${label}-${randomUUID()}:`;
}

/** Runs `query` on a short-lived client (no pool left behind). */
export async function withPostgres<Value>(use: (client: pg.Client) => Promise<Value>): Promise<Value> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

export async function dropSchema(schema: string): Promise<void> {
  await withPostgres((client) => client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
}

/** Deletes every key under `prefix` (SCAN to the end of the keyspace). */
export async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    await redis.quit();
  }
}
