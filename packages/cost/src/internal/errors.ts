/**
 * Small constructors for the typed errors this package throws, so messages and details stay uniform.
 */
import { BudgetError, ModelError, ValidationError } from '@runtime/contracts';
import type { BudgetErrorCode, ErrorDetails } from '@runtime/contracts';

/** A `VALIDATION_FAILED` error naming the offending field. */
export function invalid(field: string, message: string, details: ErrorDetails = {}): ValidationError {
  return new ValidationError({
    code: 'VALIDATION_FAILED',
    message: `Invalid ${field}: ${message}.`,
    details: { field, issues: [{ path: field, message }], ...details },
  });
}

/** A {@link @runtime/contracts#BudgetError} with the given code. */
export function budgetError(code: BudgetErrorCode, message: string, details: ErrorDetails): BudgetError {
  return new BudgetError({ code, message, details });
}

/** `UNKNOWN_MODEL` with the model asked for and the known ids. */
export function unknownModel(model: string, known: readonly string[]): ModelError {
  return new ModelError({
    code: 'UNKNOWN_MODEL',
    message: `Unknown model ${JSON.stringify(model)}.`,
    details: { model, known: [...known] },
  });
}
