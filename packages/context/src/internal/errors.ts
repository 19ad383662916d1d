/**
 * Typed errors shared by the components of this package.
 */
import { ContextError, ValidationError, type ErrorDetails } from '@runtime/contracts';

/** One problem found by validation, in the `details.issues` shape of contracts' `parseOrThrow`. */
export interface Issue {
  readonly path: string;
  readonly message: string;
}

/** A `VALIDATION_FAILED` error whose message names the first problem and lists all in details. */
export function validationFailed(what: string, issues: readonly Issue[], extra: ErrorDetails = {}): ValidationError {
  const first = issues[0];
  const where = first === undefined || first.path === '' ? '' : ` at ${first.path}`;
  return new ValidationError({
    code: 'VALIDATION_FAILED',
    message: `Invalid ${what}${where}: ${first?.message ?? 'does not match its schema'}.`,
    details: { ...extra, issues },
  });
}

/** A `CONTEXT_TOO_LARGE` error with the minimum achievable size. */
export function contextTooLarge(message: string, details: { maxTokens: number; tokens: number; minimumTokens: number } & ErrorDetails): ContextError {
  return new ContextError({ code: 'CONTEXT_TOO_LARGE', message, details });
}

/** Whether a value is an integer at least `minimum`. */
export function isIntegerAtLeast(value: unknown, minimum: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= minimum;
}

/** A short description of an unexpected value for error messages. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  return Array.isArray(value) ? 'an array' : typeof value;
}
