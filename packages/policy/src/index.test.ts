import { describe, expect, it } from 'vitest';
import * as policy from './index.js';

describe('@runtime/policy entry point', () => {
  it('exports its package name and the agreed factories', () => {
    expect(policy.PACKAGE_NAME).toBe('@runtime/policy');
    expect(Object.keys(policy).sort()).toEqual(
      [
        'DEFAULT_TIERS',
        'PACKAGE_NAME',
        'UNLIMITED_RATE',
        'createPolicyEnforcer',
        'createRateLimiter',
        'createTierResolver',
        'effectiveRateLimits',
        'isPolicyRefusal',
        'isRateUnlimited',
        'parseTierOverrides',
        'toPolicyError',
        'unlimitedTier',
      ].sort(),
    );
  });

  it('exposes the Redis limiter on its own subpath', async () => {
    const redis = await import('./redis.js');
    expect(Object.keys(redis)).toEqual(['createRedisRateLimiter']);
  });
});
