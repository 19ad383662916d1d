import {
  ContextError,
  ExecutionError,
  ProviderError,
  RuntimeError,
  type ErrorDetails,
  type Usage,
} from '@runtime/contracts';
import { compactDetails } from './details.js';

/**
 * A stream that ended before its terminal event. Retryable while nothing reached the caller;
 * after output, terminal (a retry would repeat what the caller already has). Either way
 * `details.usage` is what the provider may bill for it (estimated where it did not say).
 */
export function incompleteStream(
  context: { readonly provider: string; readonly model: string },
  delivered: boolean,
  usage: Usage,
  what: string,
  cause?: unknown,
): ProviderError {
  return new ProviderError({
    code: 'PROVIDER_ERROR',
    message: `${context.provider} ended the stream ${what}${delivered ? ', after output had been delivered' : ''}.`,
    details: compactDetails({
      provider: context.provider,
      model: context.model,
      kind: delivered ? 'terminal' : 'transient',
      reason: 'incomplete_stream',
      delivered,
      usage: { ...usage },
    }),
    isRetryable: !delivered,
    cause,
  });
}

/** The same error with more details (same class, code, message, retryability and cause). */
function withDetails(error: RuntimeError, extra: ErrorDetails): RuntimeError {
  const options = {
    message: error.message,
    details: { ...error.details, ...extra },
    isRetryable: error.isRetryable,
    cause: error.cause,
  };
  if (ProviderError.isInstance(error)) return new ProviderError({ ...options, code: error.code });
  if (ContextError.isInstance(error)) return new ContextError({ ...options, code: error.code });
  if (ExecutionError.isInstance(error)) return new ExecutionError({ ...options, code: error.code });
  return new RuntimeError({ ...options, code: error.code });
}

/**
 * An error thrown while a stream was being read, once the provider had answered: a transport
 * failure after output becomes `incomplete_stream` (terminal); every other error keeps its code
 * and gets `details.delivered: true` and `details.usage` when output had been delivered.
 */
export function streamFailure(
  error: RuntimeError,
  context: { readonly provider: string; readonly model: string },
  delivered: boolean,
  usage: () => Usage,
): RuntimeError {
  if (!delivered) return error;
  if (isTransportFailure(error)) return incompleteStream(context, true, usage(), `with a failure (${error.message})`, error);
  return withDetails(error, { delivered: true, usage: { ...usage() } });
}

/** A broken or garbled connection (reset, socket closed, bad bytes), as opposed to an answer. */
export function isTransportFailure(error: RuntimeError): boolean {
  return error.code === 'PROVIDER_ERROR' && error.isRetryable && error.details.status === undefined;
}
