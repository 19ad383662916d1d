import {
  AuthError,
  BudgetError,
  ContextError,
  DagError,
  ERROR_CODES,
  ExecutionError,
  InternalError,
  ModelError,
  PolicyError,
  ProviderError,
  RunStateError,
  RuntimeError,
  ToolError,
  ValidationError,
  errorFromInfo,
  type ErrorCode,
} from './index.js';
import { describe, expect, it } from 'vitest';

const FAMILY_CHECKS = [AuthError, BudgetError, ContextError, DagError, ExecutionError, InternalError, ModelError, PolicyError, ProviderError, RunStateError, ToolError, ValidationError];

describe('errorFromInfo', () => {
  it('rebuilds every code as the class whose family claims it, with the same JSON form', () => {
    for (const code of ERROR_CODES) {
      const info = { code, message: `failed with ${code}`, details: { runId: 'r', nested: { n: 1 } } };
      const error = errorFromInfo(info);
      expect(RuntimeError.isInstance(error)).toBe(true);
      expect(error.toJSON()).toEqual(info);
      const families = FAMILY_CHECKS.filter((family) => family.isInstance(error));
      expect(families).toHaveLength(1);
      expect(error).toBeInstanceOf(families[0] as unknown as new (...args: never[]) => unknown);
      expect(error.name).toBe((families[0] as { name: string }).name);
    }
  });

  it('keeps the retry default of the code (QUEUE_FULL retryable, RUN_OWNED not)', () => {
    expect(errorFromInfo({ code: 'QUEUE_FULL', message: 'full', details: {} }).isRetryable).toBe(true);
    expect(errorFromInfo({ code: 'RUN_OWNED', message: 'owned', details: {} }).isRetryable).toBe(false);
  });

  it('turns a code this version does not know into INTERNAL, keeping it in details', () => {
    const error = errorFromInfo({ code: 'FROM_THE_FUTURE' as ErrorCode, message: 'new', details: { a: 1 } });
    expect(error).toBeInstanceOf(InternalError);
    expect(error.toJSON()).toEqual({ code: 'INTERNAL', message: 'new', details: { a: 1, originalCode: 'FROM_THE_FUTURE' } });
  });
});
