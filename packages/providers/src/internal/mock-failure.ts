import type { Clock, RuntimeError } from '@runtime/contracts';
import { classifyError, httpFailureToError } from '../classify-error.js';
import type { MockFailure } from '../mock-llm-client.js';
import { parseRetryAfter } from '../retry-after.js';

/** The error a scripted failure produces: exactly what the HTTP adapters would throw. */
export function mockFailureError(
  step: Exclude<MockFailure, { fail: 'hang' } | { fail: 'incomplete' }>,
  context: { readonly provider: string; readonly model: string; readonly clock: Clock },
): RuntimeError {
  const { provider, model } = context;
  if (step.fail === 'reset') {
    return classifyError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), { provider, model });
  }
  const headers: Record<string, string> = {};
  if (step.retryAfter !== undefined) headers['retry-after'] = step.retryAfter;
  if (step.retryAfterMs !== undefined) headers['retry-after-ms'] = String(step.retryAfterMs);
  const retryAfterMs = parseRetryAfter(headers, context.clock);
  return httpFailureToError(
    {
      status: step.status,
      message: step.message ?? `mock failure ${step.status}`,
      ...(step.code === undefined ? {} : { providerCode: step.code }),
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    },
    { provider, model },
  );
}
