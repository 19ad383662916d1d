import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

/** A client for the real Redis on 127.0.0.1:6379; fails loudly (never skips) when it is down. */
export async function connectRedis(): Promise<Redis> {
  const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true, maxRetriesPerRequest: 1, enableAutoPipelining: true });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    throw new Error('These tests need the real Redis on 127.0.0.1:6379, and it is not reachable.', { cause: error });
  }
  return redis;
}

/** A key prefix unique to this test run. */
export function uniquePrefix(label: string): string {
  return `test:cost:${label}:${randomUUID()}:`;
}

/** Deletes every key under a prefix (never FLUSHALL). */
export async function deletePrefix(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.del(...keys);
  } while (cursor !== '0');
  return deleted;
}
