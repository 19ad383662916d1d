import { BudgetError, PolicyError, RunStateError } from '@runtime/contracts';
import { describe, expect, it } from 'vitest';
import { toErrorResponse } from './error-response.js';

describe('toErrorResponse', () => {
  it('uses the code table of the contracts', () => {
    const notFound = toErrorResponse(new RunStateError({ code: 'RUN_NOT_FOUND', message: 'Run x not found.', details: { runId: 'x' } }));
    expect(notFound).toEqual({ status: 404, body: { error: { code: 'RUN_NOT_FOUND', message: 'Run x not found.', details: { runId: 'x' } } }, headers: {} });
    expect(toErrorResponse(new BudgetError({ code: 'BUDGET_EXCEEDED', message: 'over' })).status).toBe(402);
  });

  it('adds Retry-After in whole seconds to 429s', () => {
    const limited = toErrorResponse(new PolicyError({ code: 'RATE_LIMITED', message: 'slow down', details: { retryAfterMs: 1500 } }));
    expect(limited.status).toBe(429);
    expect(limited.headers).toEqual({ 'retry-after': '2' });
  });

  it('maps parser errors and hides internals of unknown errors', () => {
    expect(toErrorResponse({ code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }).body.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(toErrorResponse({ code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 }).status).toBe(415);
    expect(toErrorResponse(new SyntaxError('Unexpected token')).status).toBe(400);
    const internal = toErrorResponse(new Error('db password is hunter2'));
    expect(internal.status).toBe(500);
    expect(JSON.stringify(internal.body)).not.toContain('hunter2');
  });
});
