import { ProviderError, type Clock, type LlmCallOptions, type LlmRequest, type RuntimeError } from '@runtime/contracts';
import { abortedError, classifyError, httpFailureToError } from '../classify-error.js';
import { parseRetryAfter } from '../retry-after.js';
import { compactDetails } from './details.js';

import type { FetchFunction } from '../fetch-function.js';

export interface HttpCallSettings {
  readonly provider: string;
  readonly model: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
  readonly signal: AbortSignal | undefined;
  readonly timeoutMs: number | undefined;
  readonly clock: Clock;
  readonly fetch: FetchFunction;
}

/** What stays the same for every call of one adapter. */
export interface HttpEndpoint {
  readonly provider: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The adapter's default deadline; a call's own `timeoutMs` wins. */
  readonly timeoutMs: number | undefined;
  readonly clock: Clock;
  readonly fetch: FetchFunction;
}

/** One call of an adapter: the request's model name, the caller's signal and deadline, the wire body. */
export function openHttpCall(endpoint: HttpEndpoint, request: LlmRequest, callOptions: LlmCallOptions | undefined, body: unknown): HttpCall {
  return new HttpCall({
    ...endpoint,
    model: request.providerModel ?? request.model,
    body,
    signal: callOptions?.signal,
    timeoutMs: callOptions?.timeoutMs ?? endpoint.timeoutMs,
  });
}

/**
 * One HTTP request with the caller's abort and a deadline folded into a single controller, so the
 * socket is closed on either, and every failure mapped to a typed error.
 */
export class HttpCall {
  readonly #settings: HttpCallSettings;
  readonly #controller = new AbortController();
  #timedOut = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #onAbort = (): void => {
    this.#controller.abort(this.#settings.signal?.reason);
  };

  constructor(settings: HttpCallSettings) {
    this.#settings = settings;
  }

  /** Sends the request; resolves with an OK response or throws a typed error. */
  async send(): Promise<Response> {
    const { signal, timeoutMs } = this.#settings;
    if (signal?.aborted === true) throw abortedError(signal, { provider: this.#settings.provider, model: this.#settings.model });
    signal?.addEventListener('abort', this.#onAbort, { once: true });
    if (timeoutMs !== undefined) {
      this.#timer = setTimeout(() => {
        this.#timedOut = true;
        this.#controller.abort(new Error('attempt timed out'));
      }, timeoutMs);
    }
    let response: Response;
    try {
      response = await this.#settings.fetch(this.#settings.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...this.#settings.headers },
        body: JSON.stringify(this.#settings.body),
        signal: this.#controller.signal,
      });
    } catch (error) {
      this.finish();
      throw this.mapError(error);
    }
    if (!response.ok) {
      let text = '';
      try {
        text = await response.text();
      } catch (error) {
        this.finish();
        throw this.mapError(error);
      }
      this.finish();
      throw this.#failure(response, text);
    }
    return response;
  }

  /** Sends the request and reads its JSON body; the call is finished either way. */
  async receiveJson<Payload>(): Promise<{ readonly response: Response; readonly payload: Payload }> {
    const response = await this.send();
    return { response, payload: await this.readJson<Payload>(response) };
  }

  /** Reads the JSON body of a sent request; the call is finished either way. */
  async readJson<Payload>(response: Response): Promise<Payload> {
    try {
      return (await response.json()) as Payload;
    } catch (error) {
      throw this.mapError(error);
    } finally {
      this.finish();
    }
  }

  /** Whether a response is a JSON document (a server that ignored `stream: true`). */
  isJson(response: Response): boolean {
    return /\bjson\b/i.test(response.headers.get('content-type') ?? '');
  }

  /** The provider's request id header. */
  requestId(response: Response): string | undefined {
    return response.headers.get('x-request-id') ?? response.headers.get('request-id') ?? undefined;
  }

  /** Maps an error thrown while sending or reading the body. */
  mapError(error: unknown): RuntimeError {
    const { signal, provider, model, timeoutMs } = this.#settings;
    if (signal?.aborted === true) return abortedError(signal, { provider, model });
    if (this.#timedOut) {
      return new ProviderError({
        code: 'PROVIDER_TIMEOUT',
        message: `${provider} did not answer within ${String(timeoutMs)} ms.`,
        details: compactDetails({ provider, model, timeoutMs, kind: 'transient' }),
        cause: error,
      });
    }
    return classifyError(error, { provider, model, clock: this.#settings.clock });
  }

  /** Clears the deadline and the abort listener; aborts the request if it is still open. */
  finish(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#settings.signal?.removeEventListener('abort', this.#onAbort);
  }

  /** Closes the connection (used when a stream consumer stops early). */
  cancel(): void {
    this.finish();
    if (!this.#controller.signal.aborted) this.#controller.abort(new Error('stream closed by its consumer'));
  }

  #failure(response: Response, text: string): RuntimeError {
    const { provider, model, clock } = this.#settings;
    let message: string | undefined;
    let providerCode: string | undefined;
    try {
      const parsed = JSON.parse(text) as { error?: { message?: unknown; code?: unknown; type?: unknown } | string };
      const error = parsed.error;
      if (typeof error === 'string') message = error;
      else if (error !== undefined) {
        if (typeof error.message === 'string') message = error.message;
        if (typeof error.code === 'string') providerCode = error.code;
        else if (typeof error.type === 'string') providerCode = error.type;
      }
    } catch {
      // Not JSON (a proxy's HTML page): the raw text, shortened, is the message.
      message = text.slice(0, 500) || undefined;
    }
    const retryAfterMs = parseRetryAfter(response.headers, clock);
    const requestId = this.requestId(response);
    return httpFailureToError(
      {
        status: response.status,
        ...(message === undefined ? {} : { message }),
        ...(providerCode === undefined ? {} : { providerCode }),
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
        ...(requestId === undefined ? {} : { requestId }),
      },
      { provider, model },
    );
  }
}
