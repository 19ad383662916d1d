import { describe, expect, it } from 'vitest';
import type * as ErrorsModule from './errors.js';
import {
  AuthError,
  BudgetError,
  ContextError,
  DagError,
  ERROR_CODES,
  ExecutionError,
  HTTP_ERROR_STATUS,
  InternalError,
  ModelError,
  PolicyError,
  ProviderError,
  RunStateError,
  RuntimeError,
  toErrorInfo,
  ToolError,
  ValidationError,
  type ErrorCode,
} from './errors.js';

/** Every code of ../shared/HTTP-API.md "Error codes (status)", with its status. */
const HTTP_API_CODES: Record<string, number | undefined> = {
  VALIDATION_FAILED: 400,
  DAG_CYCLE: 422,
  UNKNOWN_DEPENDENCY: 422,
  DUPLICATE_TASK_ID: 422,
  UNKNOWN_MODEL: 422,
  CONTEXT_TOO_LARGE: 422,
  BUDGET_EXCEEDED: 402,
  RATE_LIMITED: 429,
  POLICY_VIOLATION: 403,
  UNAUTHENTICATED: 401,
  RUN_NOT_FOUND: 404,
  RUN_NOT_RUNNING: 409,
  IDEMPOTENCY_CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  PROVIDER_ERROR: undefined,
  CIRCUIT_OPEN: undefined,
  TASK_TIMEOUT: undefined,
  RUN_ABORTED: undefined,
};

const FAMILIES = [
  ValidationError,
  DagError,
  ModelError,
  ContextError,
  BudgetError,
  PolicyError,
  AuthError,
  RunStateError,
  ProviderError,
  ExecutionError,
  ToolError,
  InternalError,
] as const;

describe('error codes', () => {
  it('cover every code of HTTP-API.md with its status', () => {
    for (const [code, status] of Object.entries(HTTP_API_CODES)) {
      expect(ERROR_CODES).toContain(code);
      if (status !== undefined) expect(HTTP_ERROR_STATUS[code as ErrorCode]).toBe(status);
    }
  });

  it('belong to exactly one family each', () => {
    for (const code of ERROR_CODES) {
      const error = new RuntimeError({ code, message: 'x' });
      const owners = FAMILIES.filter((family) => family.isInstance(error));
      expect(owners, code).toHaveLength(1);
    }
  });
});

describe('RuntimeError', () => {
  it('carries code, details, cause, retryability and a JSON form', () => {
    const cause = new Error('socket hang up');
    const error = new BudgetError({
      code: 'BUDGET_EXCEEDED',
      message: 'Run budget exceeded.',
      details: { scope: 'run:r1', limitUsd: 1, spentUsd: 0.9, reservedUsd: 0, requestedUsd: 0.2 },
      cause,
    });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('BudgetError');
    expect(error.cause).toBe(cause);
    expect(error.isRetryable).toBe(false);
    expect(error.toJSON()).toEqual({
      code: 'BUDGET_EXCEEDED',
      message: 'Run budget exceeded.',
      details: { scope: 'run:r1', limitUsd: 1, spentUsd: 0.9, reservedUsd: 0, requestedUsd: 0.2 },
    });
    expect(JSON.parse(JSON.stringify(error))).toEqual(error.toJSON());
  });

  it('defaults retryability by code and lets callers override it', () => {
    expect(new PolicyError({ code: 'RATE_LIMITED', message: 'x' }).isRetryable).toBe(true);
    expect(new ProviderError({ code: 'CIRCUIT_OPEN', message: 'x' }).isRetryable).toBe(true);
    expect(new ProviderError({ code: 'PROVIDER_ERROR', message: 'x' }).isRetryable).toBe(false);
    expect(new ProviderError({ code: 'PROVIDER_ERROR', message: 'x', isRetryable: true }).isRetryable).toBe(true);
  });

  it('recognizes instances from another copy of the module (cross-realm)', async () => {
    // A second module instance (as with two installed copies of the package).
    const specifier = './errors.js?copy';
    const copy = (await import(/* @vite-ignore */ specifier)) as typeof ErrorsModule;
    expect(copy.RuntimeError).not.toBe(RuntimeError);
    const foreign = new copy.DagError({ code: 'DAG_CYCLE', message: 'cycle', details: { cycle: ['a', 'b', 'a'] } });
    expect(foreign instanceof RuntimeError).toBe(false);
    expect(RuntimeError.isInstance(foreign)).toBe(true);
    expect(DagError.isInstance(foreign)).toBe(true);
    expect(BudgetError.isInstance(foreign)).toBe(false);
  });

  it('rejects look-alikes without the marker', () => {
    expect(RuntimeError.isInstance({ code: 'DAG_CYCLE', message: 'x' })).toBe(false);
    expect(RuntimeError.isInstance(new Error('x'))).toBe(false);
    expect(RuntimeError.isInstance(null)).toBe(false);
    expect(RuntimeError.isInstance('DAG_CYCLE')).toBe(false);
  });

  it('converts anything thrown to ErrorInfo', () => {
    expect(toErrorInfo(new ModelError({ code: 'UNKNOWN_MODEL', message: 'no', details: { model: 'x' } }))).toEqual({
      code: 'UNKNOWN_MODEL',
      message: 'no',
      details: { model: 'x' },
    });
    expect(toErrorInfo(new Error('boom'))).toEqual({ code: 'INTERNAL', message: 'boom', details: {} });
    expect(toErrorInfo('weird')).toEqual({ code: 'INTERNAL', message: 'weird', details: {} });
    expect(toErrorInfo(new Error(''))).toEqual({ code: 'INTERNAL', message: 'Unexpected error.', details: {} });
  });
});
