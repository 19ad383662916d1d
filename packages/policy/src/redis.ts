/**
 * The Redis-backed rate limiter of `@runtime/policy` (`@runtime/policy/redis`).
 *
 * @remarks
 * A separate entry point so that `ioredis`, an optional peer dependency, is only needed by those
 * who import it.
 *
 * @packageDocumentation
 */
export { createRedisRateLimiter, type RedisRateLimiterOptions } from './redis-rate-limiter.js';
