import type { RateLimitRequest, RateLimitRule } from '@runtime/contracts';
import type { RateLimitWindows } from '../rate-limit-windows.js';
import { invalid, isCount, isPositiveInteger } from './validate.js';

/** Resolved window lengths. */
export type ResolvedWindows = Readonly<Record<RateLimitRule, number>>;

/** The rules in the order they are checked. */
export const RULES: readonly RateLimitRule[] = ['rpm', 'rph', 'tpm'];

/** Validates and defaults the window lengths. */
export function resolveWindows(windows: RateLimitWindows | undefined): ResolvedWindows {
  const resolved = { rpm: windows?.rpm ?? 60_000, rph: windows?.rph ?? 3_600_000, tpm: windows?.tpm ?? 60_000 };
  for (const rule of RULES) {
    if (!isPositiveInteger(resolved[rule])) invalid('rate limiter options', `windows.${rule}`, 'must be a positive integer of milliseconds');
  }
  return resolved;
}

/** Validates an acquire request; returns its token count. */
export function validateRequest(request: RateLimitRequest): number {
  if (typeof request.key !== 'string' || request.key === '') invalid('rate limit request', 'key', 'must be a non-empty string');
  const tokens = request.tokens ?? 0;
  if (!isCount(tokens)) invalid('rate limit request', 'tokens', 'must be a non-negative integer');
  const { limits } = request;
  // Unrolled (hot path); a bad limit is reported by name.
  if (limits.rpm !== undefined && !isPositiveInteger(limits.rpm)) invalid('rate limit request', 'limits.rpm', 'must be a positive integer');
  if (limits.rph !== undefined && !isPositiveInteger(limits.rph)) invalid('rate limit request', 'limits.rph', 'must be a positive integer');
  if (limits.tpm !== undefined && !isPositiveInteger(limits.tpm)) invalid('rate limit request', 'limits.tpm', 'must be a positive integer');
  if (limits.tpm !== undefined && tokens > limits.tpm) {
    invalid('rate limit request', 'tokens', `${tokens} tokens can never fit a tpm limit of ${limits.tpm}`, {
      rule: 'tpm',
      limit: limits.tpm,
      requested: tokens,
    });
  }
  return tokens;
}

/** Validates settle's token count. */
export function validateActualTokens(actualTokens: number): void {
  if (!isCount(actualTokens)) invalid('settle', 'actualTokens', 'must be a non-negative integer');
}
