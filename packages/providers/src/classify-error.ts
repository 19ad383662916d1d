/**
 * Maps anything a provider call can throw to the typed errors of the contracts.
 *
 * @remarks
 * Transient (retried by the resilient client): 429, 408, 409 (documented lock timeouts), 425, 5xx
 * (including Anthropic's 529), connection resets and other socket failures, our own timeout.
 * Terminal: every other 4xx, content-policy refusals, and context-length rejections (which become
 * {@link @runtime/contracts#ContextError} `CONTEXT_TOO_LARGE`).
 *
 * Unknown errors (a plain `Error`, a `TypeError` from a custom client, a thrown string) are
 * classified **transient** on purpose: a wrong "transient" guess costs a bounded number of retries
 * (attempt limit and per-run retry budget) and keeps the original error as `cause`, while a wrong
 * "terminal" guess silently loses a run to a blip. They are marked `details.unclassified: true`.
 * This module does not retry anything itself.
 */
import {
  ContextError,
  ExecutionError,
  ProviderError,
  RuntimeError,
  systemClock,
  type Clock,
} from '@runtime/contracts';
import { compactDetails } from './internal/details.js';
import { parseRetryAfter, type HeaderSource } from './retry-after.js';

/**
 * Whether repeating a failed call may succeed.
 * @public
 */
export type ErrorKind = 'transient' | 'terminal';

/**
 * What {@link classifyError} knows about the failed call.
 * @public
 */
export interface ClassifyErrorContext {
  /** Provider name, copied to `details.provider`. */
  readonly provider?: string;
  /** Provider model, copied to `details.model`. */
  readonly model?: string;
  /** The caller's signal: when it has aborted, the result is `RUN_ABORTED` whatever was thrown. */
  readonly signal?: AbortSignal;
  /** For `retry-after` HTTP dates. @defaultValue `systemClock` */
  readonly clock?: Clock;
}

/**
 * An HTTP failure as the adapters see it.
 * @public
 */
export interface HttpFailure {
  /** HTTP status. */
  readonly status: number;
  /** The provider's error message. */
  readonly message?: string;
  /** The provider's error code or type (`context_length_exceeded`, `overloaded_error`, …). */
  readonly providerCode?: string;
  /** The wait the provider asked for. */
  readonly retryAfterMs?: number;
  /** The provider's request id. */
  readonly requestId?: string;
}

const TRANSIENT_NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

const CONTEXT_LENGTH_PATTERN =
  /context[ _-]?length|context window|maximum context|prompt is too long|too many (input )?tokens|input is too long/i;
const CONTENT_POLICY_PATTERN = /content[ _-]?(management )?policy|content[ _-]?filter|safety system/i;

/** Whether an HTTP status is worth retrying. */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 425 || status === 429 || status >= 500;
}

/**
 * The typed error for an HTTP failure of a provider.
 * @public
 */
export function httpFailureToError(failure: HttpFailure, context: ClassifyErrorContext = {}): RuntimeError {
  const message = failure.message ?? `HTTP ${failure.status}`;
  const code = failure.providerCode ?? '';
  const base = {
    status: failure.status,
    provider: context.provider,
    model: context.model,
    providerCode: failure.providerCode,
    requestId: failure.requestId,
  };
  const isClientError = failure.status >= 400 && failure.status < 500 && failure.status !== 429;
  if (
    failure.status === 413 ||
    (isClientError && (code === 'context_length_exceeded' || CONTEXT_LENGTH_PATTERN.test(message)))
  ) {
    return new ContextError({
      code: 'CONTEXT_TOO_LARGE',
      message: `The provider rejected the prompt's length: ${message}`,
      details: compactDetails({ ...base, kind: 'terminal' }),
    });
  }
  if (isClientError && (code === 'content_policy_violation' || CONTENT_POLICY_PATTERN.test(`${code} ${message}`))) {
    return new ProviderError({
      code: 'PROVIDER_ERROR',
      message: `The provider refused the content: ${message}`,
      details: compactDetails({ ...base, kind: 'terminal', reason: 'content_policy' }),
      isRetryable: false,
    });
  }
  const transient = isTransientStatus(failure.status);
  return new ProviderError({
    code: 'PROVIDER_ERROR',
    message: `${context.provider ?? 'provider'} answered ${failure.status}: ${message}`,
    details: compactDetails({
      ...base,
      kind: transient ? 'transient' : 'terminal',
      retryAfterMs: failure.retryAfterMs,
    }),
    isRetryable: transient,
  });
}

function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && TRANSIENT_NETWORK_CODES.has(code)) return code;
    const message = (current as { message?: unknown }).message;
    if (typeof message === 'string' && /socket hang up|other side closed/i.test(message)) return 'ECONNRESET';
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function abortReason(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason.message;
  return typeof reason === 'string' ? reason : 'aborted';
}

/**
 * `RUN_ABORTED` for a caller's abort.
 * @public
 */
export function abortedError(signal: AbortSignal | undefined, context: ClassifyErrorContext = {}): ExecutionError {
  return new ExecutionError({
    code: 'RUN_ABORTED',
    message: 'The call was aborted by its caller.',
    details: compactDetails({
      reason: signal === undefined ? 'aborted' : abortReason(signal),
      provider: context.provider,
      model: context.model,
    }),
    cause: signal?.reason,
  });
}

/**
 * Turns anything a provider call threw into a typed {@link @runtime/contracts#RuntimeError}.
 *
 * @remarks
 * Order: an aborted caller signal gives `RUN_ABORTED`; a `RuntimeError` passes through unchanged; a
 * `TimeoutError` gives `PROVIDER_TIMEOUT`; an object with a numeric `status` (SDK errors, our HTTP
 * failures) is classified by status, code and message (and its `headers` for Retry-After); socket
 * failures (`ECONNRESET`, `UND_ERR_SOCKET`, "socket hang up", …) are transient; anything else is
 * transient with `details.unclassified: true` (see the module remarks for why).
 *
 * @example
 * ```ts
 * const error = classifyError(thrown, { provider: 'openai', model: 'gpt-4o-mini' });
 * if (error.isRetryable) scheduleRetry(error.details.retryAfterMs);
 * ```
 * @public
 */
export function classifyError(error: unknown, context: ClassifyErrorContext = {}): RuntimeError {
  if (context.signal?.aborted === true) {
    return RuntimeError.isInstance(error) && error.code === 'RUN_ABORTED' ? error : abortedError(context.signal, context);
  }
  if (RuntimeError.isInstance(error)) return error;
  const name = typeof error === 'object' && error !== null ? (error as { name?: unknown }).name : undefined;
  if (name === 'TimeoutError') {
    return new ProviderError({
      code: 'PROVIDER_TIMEOUT',
      message: 'The provider did not answer in time.',
      details: compactDetails({ provider: context.provider, model: context.model, kind: 'transient' }),
      cause: error,
    });
  }
  if (name === 'AbortError') return abortedError(undefined, context);
  if (typeof error === 'object' && error !== null && typeof (error as { status?: unknown }).status === 'number') {
    const http = error as { status: number; message?: unknown; code?: unknown; type?: unknown; headers?: unknown };
    const headers = http.headers;
    const retryAfterMs =
      typeof headers === 'object' && headers !== null
        ? parseRetryAfter(headers as HeaderSource, context.clock ?? systemClock)
        : undefined;
    const providerCode = typeof http.code === 'string' ? http.code : typeof http.type === 'string' ? http.type : undefined;
    const classified = httpFailureToError(
      {
        status: http.status,
        ...(typeof http.message === 'string' ? { message: http.message } : {}),
        ...(providerCode === undefined ? {} : { providerCode }),
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      },
      context,
    );
    return withCause(classified, error);
  }
  const code = networkCode(error);
  const message = error instanceof Error ? error.message : String(error);
  if (code !== undefined) {
    return new ProviderError({
      code: 'PROVIDER_ERROR',
      message: `Connection to ${context.provider ?? 'the provider'} failed (${code}): ${message}`,
      details: compactDetails({ provider: context.provider, model: context.model, kind: 'transient', networkCode: code }),
      isRetryable: true,
      cause: error,
    });
  }
  return new ProviderError({
    code: 'PROVIDER_ERROR',
    message: `Unclassified provider failure: ${message === '' ? 'unknown error' : message}`,
    details: compactDetails({ provider: context.provider, model: context.model, kind: 'transient', unclassified: true }),
    isRetryable: true,
    cause: error,
  });
}

function withCause(error: RuntimeError, cause: unknown): RuntimeError {
  if (ContextError.isInstance(error)) {
    return new ContextError({ code: error.code, message: error.message, details: error.details, cause });
  }
  return new ProviderError({
    code: 'PROVIDER_ERROR',
    message: error.message,
    details: error.details,
    isRetryable: error.isRetryable,
    cause,
  });
}
