/**
 * The policy enforcer: one check before each LLM call or tool call.
 *
 * @remarks
 * Order: depth → context window (the model's, then the tier's) → rate (requests, tokens) → tool
 * calls → tool allowlist → model allowlist → run budget. Refusals are data
 * ({@link @runtime/contracts#PolicyDecision}); use {@link toPolicyError} to throw. It does not
 * reserve budget (that is the cost domain's ledger) nor count tool calls (the caller passes them).
 */
import type { ModelCatalog, PolicyCheckInput, PolicyDecision, PolicyEnforcer, RateLimiter, TierPolicy } from '@runtime/contracts';
import { checkAfterRate, checkContext, checkDepth, checkTokensFit } from './internal/rules.js';
import { invalid, isCount } from './internal/validate.js';
import { createRateLimiter } from './memory-rate-limiter.js';
import type { PolicyRefusal } from './policy-error.js';
import { createTierResolver, type TierResolver } from './tier-resolver.js';
import { effectiveRateLimits } from './unlimited-tier.js';

/**
 * Options of {@link createPolicyEnforcer}.
 * @public
 */
export interface PolicyEnforcerOptions {
  /** The model catalog, for each model's real context window and output cap. */
  readonly catalog: ModelCatalog;
  /** Tenant/user → tier. @defaultValue `createTierResolver()` (built-in tiers, fallback `free`) */
  readonly resolver?: TierResolver;
  /** Shared request/token limits. @defaultValue `createRateLimiter()` (in memory) */
  readonly rateLimiter?: RateLimiter;
  /**
   * Whose rate limits a call counts against: the tenant's (shared by its users) or each user's
   * (a call without `user` counts against the tenant).
   * @defaultValue `'tenant'`
   */
  readonly rateLimitScope?: 'tenant' | 'user';
}

/**
 * A {@link @runtime/contracts#PolicyEnforcer} whose `release` is always available.
 * @public
 */
export interface ReleasablePolicyEnforcer extends PolicyEnforcer {
  /** Returns a permit's capacity when the admitted call did not happen. Idempotent; a no-op after settle. */
  release(permitId: string): Promise<void>;
}

function validate(input: PolicyCheckInput): void {
  const what = 'policy check input';
  if (input.kind !== 'llm' && input.kind !== 'tool') invalid(what, 'kind', 'must be "llm" or "tool"');
  if (typeof input.tenant !== 'string' || input.tenant === '') invalid(what, 'tenant', 'must be a non-empty string');
  if (!isCount(input.depth)) invalid(what, 'depth', 'must be a non-negative integer');
  if (input.kind === 'llm') {
    if (typeof input.model !== 'string' || input.model === '') invalid(what, 'model', 'is required for an LLM call');
    if (!isCount(input.inputTokens)) invalid(what, 'inputTokens', 'is required for an LLM call (a non-negative integer)');
    if (input.maxOutputTokens !== undefined && !isCount(input.maxOutputTokens)) invalid(what, 'maxOutputTokens', 'must be a non-negative integer');
  } else {
    if (typeof input.tool !== 'string' || input.tool === '') invalid(what, 'tool', 'is required for a tool call');
    if (input.toolCalls !== undefined && !isCount(input.toolCalls)) invalid(what, 'toolCalls', 'must be a non-negative integer');
  }
  const budget = input.runBudgetUsd;
  if (budget !== undefined && (typeof budget !== 'number' || !Number.isFinite(budget) || budget < 0)) {
    invalid(what, 'runBudgetUsd', 'must be a finite number of USD ≥ 0');
  }
}

function rateKey(input: PolicyCheckInput, scope: 'tenant' | 'user'): string {
  const tenant = `tenant:${encodeURIComponent(input.tenant)}`;
  return scope === 'user' && input.user !== undefined ? `${tenant}:user:${encodeURIComponent(input.user)}` : tenant;
}

/**
 * Creates a {@link @runtime/contracts#PolicyEnforcer}.
 *
 * @remarks
 * Rate limits apply to LLM calls only (tool calls are bounded by the per-run tool-call count).
 * A rule set to {@link UNLIMITED_RATE} is not sent to the limiter; a tier with all three unlimited
 * is admitted without a permit.
 * An LLM call reserves `inputTokens + maxOutputTokens` (the model's output cap when absent)
 * against `tpm`; settle the returned `permitId` with the actual tokens after the call, or
 * `release` it when the call never happens. A refusal never leaves rate-limit capacity taken: the
 * permit is acquired only after depth and context pass, and released when a later rule refuses.
 * With a limiter that has no `release`, the later rules are checked before the rate instead, so a
 * policy violation wins over a rate limit.
 * @throws (rejects) {@link @runtime/contracts#ValidationError} `VALIDATION_FAILED` for malformed input,
 * {@link @runtime/contracts#ModelError} `UNKNOWN_MODEL` for a model missing from the catalog.
 * @example
 * ```ts
 * const enforcer = createPolicyEnforcer({ catalog, resolver: createTierResolver({ assignments: { acme: 'pro' } }) });
 * const decision = await enforcer.check({ kind: 'llm', tenant: 'acme', runId, depth: 0, model: 'gpt-4o-mini', inputTokens: 900, maxOutputTokens: 512 });
 * if (decision.decision !== 'CONTINUE') throw toPolicyError(decision);
 * // … call the model …
 * if (decision.permitId !== undefined) await enforcer.settle(decision.permitId, usage.inputTokens + usage.outputTokens);
 * ```
 * @public
 */
export function createPolicyEnforcer(options: PolicyEnforcerOptions): ReleasablePolicyEnforcer {
  const { catalog } = options;
  const resolver = options.resolver ?? createTierResolver();
  const limiter = options.rateLimiter ?? createRateLimiter();
  const scope = options.rateLimitScope ?? 'tenant';

  async function rate(input: PolicyCheckInput, tier: TierPolicy, tokens: number, later: PolicyRefusal | undefined): Promise<PolicyDecision> {
    if (later !== undefined && limiter.release === undefined) return later;
    const limits = effectiveRateLimits(tier);
    if (Object.keys(limits).length === 0) return later ?? { decision: 'CONTINUE' };
    const decision = await limiter.acquire({ key: rateKey(input, scope), limits, tokens });
    if (!decision.allowed) {
      return {
        decision: 'RATE_LIMITED',
        rule: decision.rule,
        limit: decision.limit,
        observed: decision.observed,
        retryAfterMs: decision.retryAfterMs,
        message: `The ${tier.name} tier's ${decision.rule} limit of ${decision.limit} is reached; retry in ${decision.retryAfterMs} ms.`,
      };
    }
    if (later === undefined) return { decision: 'CONTINUE', permitId: decision.permitId };
    await limiter.release?.(decision.permitId);
    return later;
  }

  return {
    async check(input) {
      validate(input);
      const tier = await resolver.resolve(input.user === undefined ? { tenant: input.tenant } : { tenant: input.tenant, user: input.user });
      const depth = checkDepth(tier, input.depth);
      if (depth !== undefined) return depth;
      if (input.kind === 'tool') return checkAfterRate(tier, input) ?? { decision: 'CONTINUE' };
      const model = catalog.get(input.model ?? '');
      const inputTokens = input.inputTokens ?? 0;
      const context = checkContext(tier, model, inputTokens);
      if (context !== undefined) return context;
      const tokens = inputTokens + (input.maxOutputTokens ?? model.maxOutputTokens);
      const fit = checkTokensFit(tier, tokens);
      if (fit !== undefined) return fit;
      return rate(input, tier, tokens, checkAfterRate(tier, input));
    },
    async settle(permitId, actualTokens) {
      await limiter.settle(permitId, actualTokens);
    },
    async release(permitId) {
      if (limiter.release !== undefined) await limiter.release(permitId);
      else await limiter.settle(permitId, 0);
    },
  };
}
