import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/** A client on the local Redis; fails (never skips) when Redis is down. */
export function connectRedis(): Redis {
  return new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: false, maxRetriesPerRequest: 1, enableOfflineQueue: true });
}

/** A key prefix unique to this run. */
export function uniquePrefix(label: string): string {
  return `test:policy:${label}:${process.pid}:${randomBytes(4).toString('hex')}:`;
}

/** Deletes every key under the prefix (never FLUSHALL). */
export async function deleteKeys(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) deleted += await redis.del(...keys);
  } while (cursor !== '0');
  return deleted;
}
