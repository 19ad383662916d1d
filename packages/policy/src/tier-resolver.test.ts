import { ValidationError, type TierPolicy } from '@runtime/contracts';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TIERS } from './default-tiers.js';
import { createTierResolver, type TierFallbackEvent } from './tier-resolver.js';

describe('DEFAULT_TIERS', () => {
  it('carries the issue figures (depth / context / tools / rpm / rph)', () => {
    const figures = (tier: TierPolicy) => [tier.maxDepth, tier.maxContextTokens, tier.maxToolCallsPerRun, tier.rpm, tier.rph];
    expect(figures(DEFAULT_TIERS.free)).toEqual([5, 8_192, 10, 10, 100]);
    expect(figures(DEFAULT_TIERS.pro)).toEqual([10, 16_384, 25, 30, 500]);
    expect(figures(DEFAULT_TIERS.enterprise)).toEqual([20, 131_072, 100, 100, 2_000]);
  });

  it('lets every tier make two full-context calls a minute (context + a quarter of it as output)', () => {
    for (const tier of Object.values(DEFAULT_TIERS)) expect(tier.tpm).toBeGreaterThanOrEqual(2 * tier.maxContextTokens * 1.25);
  });
});

describe('createTierResolver: configuration is validated at load', () => {
  it('applies overrides on top of the defaults', () => {
    const resolver = createTierResolver({ overrides: { pro: { rpm: 60, allowedModels: ['small'] } } });
    expect(resolver.get('pro')).toEqual({ ...DEFAULT_TIERS.pro, rpm: 60, allowedModels: ['small'] });
    expect(resolver.get('free')).toEqual(DEFAULT_TIERS.free);
  });

  it.each([
    ['a negative limit', { overrides: { free: { rpm: -1 } } }, 'rpm'],
    ['a zero context', { overrides: { free: { maxContextTokens: 0 } } }, 'maxContextTokens'],
    ['an unknown field', { overrides: { free: { rmp: 5 } } }, 'rmp'],
    ['an override of an unknown tier', { overrides: { platinum: { rpm: 5 } } }, 'platinum'],
    ['an assignment to an unknown tier', { assignments: { acme: 'gold' } }, 'gold'],
    ['an unknown fallback', { fallback: 'trial' }, 'trial'],
    ['a tier whose name differs from its key', { tiers: { free: { ...DEFAULT_TIERS.free, name: 'gratis' } } }, 'gratis'],
    ['an incomplete tier', { tiers: { custom: { name: 'custom', rpm: 5 } } }, 'custom'],
  ])('rejects %s with VALIDATION_FAILED', (_label, options, mentioned) => {
    let caught: unknown;
    try {
      createTierResolver(options as never);
    } catch (error) {
      caught = error;
    }
    expect(ValidationError.isInstance(caught)).toBe(true);
    expect(JSON.stringify((caught as ValidationError).toJSON())).toContain(mentioned);
  });

  it('rejects an unknown tier name in get', () => {
    expect(() => createTierResolver().get('gold')).toThrow(ValidationError);
  });
});

describe('createTierResolver: resolution', () => {
  it('asks the lookup first, then the assignments, then falls back to free', async () => {
    const events: TierFallbackEvent[] = [];
    const resolver = createTierResolver({
      assignments: { acme: 'pro' },
      lookup: ({ tenant, user }) => (tenant === 'big' ? 'enterprise' : user === 'vip' ? 'pro' : undefined),
      onFallback: (event) => events.push(event),
    });
    expect((await resolver.resolve({ tenant: 'big' })).name).toBe('enterprise');
    expect((await resolver.resolve({ tenant: 'small', user: 'vip' })).name).toBe('pro');
    expect((await resolver.resolve({ tenant: 'acme' })).name).toBe('pro');
    expect((await resolver.resolve({ tenant: 'nobody' })).name).toBe('free');
    expect(events).toEqual([{ subject: { tenant: 'nobody' }, reason: 'unassigned', fallback: 'free' }]);
  });

  it('falls back to the documented tier, and says so, when the lookup throws', async () => {
    const failure = new Error('billing API down');
    const events: TierFallbackEvent[] = [];
    const resolver = createTierResolver({
      assignments: { acme: 'enterprise' },
      lookup: () => Promise.reject(failure),
      onFallback: (event) => events.push(event),
    });
    expect((await resolver.resolve({ tenant: 'acme' })).name).toBe('free');
    expect(events).toEqual([{ subject: { tenant: 'acme' }, reason: 'lookup-failed', error: failure, fallback: 'free' }]);
  });

  it('falls back when the lookup names a tier that does not exist', async () => {
    const events: TierFallbackEvent[] = [];
    const resolver = createTierResolver({ lookup: () => 'gold', fallback: 'pro', onFallback: (event) => events.push(event) });
    expect((await resolver.resolve({ tenant: 'acme' })).name).toBe('pro');
    expect(events[0]).toMatchObject({ reason: 'unknown-tier', tierName: 'gold', fallback: 'pro' });
  });
});
