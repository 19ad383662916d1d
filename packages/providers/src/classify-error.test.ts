import { ContextError, ExecutionError, ProviderError, ValidationError } from '@runtime/contracts';
import { describe, expect, it } from 'vitest';
import { classifyError, httpFailureToError } from './classify-error.js';

const context = { provider: 'openai', model: 'gpt-4o-mini' };

describe('classifyError', () => {
  it.each([408, 409, 425, 429, 500, 502, 503, 504, 529])('status %i is transient', (status) => {
    const error = httpFailureToError({ status, message: 'x' }, context);
    expect(error).toMatchObject({ code: 'PROVIDER_ERROR', isRetryable: true, details: { status, kind: 'transient' } });
  });

  it.each([400, 401, 403, 404, 422])('status %i is terminal', (status) => {
    const error = httpFailureToError({ status, message: 'x' }, context);
    expect(error).toMatchObject({ code: 'PROVIDER_ERROR', isRetryable: false, details: { status, kind: 'terminal', provider: 'openai', model: 'gpt-4o-mini' } });
  });

  it('keeps the retry-after delay in details', () => {
    expect(httpFailureToError({ status: 429, retryAfterMs: 1200 }, context).details.retryAfterMs).toBe(1200);
  });

  it.each([
    [{ status: 400, providerCode: 'context_length_exceeded', message: 'too long' }],
    [{ status: 400, message: "This model's maximum context length is 128000 tokens" }],
    [{ status: 400, message: 'prompt is too long: 201000 tokens > 200000 maximum' }],
    [{ status: 413, message: 'request_too_large' }],
  ])('context-length rejections become CONTEXT_TOO_LARGE (%o)', (failure) => {
    const error = httpFailureToError(failure, context);
    expect(ContextError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'CONTEXT_TOO_LARGE', isRetryable: false });
  });

  it('content-policy refusals are terminal with a reason', () => {
    const error = httpFailureToError({ status: 400, providerCode: 'content_policy_violation', message: 'flagged' }, context);
    expect(error).toMatchObject({ code: 'PROVIDER_ERROR', isRetryable: false, details: { reason: 'content_policy' } });
  });

  it('a 429 mentioning tokens is a rate limit, not a context error', () => {
    expect(httpFailureToError({ status: 429, message: 'too many tokens per minute' }, context).code).toBe('PROVIDER_ERROR');
  });

  it.each(['ECONNRESET', 'ETIMEDOUT', 'ECONNREFUSED', 'UND_ERR_SOCKET'])('socket failure %s (as undici wraps it) is transient', (code) => {
    const thrown = new TypeError('fetch failed', { cause: Object.assign(new Error('socket'), { code }) });
    expect(classifyError(thrown, context)).toMatchObject({ code: 'PROVIDER_ERROR', isRetryable: true, details: { networkCode: code } });
  });

  it('"socket hang up" is transient', () => {
    expect(classifyError(new Error('socket hang up'), context).isRetryable).toBe(true);
  });

  it('DECISION: an unknown error (plain Error) is transient, marked unclassified, and keeps its cause', () => {
    const thrown = new Error('something odd');
    const error = classifyError(thrown, context);
    expect(ProviderError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'PROVIDER_ERROR', isRetryable: true, details: { kind: 'transient', unclassified: true } });
    expect(error.cause).toBe(thrown);
    expect(classifyError('a thrown string').isRetryable).toBe(true);
  });

  it('passes a RuntimeError through unchanged', () => {
    const original = new ValidationError({ code: 'VALIDATION_FAILED', message: 'bad' });
    expect(classifyError(original)).toBe(original);
  });

  it("the caller's aborted signal wins over whatever was thrown", () => {
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    const error = classifyError(new Error('fetch failed'), { ...context, signal: controller.signal });
    expect(ExecutionError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'RUN_ABORTED', details: { reason: 'stop' } });
  });

  it('TimeoutError becomes PROVIDER_TIMEOUT; AbortError becomes RUN_ABORTED', () => {
    expect(classifyError(new DOMException('t', 'TimeoutError'), context)).toMatchObject({ code: 'PROVIDER_TIMEOUT', isRetryable: true });
    expect(classifyError(new DOMException('a', 'AbortError'), context)).toMatchObject({ code: 'RUN_ABORTED', isRetryable: false });
  });

  it('classifies SDK-style errors by status and reads their headers for Retry-After', () => {
    const sdkError = Object.assign(new Error('Rate limit'), { status: 429, headers: { 'retry-after': '2' } });
    const error = classifyError(sdkError, context);
    expect(error).toMatchObject({ code: 'PROVIDER_ERROR', isRetryable: true, details: { status: 429, retryAfterMs: 2000 } });
    expect(error.cause).toBe(sdkError);
    const tooLong = Object.assign(new Error('maximum context length exceeded'), { status: 400, code: 'context_length_exceeded' });
    expect(classifyError(tooLong, context).code).toBe('CONTEXT_TOO_LARGE');
  });
});
