import { ValidationError } from '@runtime/contracts';

/** Throws a `VALIDATION_FAILED` error in the shape `parseOrThrow` uses (`details.issues`). */
export function invalid(what: string, path: string, message: string, extra: Readonly<Record<string, unknown>> = {}): never {
  throw new ValidationError({
    code: 'VALIDATION_FAILED',
    message: `Invalid ${what}${path === '' ? '' : ` at ${path}`}: ${message}.`,
    details: { issues: [{ path, message }], ...extra },
  });
}

/** A positive safe integer (limits, windows). */
export function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

/** A non-negative safe integer (token counts, depths). */
export function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
