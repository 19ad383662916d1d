import { asRunId, type RateLimiter, type RateLimitRequest } from '@runtime/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFakeCatalog } from '../test/fake-catalog.js';
import { createFakeClock } from '../test/fake-clock.js';
import { createRateLimiter } from './memory-rate-limiter.js';
import { createPolicyEnforcer } from './policy-enforcer.js';
import { createTierResolver } from './tier-resolver.js';
import { DEFAULT_TIERS } from './default-tiers.js';
import { isRateUnlimited, UNLIMITED_RATE, unlimitedTier } from './unlimited-tier.js';

function countingLimiter() {
  const inner = createRateLimiter({ clock: createFakeClock() });
  const requests: RateLimitRequest[] = [];
  const limiter: RateLimiter = {
    acquire: (request) => {
      requests.push(request);
      return inner.acquire(request);
    },
    settle: (permitId, tokens) => inner.settle(permitId, tokens),
  };
  return { requests, limiter };
}

describe('unlimitedTier', () => {
  it('keeps the base tier except rpm, rph and tpm, which are unlimited', () => {
    const tier = unlimitedTier('default', DEFAULT_TIERS.enterprise);
    expect(tier).toMatchObject({ name: 'default', rpm: UNLIMITED_RATE, rph: UNLIMITED_RATE, tpm: UNLIMITED_RATE, maxDepth: DEFAULT_TIERS.enterprise.maxDepth });
    expect(isRateUnlimited(tier)).toBe(true);
    expect(isRateUnlimited(DEFAULT_TIERS.enterprise)).toBe(false);
  });

  it('a tenant on an unlimited tier is never rate limited and never touches the limiter (any number of calls)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 400 }), fc.integer({ min: 1, max: 100_000 }), async (calls, inputTokens) => {
        const { requests, limiter } = countingLimiter();
        const resolver = createTierResolver({
          tiers: { ...DEFAULT_TIERS, default: unlimitedTier('default', DEFAULT_TIERS.enterprise) },
          assignments: { default: 'default' },
        });
        const enforcer = createPolicyEnforcer({ catalog: createFakeCatalog(), resolver, rateLimiter: limiter });
        for (let index = 0; index < calls; index += 1) {
          const decision = await enforcer.check({ kind: 'llm', tenant: 'default', runId: asRunId('r'), depth: 0, model: 'small', inputTokens: Math.min(inputTokens, 1_000), maxOutputTokens: 10 });
          expect(decision.decision).toBe('CONTINUE');
        }
        expect(requests).toHaveLength(0);
      }),
      { numRuns: 20 },
    );
  });

  it('a configured override of an unlimited tier applies its rate fields and keeps the others unlimited', async () => {
    const { requests, limiter } = countingLimiter();
    const resolver = createTierResolver({
      tiers: { ...DEFAULT_TIERS, default: unlimitedTier('default', DEFAULT_TIERS.enterprise) },
      overrides: { default: { rpm: 2 } },
      assignments: { default: 'default' },
    });
    expect(resolver.tiers['default']).toMatchObject({ rpm: 2, rph: UNLIMITED_RATE, tpm: UNLIMITED_RATE });
    const enforcer = createPolicyEnforcer({ catalog: createFakeCatalog(), resolver, rateLimiter: limiter });
    const check = () => enforcer.check({ kind: 'llm', tenant: 'default', runId: asRunId('r'), depth: 0, model: 'small', inputTokens: 10, maxOutputTokens: 10 });
    expect((await check()).decision).toBe('CONTINUE');
    expect((await check()).decision).toBe('CONTINUE');
    const third = await check();
    expect(third).toMatchObject({ decision: 'RATE_LIMITED', rule: 'rpm', limit: 2 });
    expect(requests).toHaveLength(3);
  });
});
