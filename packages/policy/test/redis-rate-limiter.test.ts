import { InternalError, ValidationError } from '@runtime/contracts';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisRateLimiter } from '../src/redis.js';
import { createFakeClock } from './fake-clock.js';
import { describeRateLimiter } from './rate-limiter-suite.js';
import { connectRedis, deleteKeys, uniquePrefix } from './redis-helpers.js';

const redis = connectRedis();
const keyPrefix = uniquePrefix('suite');

beforeAll(async () => {
  // Fails the file loudly when Redis is not running: these tests never skip.
  expect(await redis.ping()).toBe('PONG');
});

afterAll(async () => {
  await deleteKeys(redis, keyPrefix);
  await redis.quit();
});

describeRateLimiter('redis', (clock, windows) => createRedisRateLimiter(windows === undefined ? { redis, keyPrefix, clock } : { redis, keyPrefix, clock, windows }), {
  propertyRuns: 25,
});

describe('redis limiter specifics', () => {
  it('uses the Redis server clock by default', async () => {
    const limiter = createRedisRateLimiter({ redis, keyPrefix });
    const key = `server-time-${Date.now()}`;
    expect((await limiter.acquire({ key, limits: { rpm: 1 } })).allowed).toBe(true);
    const refused = await limiter.acquire({ key, limits: { rpm: 1 } });
    expect(refused.allowed).toBe(false);
    if (!refused.allowed) {
      expect(refused.retryAfterMs).toBeGreaterThan(55_000);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(60_000);
    }
  });

  it('settles and releases from another limiter instance (another process) by permit id', async () => {
    const clock = createFakeClock();
    const first = createRedisRateLimiter({ redis, keyPrefix, clock });
    const second = createRedisRateLimiter({ redis, keyPrefix, clock });
    const key = `cross-${Date.now()}`;
    const decision = await first.acquire({ key, limits: { rpm: 1, tpm: 100 }, tokens: 100 });
    if (!decision.allowed) throw new Error('expected admission');
    await second.release(decision.permitId);
    expect((await second.acquire({ key, limits: { rpm: 1, tpm: 100 }, tokens: 100 })).allowed).toBe(true);
  });

  it('lets every key expire once idle', async () => {
    const limiter = createRedisRateLimiter({ redis, keyPrefix, windows: { rpm: 60_000, rph: 120_000, tpm: 60_000 } });
    const key = `ttl-${Date.now()}`;
    const decision = await limiter.acquire({ key, limits: { rpm: 5, rph: 5, tpm: 50 }, tokens: 5 });
    expect(decision.allowed).toBe(true);
    const keys = await redis.keys(`${keyPrefix}{${key}}*`);
    expect(keys.length).toBe(5);
    for (const name of keys) expect(await redis.pttl(name)).toBeGreaterThan(0);
  });

  it('rejects a malformed permit id and an empty prefix', async () => {
    const limiter = createRedisRateLimiter({ redis, keyPrefix });
    await expect(limiter.settle('no-separator', 1)).rejects.toSatisfy(ValidationError.isInstance);
    expect(() => createRedisRateLimiter({ redis, keyPrefix: '' })).toThrow(ValidationError);
  });

  it('turns a Redis failure into STORE_ERROR', async () => {
    const broken = new Redis({ host: '127.0.0.1', port: 1, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    const limiter = createRedisRateLimiter({ redis: broken, keyPrefix });
    await expect(limiter.acquire({ key: 'k', limits: { rpm: 1 } })).rejects.toSatisfy(
      (error) => InternalError.isInstance(error) && error.code === 'STORE_ERROR' && error.isRetryable,
    );
    broken.disconnect();
  });
});
