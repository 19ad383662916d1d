/**
 * Tiers without rate limits (a sidecar with auth off, a trusted internal tenant).
 *
 * @remarks
 * A tier's `rpm`, `rph` and `tpm` are required numbers; {@link UNLIMITED_RATE} in one of them means
 * "no limit": the enforcer leaves that rule out of the limiter request, and asks the limiter
 * nothing at all when all three are unlimited (no sliding log grows for a tenant nobody limits).
 * Overrides of such a tier keep working field by field: `{ rpm: 60 }` limits requests per minute
 * only.
 */
import type { RateLimits, TierPolicy } from '@runtime/contracts';

/**
 * The value of `rpm`, `rph` or `tpm` that means "no limit" (the largest safe integer).
 * @public
 */
export const UNLIMITED_RATE = Number.MAX_SAFE_INTEGER;

/**
 * `base` renamed to `name` with `rpm`, `rph` and `tpm` unlimited; every other field is kept.
 * @public
 */
export function unlimitedTier(name: string, base: TierPolicy): TierPolicy {
  return Object.freeze({ ...base, name, rpm: UNLIMITED_RATE, rph: UNLIMITED_RATE, tpm: UNLIMITED_RATE });
}

/**
 * The rate rules of `tier` that limit anything (unlimited ones left out).
 * @public
 */
export function effectiveRateLimits(tier: Pick<TierPolicy, 'rpm' | 'rph' | 'tpm'>): RateLimits {
  const limits: { rpm?: number; rph?: number; tpm?: number } = {};
  if (tier.rpm < UNLIMITED_RATE) limits.rpm = tier.rpm;
  if (tier.rph < UNLIMITED_RATE) limits.rph = tier.rph;
  if (tier.tpm < UNLIMITED_RATE) limits.tpm = tier.tpm;
  return limits;
}

/**
 * Whether none of `tier`'s rate rules limits anything.
 * @public
 */
export function isRateUnlimited(tier: Pick<TierPolicy, 'rpm' | 'rph' | 'tpm'>): boolean {
  return Object.keys(effectiveRateLimits(tier)).length === 0;
}
