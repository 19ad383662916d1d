/**
 * The shared Redis connection of the sidecar (budget ledger and rate limits across replicas).
 */
import { Redis } from 'ioredis';
import type { DependencyHealth } from './sidecar-runtime.js';

const PING_TIMEOUT_MS = 1_000;

/**
 * A Redis client plus its health check.
 * @public
 */
export interface RedisConnection {
  /** The client. */
  readonly redis: Redis;
  /** PING with a deadline. */
  check(): Promise<DependencyHealth>;
  /** QUIT (or disconnect when it cannot). */
  close(): Promise<void>;
}

/**
 * Connects lazily: the sidecar starts while Redis is down and reports it in `/healthz`.
 * @public
 */
export function createRedisConnection(url: string): RedisConnection {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: true, connectTimeout: 2_000 });
  // Errors surface through commands and /healthz; the client reconnects by itself.
  redis.on('error', () => undefined);
  return {
    redis,
    async check() {
      let timer: NodeJS.Timeout | undefined;
      try {
        const timeout = new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => reject(new Error(`no PING answer within ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS);
        });
        await Promise.race([redis.ping(), timeout]);
        return { ok: true };
      } catch (error) {
        return { ok: false, error: error instanceof Error ? error.message : String(error) };
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      try {
        await redis.quit();
      } catch {
        redis.disconnect();
      }
    },
  };
}
