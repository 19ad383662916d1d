/**
 * Tier policies, rate limits and admission checks (`@runtime/policy`).
 *
 * @remarks
 * Built-in tiers with config overrides and a tenant → tier resolver; sliding-log rate limits for
 * requests and tokens (in memory here, Redis in `@runtime/policy/redis`); and the policy enforcer
 * that checks depth, context, rate, tool calls, allowlists and the run budget before each LLM or tool
 * call. It depends on `@runtime/contracts` only and receives the model catalog through its interface.
 *
 * @packageDocumentation
 */
export { DEFAULT_TIERS } from './default-tiers.js';
export { effectiveRateLimits, isRateUnlimited, UNLIMITED_RATE, unlimitedTier } from './unlimited-tier.js';
export { createRateLimiter, type MemoryRateLimiterOptions } from './memory-rate-limiter.js';
export { createPolicyEnforcer, type PolicyEnforcerOptions, type ReleasablePolicyEnforcer } from './policy-enforcer.js';
export { parseTierOverrides } from './parse-tier-overrides.js';
export { isPolicyRefusal, toPolicyError, type PolicyRefusal } from './policy-error.js';
export type { RateLimitWindows, ReleasableRateLimiter } from './rate-limit-windows.js';
export {
  createTierResolver,
  type TierFallbackEvent,
  type TierLookup,
  type TierResolver,
  type TierResolverOptions,
  type TierSubject,
} from './tier-resolver.js';

/**
 * The npm name of this package.
 *
 * @public
 */
export const PACKAGE_NAME = '@runtime/policy';
