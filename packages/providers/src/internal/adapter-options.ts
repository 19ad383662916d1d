import { systemClock, ValidationError, type Clock, type LlmRequest } from '@runtime/contracts';
import type { FetchFunction } from '../fetch-function.js';

export function resolveFetch(fetchFunction: FetchFunction | undefined): FetchFunction {
  return fetchFunction ?? ((input, init) => fetch(input, init));
}

export function resolveClock(clock: Clock | undefined): Clock {
  return clock ?? systemClock;
}

export function trimTrailingSlash(url: string): string {
  return url.endsWith('/') ? url.slice(0, -1) : url;
}

/** A finite, non-negative integer token count from a provider field (anything else is 0). */
export function tokens(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

/**
 * The request's output cap, which every adapter sends: the budget reserved for exactly this many
 * completion tokens, so a request without it would make the reservation meaningless.
 */
export function outputCap(request: LlmRequest): number {
  const cap: unknown = request.maxOutputTokens;
  if (typeof cap === 'number' && Number.isSafeInteger(cap) && cap > 0) return cap;
  throw new ValidationError({
    code: 'VALIDATION_FAILED',
    message: `maxOutputTokens must be a positive integer (got ${String(cap)}): the output cap is always sent to the provider.`,
    details: { issues: [{ path: ['maxOutputTokens'], message: 'expected a positive integer' }] },
  });
}
