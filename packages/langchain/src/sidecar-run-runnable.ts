/**
 * `SidecarRunRunnable`: a LangChain runnable that submits a DAG to the agent-runtime sidecar
 * (`POST /v1/runs`) and streams the run's events (`GET /v1/runs/{id}/events`, Server-Sent Events).
 *
 * @remarks
 * `stream()` yields each {@link @runtime/contracts#RuntimeEvent} as the sidecar journals it and ends after the terminal
 * event (`run.completed`, `run.failed`, `run.aborted`); a connection cut before then is resumed
 * from the last event id (`Last-Event-ID`), so no event is lost or repeated. `invoke()` resolves
 * with the final {@link @runtime/contracts#Run} (with task outputs). Aborting the call's signal aborts the run on the
 * sidecar. `asTool()` of LangChain turns it into a tool an agent can call. Not responsible for
 * retrying a refused submission: HTTP errors become runtime errors with the sidecar's code.
 */
import type { RunnableConfig } from '@langchain/core/runnables';
import { Runnable } from '@langchain/core/runnables';
import {
  ERROR_CODES,
  ExecutionError,
  InternalError,
  errorFromInfo,
  TERMINAL_EVENT_TYPES,
  type ErrorCode,
  type Run,
  type RunSpec,
  type RuntimeEvent,
} from '@runtime/contracts';
import { readSse } from './internal/sse.js';

/**
 * Options of {@link SidecarRunRunnable}.
 * @public
 */
export interface SidecarRunRunnableOptions {
  /** The sidecar's base URL, e.g. `http://127.0.0.1:8787`. */
  readonly url: string;
  /** API key, sent as `Authorization: Bearer <key>`. @defaultValue none (auth off) */
  readonly apiKey?: string;
  /** The fetch to use. @defaultValue `globalThis.fetch` */
  readonly fetch?: typeof globalThis.fetch;
  /** Reconnections of the event stream in a row without a new event before giving up. @defaultValue 5 */
  readonly maxReconnects?: number;
}

/**
 * What {@link SidecarRunRunnable} streams: the run's events. `invoke` resolves with the run itself.
 * @public
 */
export type SidecarRunOutput = Run | RuntimeEvent;

const KNOWN_CODES: ReadonlySet<string> = new Set(ERROR_CODES);

/**
 * Runs a DAG on the sidecar from LangChain.
 *
 * @example
 * ```ts
 * const runner = new SidecarRunRunnable({ url: process.env.RUNTIME_URL ?? 'http://127.0.0.1:8787' });
 * for await (const event of await runner.stream({ tasks: [{ id: 'a', prompt: 'Hello' }] })) console.log(event.type);
 * const run = await runner.invoke({ tasks: [{ id: 'a', prompt: 'Hello' }] });
 * ```
 * @public
 */
export class SidecarRunRunnable extends Runnable<RunSpec, SidecarRunOutput> {
  /** LangChain serialization namespace. */
  lc_namespace = ['agent_runtime', 'sidecar'];
  readonly #options: SidecarRunRunnableOptions;
  readonly #fetch: typeof globalThis.fetch;

  /** Creates the runnable for one sidecar. */
  constructor(options: SidecarRunRunnableOptions) {
    super();
    this.#options = options;
    this.#fetch = options.fetch ?? globalThis.fetch;
  }

  /**
   * Submits the run, waits for its end and returns it with task outputs.
   * @throws {@link @runtime/contracts#RuntimeError} (as its code's family class, e.g. BudgetError) with the sidecar's code for a refused run
   * (`VALIDATION_FAILED`, `DAG_CYCLE`, `BUDGET_EXCEEDED` …); `RUN_ABORTED` when the signal aborts.
   */
  override async invoke(input: RunSpec, options?: Partial<RunnableConfig>): Promise<Run> {
    let runId: string | undefined;
    for await (const event of this.#events(input, options?.signal, (id) => (runId = id))) void event;
    if (runId === undefined) throw new InternalError({ code: 'INTERNAL', message: 'The sidecar accepted no run.', details: {} });
    return this.fetchRun(runId, options?.signal === undefined ? {} : { signal: options.signal });
  }

  /**
   * A run as the sidecar has it now, with task outputs (e.g. after streaming its events).
   * @throws {@link @runtime/contracts#RuntimeError} `RUN_NOT_FOUND` and the other codes of the HTTP API.
   */
  async fetchRun(runId: string, options?: { readonly signal?: AbortSignal }): Promise<Run> {
    return this.#request<Run>('GET', `/v1/runs/${encodeURIComponent(runId)}?include=outputs`, undefined, options?.signal);
  }

  /** Submits the run and yields its events until the terminal one. */
  override async *_streamIterator(input: RunSpec, options?: Partial<RunnableConfig>): AsyncGenerator<SidecarRunOutput> {
    yield* this.#events(input, options?.signal, () => undefined);
  }

  async *#events(input: RunSpec, signal: AbortSignal | undefined, onRun: (id: string) => void): AsyncGenerator<RuntimeEvent> {
    if (signal?.aborted === true) throw runAborted('POST /v1/runs', signal.reason);
    // The submission is not cut by the signal: a run the sidecar created while the caller aborted
    // would be left running with an id nobody read. It is aborted right after instead.
    const run = await this.#request<Run>('POST', '/v1/runs', input, undefined);
    onRun(run.id);
    const abortRun = (): void => {
      this.#request('POST', `/v1/runs/${encodeURIComponent(run.id)}/abort`, undefined, undefined).catch(() => undefined);
    };
    signal?.addEventListener('abort', abortRun, { once: true });
    try {
      if (isAborted(signal)) {
        abortRun();
        throw runAborted(`run ${run.id}`, signal?.reason);
      }
      let lastEventId: string | undefined;
      let quietReconnects = 0;
      const maxReconnects = this.#options.maxReconnects ?? 5;
      for (;;) {
        const response = await this.#send('GET', `/v1/runs/${encodeURIComponent(run.id)}/events`, undefined, signal, {
          accept: 'text/event-stream',
          ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }),
        });
        if (response.body === null) throw new InternalError({ code: 'INTERNAL', message: 'The sidecar sent an event stream without a body.', details: { runId: run.id } });
        let progressed = false;
        try {
          for await (const message of readSse(response.body)) {
            if (message.id !== undefined) lastEventId = message.id;
            const event = JSON.parse(message.data) as RuntimeEvent;
            progressed = true;
            yield event;
            if (TERMINAL_EVENT_TYPES.has(event.type)) return;
          }
        } catch (error) {
          // The signal cuts the event stream mid-read: the typed RUN_ABORTED, not the stream's AbortError.
          if (isAborted(signal)) throw runAborted(`the event stream of run ${run.id}`, error);
          throw error;
        }
        quietReconnects = progressed ? 0 : quietReconnects + 1;
        if (quietReconnects > maxReconnects) {
          throw new InternalError({
            code: 'INTERNAL',
            message: `The event stream of run ${run.id} ended ${quietReconnects} times in a row without a new event.`,
            details: { runId: run.id, lastEventId: lastEventId ?? null },
            isRetryable: true,
          });
        }
      }
    } finally {
      signal?.removeEventListener('abort', abortRun);
    }
  }

  async #request<T>(method: string, path: string, body: unknown, signal: AbortSignal | undefined): Promise<T> {
    const response = await this.#send(method, path, body, signal, { accept: 'application/json' });
    return (await response.json()) as T;
  }

  async #send(method: string, path: string, body: unknown, signal: AbortSignal | undefined, headers: Record<string, string>): Promise<Response> {
    const url = new URL(path, this.#options.url).toString();
    let response: Response;
    try {
      response = await this.#fetch(url, {
        method,
        headers: {
          ...headers,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(this.#options.apiKey === undefined ? {} : { authorization: `Bearer ${this.#options.apiKey}` }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(signal === undefined ? {} : { signal }),
      });
    } catch (error) {
      if (signal?.aborted === true) throw runAborted(`${method} ${path}`, error);
      throw new InternalError({ code: 'INTERNAL', message: `The sidecar at ${this.#options.url} could not be reached: ${(error as Error).message}`, details: { url }, cause: error, isRetryable: true });
    }
    if (response.ok) return response;
    const text = await response.text();
    let envelope: { error?: { code?: unknown; message?: unknown; details?: unknown } } = {};
    try {
      envelope = JSON.parse(text) as typeof envelope;
    } catch {
      // Not the error envelope (a proxy's page): reported below with the status.
    }
    const code = typeof envelope.error?.code === 'string' && KNOWN_CODES.has(envelope.error.code) ? (envelope.error.code as ErrorCode) : 'INTERNAL';
    // Thrown as the code's family class (BudgetError for BUDGET_EXCEEDED, …), as in-process.
    throw errorFromInfo({
      code,
      message: typeof envelope.error?.message === 'string' ? envelope.error.message : `The sidecar answered HTTP ${response.status} to ${method} ${path}.`,
      details: { status: response.status, ...(typeof envelope.error?.details === 'object' && envelope.error.details !== null ? (envelope.error.details as Record<string, unknown>) : {}) },
    });
  }
}

/** Reads the signal afresh (the compiler would keep an earlier narrowing across the awaits). */
function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

function runAborted(what: string, cause: unknown): ExecutionError {
  return new ExecutionError({ code: 'RUN_ABORTED', message: `The caller aborted ${what}.`, details: { aborted: what }, cause });
}
