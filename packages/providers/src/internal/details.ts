import type { ErrorDetails } from '@runtime/contracts';

/** Drops `undefined` values so details stay JSON-safe and comparable. */
export function compactDetails(details: Record<string, unknown>): ErrorDetails {
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(details)) {
    if (value !== undefined) result[key] = value;
  }
  return result;
}
