import { systemClock, type Clock } from '@runtime/contracts';
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
