import { PolicyError } from '@runtime/contracts';
import { describe, expect, it } from 'vitest';
import { isPolicyRefusal, toPolicyError } from './policy-error.js';

describe('toPolicyError', () => {
  it('turns a violation into a non-retryable POLICY_VIOLATION with rule, limit and observed', () => {
    const error = toPolicyError({ decision: 'POLICY_VIOLATION', rule: 'depth', limit: 5, observed: 6, message: 'Too deep.' });
    expect(PolicyError.isInstance(error)).toBe(true);
    expect(error.toJSON()).toEqual({ code: 'POLICY_VIOLATION', message: 'Too deep.', details: { rule: 'depth', limit: 5, observed: 6 } });
    expect(error.isRetryable).toBe(false);
  });

  it('turns a rate limit into a retryable RATE_LIMITED carrying retryAfterMs', () => {
    const error = toPolicyError({ decision: 'RATE_LIMITED', rule: 'rpm', limit: 10, observed: 10, retryAfterMs: 1_200, message: 'Slow down.' });
    expect(error.code).toBe('RATE_LIMITED');
    expect(error.details).toEqual({ rule: 'rpm', limit: 10, observed: 10, retryAfterMs: 1_200 });
    expect(error.isRetryable).toBe(true);
  });

  it('tells refusals from CONTINUE', () => {
    expect(isPolicyRefusal({ decision: 'CONTINUE' })).toBe(false);
    expect(isPolicyRefusal({ decision: 'RATE_LIMITED', rule: 'tpm', limit: 1, observed: 1, retryAfterMs: 1, message: 'x' })).toBe(true);
  });
});
