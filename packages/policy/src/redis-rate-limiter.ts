/**
 * The Redis rate limiter: the same sliding logs as the in-memory limiter, kept in Redis and updated
 * by atomic Lua scripts, so every process sharing the Redis shares the limits.
 *
 * @remarks
 * Import it from `@runtime/policy/redis` (ioredis is an optional peer dependency). It does not
 * create or close the Redis connection: the caller owns it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { InternalError, RuntimeError, type Clock, type RateLimitDecision, type RateLimitRequest, type RateLimitRule } from '@runtime/contracts';
import type { Cluster, Redis } from 'ioredis';
import { invalid } from './internal/validate.js';
import { RULES, resolveWindows, validateActualTokens, validateRequest } from './internal/limiter-input.js';
import { ACQUIRE_SCRIPT, RELEASE_SCRIPT, SETTLE_SCRIPT } from './internal/redis-scripts.js';
import type { RateLimitWindows, ReleasableRateLimiter } from './rate-limit-windows.js';

/**
 * Options of {@link createRedisRateLimiter}.
 * @public
 */
export interface RedisRateLimiterOptions {
  /** An ioredis client or cluster (owned by the caller). */
  readonly redis: Redis | Cluster;
  /** Prefix of every key this limiter writes, e.g. `runtime:rl:`. */
  readonly keyPrefix: string;
  /**
   * Source of time. When absent (the default) each script reads the Redis server's `TIME`, so
   * every process agrees on "now" whatever its own clock says. Pass a clock only when every process
   * sharing the keys passes the same one (tests with a fake clock).
   * @defaultValue the Redis server clock
   */
  readonly clock?: Clock;
  /** Window lengths; every process sharing the keys must use the same. @defaultValue one minute for `rpm` and `tpm`, one hour for `rph` */
  readonly windows?: RateLimitWindows;
}

interface Script {
  readonly source: string;
  readonly sha: string;
}

function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

const ACQUIRE = script(ACQUIRE_SCRIPT);
const SETTLE = script(SETTLE_SCRIPT);
const RELEASE = script(RELEASE_SCRIPT);

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

/**
 * Creates a {@link ReleasableRateLimiter} backed by Redis (sliding logs in sorted sets, atomic Lua).
 *
 * @remarks
 * The limit holds across every process sharing the Redis and the `keyPrefix`: the check and the
 * admission happen in one script, so two processes can never both take the last slot. Permit ids
 * carry the limited key (`<member>:<key>`), so `settle` and `release` work from any process.
 * @throws {@link @runtime/contracts#ValidationError} `VALIDATION_FAILED` for an empty prefix or a bad window.
 * Its methods reject with {@link @runtime/contracts#InternalError} `STORE_ERROR` when Redis fails.
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { createRedisRateLimiter } from '@runtime/policy/redis';
 *
 * const limiter = createRedisRateLimiter({ redis: new Redis(), keyPrefix: 'runtime:rl:' });
 * const decision = await limiter.acquire({ key: 'tenant:acme', limits: { rpm: 30 } });
 * ```
 * @public
 */
export function createRedisRateLimiter(options: RedisRateLimiterOptions): ReleasableRateLimiter {
  const { redis, keyPrefix, clock } = options;
  if (typeof keyPrefix !== 'string' || keyPrefix === '') invalid('redis rate limiter options', 'keyPrefix', 'must be a non-empty string');
  const windows = resolveWindows(options.windows);
  const instance = randomBytes(6).toString('hex');
  let sequence = 0;

  async function run(target: Script, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      try {
        return await redis.evalsha(target.sha, keys.length, ...keys, ...args);
      } catch (error) {
        if (!isNoScript(error)) throw error;
        return await redis.eval(target.source, keys.length, ...keys, ...args);
      }
    } catch (error) {
      if (RuntimeError.isInstance(error)) throw error;
      throw new InternalError({
        code: 'STORE_ERROR',
        message: `Redis rate limiter failed: ${error instanceof Error ? error.message : String(error)}.`,
        details: { store: 'redis' },
        cause: error,
      });
    }
  }

  function keysOf(key: string): { rpm: string; rph: string; tpm: string; tpmWeights: string; permit: (member: string) => string } {
    const base = `${keyPrefix}{${key}}`;
    return {
      rpm: `${base}:rpm`,
      rph: `${base}:rph`,
      tpm: `${base}:tpm`,
      tpmWeights: `${base}:tpmw`,
      permit: (member) => `${base}:p:${member}`,
    };
  }

  function parsePermit(permitId: string): { member: string; key: string } {
    const colon = typeof permitId === 'string' ? permitId.indexOf(':') : -1;
    if (colon <= 0 || colon === permitId.length - 1) invalid('permit id', '', 'not issued by a Redis rate limiter');
    return { member: permitId.slice(0, colon), key: permitId.slice(colon + 1) };
  }

  return {
    async acquire(request: RateLimitRequest): Promise<RateLimitDecision> {
      const tokens = validateRequest(request);
      const { limits } = request;
      const member = `${instance}.${(sequence++).toString(36)}`;
      const keys = keysOf(request.key);
      let ttl = 1;
      for (const rule of RULES) if (limits[rule] !== undefined) ttl = Math.max(ttl, windows[rule]);
      const reply = await run(
        ACQUIRE,
        [keys.rpm, keys.rph, keys.tpm, keys.tpmWeights, keys.permit(member)],
        [
          clock === undefined ? '' : Math.floor(clock.now()),
          member,
          tokens,
          limits.rpm ?? -1,
          windows.rpm,
          limits.rph ?? -1,
          windows.rph,
          limits.tpm ?? -1,
          windows.tpm,
          ttl,
        ],
      );
      if (!Array.isArray(reply) || typeof reply[0] !== 'number') {
        throw new InternalError({ code: 'INTERNAL', message: 'Unexpected reply from the rate limit script.', details: { reply: String(reply) } });
      }
      if (reply[0] === 1) return { allowed: true, permitId: `${member}:${request.key}` };
      const [, ruleIndex, limit, observed, retryAfterMs] = reply as number[];
      const rule: RateLimitRule = RULES[(ruleIndex ?? 1) - 1] ?? 'rpm';
      return { allowed: false, rule, limit: limit ?? 0, observed: observed ?? 0, retryAfterMs: retryAfterMs ?? windows[rule] };
    },
    async settle(permitId: string, actualTokens: number): Promise<void> {
      validateActualTokens(actualTokens);
      const { member, key } = parsePermit(permitId);
      const keys = keysOf(key);
      await run(SETTLE, [keys.permit(member), keys.tpmWeights], [member, actualTokens]);
    },
    async release(permitId: string): Promise<void> {
      const { member, key } = parsePermit(permitId);
      const keys = keysOf(key);
      await run(RELEASE, [keys.permit(member), keys.rpm, keys.rph, keys.tpm, keys.tpmWeights], [member]);
    },
  };
}
