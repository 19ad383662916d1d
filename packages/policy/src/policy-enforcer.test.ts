import {
  asRunId,
  ModelError,
  ValidationError,
  type PolicyCheckInput,
  type PolicyDecision,
  type RateLimiter,
  type RateLimitRequest,
  type TierOverride,
} from '@runtime/contracts';
import { describe, expect, it } from 'vitest';
import { createFakeCatalog } from '../test/fake-catalog.js';
import { createFakeClock } from '../test/fake-clock.js';
import { createRateLimiter } from './memory-rate-limiter.js';
import { createPolicyEnforcer, type PolicyEnforcerOptions } from './policy-enforcer.js';
import { createTierResolver } from './tier-resolver.js';

const runId = asRunId('run-1');
const llm = (extra: Partial<PolicyCheckInput> = {}): PolicyCheckInput => ({
  kind: 'llm',
  tenant: 'acme',
  runId,
  depth: 0,
  model: 'small',
  inputTokens: 1_000,
  maxOutputTokens: 500,
  ...extra,
});
const tool = (extra: Partial<PolicyCheckInput> = {}): PolicyCheckInput => ({ kind: 'tool', tenant: 'acme', runId, depth: 0, tool: 'search', toolCalls: 0, ...extra });

/** A limiter that records what it was asked, around a real in-memory one. */
function recordingLimiter(withRelease = true) {
  const inner = createRateLimiter({ clock: createFakeClock() });
  const calls: string[] = [];
  const requests: RateLimitRequest[] = [];
  const limiter: RateLimiter = {
    acquire: (request) => {
      calls.push('acquire');
      requests.push(request);
      return inner.acquire(request);
    },
    settle: (permitId, tokens) => {
      calls.push(`settle:${tokens}`);
      return inner.settle(permitId, tokens);
    },
  };
  if (withRelease) {
    return {
      calls,
      requests,
      limiter: {
        ...limiter,
        release: (permitId: string) => {
          calls.push('release');
          return inner.release(permitId);
        },
      },
    };
  }
  return { calls, requests, limiter };
}

function enforcer(free: TierOverride = {}, extra: Partial<PolicyEnforcerOptions> = {}) {
  const recorder = recordingLimiter();
  const policy = createPolicyEnforcer({
    catalog: createFakeCatalog(),
    resolver: createTierResolver({ overrides: { free } }),
    rateLimiter: recorder.limiter,
    ...extra,
  });
  return { policy, ...recorder };
}

function refusal(decision: PolicyDecision) {
  if (decision.decision === 'CONTINUE') throw new Error('expected a refusal');
  return decision;
}

describe('rule: depth', () => {
  it('passes at the maximum depth and refuses one deeper, before anything else', async () => {
    const { policy, calls } = enforcer();
    expect((await policy.check(llm({ depth: 5 }))).decision).toBe('CONTINUE');
    expect(await policy.check(llm({ depth: 6, inputTokens: 999_999 }))).toEqual({
      decision: 'POLICY_VIOLATION',
      rule: 'depth',
      limit: 5,
      observed: 6,
      message: "Recursion depth 6 exceeds the free tier's maximum of 5.",
    });
    expect(calls).toEqual(['acquire']);
  });
});

describe('rule: contextWindow (the model’s real window, from the catalog)', () => {
  it('passes a prompt that fills the window and refuses one token more', async () => {
    const { policy } = enforcer();
    expect((await policy.check(llm({ inputTokens: 4_000 }))).decision).toBe('CONTINUE');
    expect(refusal(await policy.check(llm({ inputTokens: 4_001 })))).toMatchObject({
      decision: 'POLICY_VIOLATION',
      rule: 'contextWindow',
      limit: 4_000,
      observed: 4_001,
    });
  });
});

describe('rule: contextTokens (the tier’s limit)', () => {
  it('passes the tier limit and refuses beyond it even when the model could take more', async () => {
    const { policy } = enforcer();
    expect((await policy.check(llm({ model: 'big', inputTokens: 8_192 }))).decision).toBe('CONTINUE');
    expect(refusal(await policy.check(llm({ model: 'big', inputTokens: 8_193 })))).toMatchObject({
      decision: 'POLICY_VIOLATION',
      rule: 'contextTokens',
      limit: 8_192,
      observed: 8_193,
    });
  });
});

describe('rule: rpm / rph / tpm', () => {
  it('admits the tier rpm, then answers RATE_LIMITED with retryAfterMs', async () => {
    const { policy } = enforcer();
    for (let i = 0; i < 10; i += 1) expect((await policy.check(llm())).decision).toBe('CONTINUE');
    expect(await policy.check(llm())).toEqual({
      decision: 'RATE_LIMITED',
      rule: 'rpm',
      limit: 10,
      observed: 10,
      retryAfterMs: 60_000,
      message: "The free tier's rpm limit of 10 is reached; retry in 60000 ms.",
    });
  });

  it('applies rph', async () => {
    const { policy } = enforcer({ rpm: 100, rph: 3 });
    for (let i = 0; i < 3; i += 1) expect((await policy.check(llm())).decision).toBe('CONTINUE');
    expect(refusal(await policy.check(llm()))).toMatchObject({ decision: 'RATE_LIMITED', rule: 'rph', limit: 3, observed: 3 });
  });

  it('reserves input + output cap against tpm before the call, and settles to actual', async () => {
    const { policy, requests } = enforcer({ rpm: 100, tpm: 3_300 });
    const first = await policy.check(llm());
    expect(requests[0]).toEqual({ key: 'tenant:acme', limits: { rpm: 100, rph: 100, tpm: 3_300 }, tokens: 1_500 });
    expect((await policy.check(llm())).decision).toBe('CONTINUE');
    expect(refusal(await policy.check(llm()))).toMatchObject({ decision: 'RATE_LIMITED', rule: 'tpm', limit: 3_300, observed: 3_000 });
    if (first.decision !== 'CONTINUE' || first.permitId === undefined) throw new Error('expected a permit');
    await policy.settle(first.permitId, 200);
    expect((await policy.check(llm())).decision).toBe('CONTINUE');
  });

  it("reserves the model's output cap when the call gives none", async () => {
    const { policy, requests } = enforcer();
    await policy.check(llm({ maxOutputTokens: undefined as never }));
    await policy.check({ kind: 'llm', tenant: 'acme', runId, depth: 0, model: 'small', inputTokens: 100 });
    expect(requests.at(-1)?.tokens).toBe(1_100);
  });

  it('refuses as a violation (not a wait) a call that could never fit tpm', async () => {
    const { policy, calls } = enforcer({ tpm: 1_000 });
    expect(await policy.check(llm())).toMatchObject({ decision: 'POLICY_VIOLATION', rule: 'tpm', limit: 1_000, observed: 1_500 });
    expect(calls).toEqual([]);
  });

  it('limits per tenant by default and per user when asked', async () => {
    const shared = enforcer({ rpm: 1 });
    expect((await shared.policy.check(llm({ user: 'a' }))).decision).toBe('CONTINUE');
    expect((await shared.policy.check(llm({ user: 'b' }))).decision).toBe('RATE_LIMITED');
    const perUser = enforcer({ rpm: 1 }, { rateLimitScope: 'user' });
    expect((await perUser.policy.check(llm({ user: 'a' }))).decision).toBe('CONTINUE');
    expect((await perUser.policy.check(llm({ user: 'b' }))).decision).toBe('CONTINUE');
    expect((await perUser.policy.check(llm({ user: 'b' }))).decision).toBe('RATE_LIMITED');
  });
});

describe('rule: toolCalls', () => {
  it('passes the last allowed call and refuses the next; tool calls take no rate capacity', async () => {
    const { policy, calls } = enforcer();
    expect((await policy.check(tool({ toolCalls: 9 }))).decision).toBe('CONTINUE');
    expect(await policy.check(tool({ toolCalls: 10 }))).toEqual({
      decision: 'POLICY_VIOLATION',
      rule: 'toolCalls',
      limit: 10,
      observed: 10,
      message: 'The run already made 10 tool calls; the free tier allows 10.',
    });
    expect(calls).toEqual([]);
  });
});

describe('rule: toolAllowlist (absent or empty = deny)', () => {
  it("allows every tool with '*' (the built-in tiers)", async () => {
    expect((await enforcer().policy.check(tool({ tool: 'anything' }))).decision).toBe('CONTINUE');
  });

  it('allows listed tools only', async () => {
    const { policy } = enforcer({ allowedTools: ['search'] });
    expect((await policy.check(tool({ tool: 'search' }))).decision).toBe('CONTINUE');
    expect(refusal(await policy.check(tool({ tool: 'shell' })))).toMatchObject({ rule: 'toolAllowlist', limit: 'search', observed: 'shell' });
  });

  it('denies every tool when the list is empty or absent', async () => {
    expect(refusal(await enforcer({ allowedTools: [] }).policy.check(tool()))).toMatchObject({ rule: 'toolAllowlist', limit: '(none)', observed: 'search' });
    const { name: _name, allowedTools: _tools, ...limits } = createTierResolver().get('free');
    const policy = createPolicyEnforcer({ catalog: createFakeCatalog(), resolver: createTierResolver({ tiers: { bare: { name: 'bare', ...limits } }, fallback: 'bare' }) });
    expect(refusal(await policy.check(tool()))).toMatchObject({ rule: 'toolAllowlist', limit: '(none)' });
  });
});

describe('rule: modelAllowlist', () => {
  it('passes a listed model and refuses another; absent means every model', async () => {
    const { policy } = enforcer({ allowedModels: ['small'] });
    expect((await policy.check(llm())).decision).toBe('CONTINUE');
    expect(refusal(await policy.check(llm({ model: 'big' })))).toMatchObject({ decision: 'POLICY_VIOLATION', rule: 'modelAllowlist', limit: 'small', observed: 'big' });
    expect((await enforcer().policy.check(llm({ model: 'big' }))).decision).toBe('CONTINUE');
  });
});

describe('rule: runBudget', () => {
  it('passes the tier cap and refuses above it', async () => {
    const { policy } = enforcer();
    expect((await policy.check(llm({ runBudgetUsd: 0.25 }))).decision).toBe('CONTINUE');
    expect(refusal(await policy.check(tool({ runBudgetUsd: 0.3 })))).toMatchObject({ decision: 'POLICY_VIOLATION', rule: 'runBudget', limit: 0.25, observed: 0.3 });
  });
});

describe('order and capacity', () => {
  it('reports the first failing rule in the documented order', async () => {
    const { policy } = enforcer({ allowedModels: ['small'], rpm: 1 });
    expect(refusal(await policy.check(llm({ depth: 9, inputTokens: 5_000 }))).rule).toBe('depth');
    expect(refusal(await policy.check(llm({ inputTokens: 5_000, model: 'small' }))).rule).toBe('contextWindow');
    expect((await policy.check(llm())).decision).toBe('CONTINUE');
    // Both the rate and the model allowlist refuse: the rate comes first.
    expect(refusal(await policy.check(llm({ model: 'big', runBudgetUsd: 9 }))).rule).toBe('rpm');
  });

  it('a refusal after the rate check gives the permit back', async () => {
    const { policy, calls } = enforcer({ allowedModels: ['small'], rpm: 1 });
    expect(refusal(await policy.check(llm({ model: 'big' }))).rule).toBe('modelAllowlist');
    expect(calls).toEqual(['acquire', 'release']);
    expect((await policy.check(llm())).decision).toBe('CONTINUE');
  });

  it('with a limiter that cannot release, later rules win over the rate and nothing is acquired', async () => {
    const recorder = recordingLimiter(false);
    const policy = createPolicyEnforcer({
      catalog: createFakeCatalog(),
      resolver: createTierResolver({ overrides: { free: { allowedModels: ['small'] } } }),
      rateLimiter: recorder.limiter,
    });
    expect(refusal(await policy.check(llm({ model: 'big' }))).rule).toBe('modelAllowlist');
    expect(recorder.calls).toEqual([]);
  });

  it('release returns an admitted call’s capacity (e.g. the budget refused it)', async () => {
    const { policy } = enforcer({ rpm: 1 });
    const decision = await policy.check(llm());
    if (decision.decision !== 'CONTINUE' || decision.permitId === undefined) throw new Error('expected a permit');
    await policy.release(decision.permitId);
    expect((await policy.check(llm())).decision).toBe('CONTINUE');
  });
});

describe('bad input', () => {
  it.each([
    ['an LLM call without a model', { model: undefined }],
    ['an LLM call without inputTokens', { inputTokens: undefined }],
    ['a negative depth', { depth: -1 }],
    ['an empty tenant', { tenant: '' }],
    ['a negative budget', { runBudgetUsd: -1 }],
  ])('rejects %s with VALIDATION_FAILED', async (_label, extra) => {
    const input = { ...llm(), ...extra } as PolicyCheckInput;
    await expect(enforcer().policy.check(input)).rejects.toSatisfy(ValidationError.isInstance);
  });

  it('rejects a tool call without a tool name', async () => {
    await expect(enforcer().policy.check({ kind: 'tool', tenant: 'acme', runId, depth: 0 })).rejects.toSatisfy(ValidationError.isInstance);
  });

  it('rejects a model missing from the catalog with UNKNOWN_MODEL, taking nothing', async () => {
    const { policy, calls } = enforcer();
    await expect(policy.check(llm({ model: 'nope' }))).rejects.toSatisfy(ModelError.isInstance);
    expect(calls).toEqual([]);
  });
});
