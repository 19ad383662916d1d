/**
 * Maps what a LangChain model throws to the runtime's typed errors.
 *
 * @remarks
 * LangChain integrations surface the provider SDK's error: an HTTP status on `status` (OpenAI,
 * Anthropic SDKs) or `response.status`, headers on `headers`. Transient: 408, 409, 425, 429, 5xx
 * and errors without a status (network failures, unknown errors — marked `unclassified`, retried a
 * bounded number of times rather than silently losing a run). Terminal: every other 4xx. A caller's
 * abort is `RUN_ABORTED` whatever was thrown. Runtime errors pass through unchanged.
 */
import { ExecutionError, ProviderError, RuntimeError } from '@runtime/contracts';

const TRANSIENT_STATUS: ReadonlySet<number> = new Set([408, 409, 425, 429]);

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

function statusOf(error: unknown): number | undefined {
  const direct = field(error, 'status');
  if (typeof direct === 'number') return direct;
  const response = field(field(error, 'response'), 'status');
  return typeof response === 'number' ? response : undefined;
}

function header(error: unknown, name: string): string | undefined {
  const headers = field(error, 'headers') ?? field(field(error, 'response'), 'headers');
  if (headers === undefined || headers === null) return undefined;
  if (typeof (headers as { get?: unknown }).get === 'function') {
    const value = (headers as { get(key: string): unknown }).get(name);
    return typeof value === 'string' ? value : undefined;
  }
  const value = field(headers, name);
  return typeof value === 'string' ? value : undefined;
}

/** `retry-after-ms`, else `retry-after` in seconds or as an HTTP date. */
function retryAfterMs(error: unknown, now: number): number | undefined {
  const milliseconds = Number(header(error, 'retry-after-ms'));
  if (Number.isFinite(milliseconds) && milliseconds >= 0 && header(error, 'retry-after-ms') !== undefined) return milliseconds;
  const text = header(error, 'retry-after');
  if (text === undefined) return undefined;
  const seconds = Number(text);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** A runtime error for anything a LangChain model call threw. */
export function toRuntimeError(error: unknown, context: { provider: string; model: string; signal?: AbortSignal | undefined }): RuntimeError {
  if (context.signal?.aborted === true) {
    return new ExecutionError({ code: 'RUN_ABORTED', message: `The call to ${context.model} was aborted.`, details: { provider: context.provider, model: context.model }, cause: error });
  }
  if (RuntimeError.isInstance(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  const status = statusOf(error);
  if (status === undefined) {
    return new ProviderError({
      code: 'PROVIDER_ERROR',
      message: `Unclassified failure of ${context.model}: ${message === '' ? 'unknown error' : message}`,
      details: { provider: context.provider, model: context.model, kind: 'transient', unclassified: true },
      cause: error,
      isRetryable: true,
    });
  }
  const transient = TRANSIENT_STATUS.has(status) || status >= 500;
  const wait = retryAfterMs(error, Date.now());
  return new ProviderError({
    code: 'PROVIDER_ERROR',
    message: `${context.model} answered HTTP ${status}: ${message}`,
    details: { provider: context.provider, model: context.model, status, kind: transient ? 'transient' : 'terminal', ...(wait === undefined ? {} : { retryAfterMs: wait }) },
    cause: error,
    isRetryable: transient,
  });
}
