/** Typed errors of the agent package, with their stable codes and details. */
import { ExecutionError, PolicyError, ToolError, ValidationError } from '@runtime/contracts';
import type { ErrorDetails, ToolErrorCode } from '@runtime/contracts';

/** A `{ path, message }` issue, as `details.issues` carries them. */
export interface Issue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

export function invalid(message: string, details: ErrorDetails): ValidationError {
  return new ValidationError({ code: 'VALIDATION_FAILED', message, details });
}

export function toolError(code: ToolErrorCode, tool: string, message: string, details: ErrorDetails = {}, cause?: unknown): ToolError {
  return new ToolError({ code, message, details: { tool, ...details }, ...(cause === undefined ? {} : { cause }) });
}

export function policyViolation(rule: 'depth' | 'toolCalls' | 'toolAllowlist', limit: number | string, observed: number | string, message: string, details: ErrorDetails = {}): PolicyError {
  return new PolicyError({ code: 'POLICY_VIOLATION', message, details: { rule, limit, observed, ...details } });
}

export function aborted(reason: unknown): ExecutionError {
  return new ExecutionError({ code: 'RUN_ABORTED', message: 'The agent loop was aborted.', details: { reason: describe(reason) }, cause: reason });
}

/** A short text for an unknown thrown value. */
export function describe(value: unknown): string {
  if (value instanceof Error) return value.message;
  return typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
}
