import {
  ProviderError,
  type Clock,
  type LlmCallContext,
  type LlmClient,
  type LlmRequest,
  type LlmRetryInfo,
  type ModelId,
  type RuntimeError,
} from '@runtime/contracts';
import { abortedError, classifyError } from '../classify-error.js';
import type { ResilienceEvent } from '../resilience-events.js';
import { Circuit } from './circuit.js';
import { DeadlineTimer, type Deadline } from './deadline-timer.js';
import { compactDetails } from './details.js';
import type { RetryBudgets } from './retry-budgets.js';

/** A client that can say which provider and provider model serve a catalog model (the router). */
type ResolvingClient = LlmClient & {
  readonly providerFor?: (model: string) => string;
  readonly providerModelFor?: (model: string) => string;
};

/** Timer functions (injectable so per-attempt timeouts work under a fake clock). */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface RunnerSettings {
  readonly inner: LlmClient;
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly maxRetryAfterMs: number;
  readonly budgets: RetryBudgets | undefined;
  readonly attemptTimeoutMs: number | undefined;
  readonly breaker: { readonly failureThreshold: number; readonly resetAfterMs: number; readonly probeTimeoutMs: number } | undefined;
  readonly fallbackModels: readonly ModelId[];
  readonly emit: (event: ResilienceEvent) => void;
  readonly clock: Clock;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly random: () => number;
  readonly timers: Timers;
}

/** One logical call: its abort, deadline, context and the attempts made so far (all models). */
export interface CallState {
  readonly signal: AbortSignal | undefined;
  readonly deadline: number | undefined;
  readonly context: LlmCallContext | undefined;
  readonly onRetry: ((info: LlmRetryInfo) => void) | undefined;
  readonly onAttempt: ((attempt: number) => void) | undefined;
  /**
   * True: the attempt deadline is handed to the inner client as `timeoutMs` (it aborts its own
   * request, so no extra AbortController here), with a watchdog in case it ignores it. False
   * (streams, whose deadline ends at the first chunk): an AbortController per attempt.
   */
  readonly delegateTimeout: boolean;
  attempts: number;
  /** Unlinks the successful attempt's signal from the caller's (streams call it when they end). */
  detach: () => void;
}

/** Sends one attempt with its signal and, when delegated, its deadline. */
export type Invoke<T> = (request: LlmRequest, signal: AbortSignal | undefined, call: CallState, timeoutMs: number | undefined) => Promise<T>;

/** How long past a delegated deadline the watchdog gives up on an inner client that ignored it. */
const WATCHDOG_GRACE_MS = 1000;

/** For {@link CallState.detach} when there is nothing to unlink. */
export const NOTHING_TO_DETACH = (): void => undefined;

/** Retry with backoff / Retry-After, per-run budget, per-attempt timeout, breakers and fallback. */
export class AttemptRunner {
  readonly #settings: RunnerSettings;
  /** provider → provider model → breaker (nested maps: no key string built per call). */
  readonly #circuits = new Map<string, Map<string, Circuit>>();
  readonly #onTransition: ConstructorParameters<typeof Circuit>[2]['onTransition'];
  readonly #deadlines: DeadlineTimer;

  constructor(settings: RunnerSettings) {
    this.#settings = settings;
    this.#deadlines = new DeadlineTimer(settings.timers, settings.clock);
    this.#onTransition = (provider, model, from, to) => settings.emit({ type: 'provider.circuit', provider, model, from, to });
  }

  circuitState(provider: string, model: string): Circuit['state'] {
    return this.#circuits.get(provider)?.get(model)?.state ?? 'closed';
  }

  providerOf(request: LlmRequest): string {
    const inner = this.#settings.inner as ResolvingClient;
    return typeof inner.providerFor === 'function' ? inner.providerFor(request.model) : inner.provider;
  }

  /** The provider's model name: the request's, else the router's resolution, else the catalog id. */
  providerModelOf(request: LlmRequest): string {
    if (request.providerModel !== undefined) return request.providerModel;
    const inner = this.#settings.inner as ResolvingClient;
    return typeof inner.providerModelFor === 'function' ? inner.providerModelFor(request.model) : request.model;
  }

  /** Runs the request, then each fallback model in turn while failures stay transient. */
  run<T>(request: LlmRequest, call: CallState, invoke: Invoke<T>): Promise<T> {
    // Without fallbacks, no extra async frame on the hot path.
    if (this.#settings.fallbackModels.length === 0) return this.#withRetries(request, call, invoke);
    return this.#withFallbacks(request, call, invoke);
  }

  async #withFallbacks<T>(request: LlmRequest, call: CallState, invoke: Invoke<T>): Promise<T> {
    let current = request;
    let next = 0;
    for (;;) {
      try {
        return await this.#withRetries(current, call, invoke);
      } catch (thrown) {
        const error = classifyError(thrown);
        const fallback = this.#settings.fallbackModels[next];
        next += 1;
        if (fallback === undefined || !canFallBack(error)) throw error;
        const { providerModel: _resolvedForPrevious, ...rest } = current;
        this.#settings.emit({
          type: 'provider.fallback',
          from: current.model,
          to: fallback,
          error: error.toJSON(),
          ...contextFields(call.context),
        });
        current = { ...rest, model: fallback };
      }
    }
  }

  async #withRetries<T>(request: LlmRequest, call: CallState, invoke: Invoke<T>): Promise<T> {
    const settings = this.#settings;
    const provider = this.providerOf(request);
    const model = this.providerModelOf(request);
    const circuit = this.#circuit(provider, model);
    let previousDelay = settings.baseDelayMs;
    for (let attempt = 1; ; attempt += 1) {
      if (call.signal?.aborted === true) throw abortedError(call.signal, { provider, model });
      if (call.deadline !== undefined && settings.clock.now() >= call.deadline) throw timeoutError(provider, model, 0);
      const probe = circuit === undefined ? false : circuit.acquire(settings.clock);
      call.attempts += 1;
      call.onAttempt?.(call.attempts);
      try {
        const value = await this.#attempt(request, call, invoke, provider, model, probe);
        circuit?.succeed(probe);
        return value;
      } catch (thrown) {
        const error = classifyError(thrown, {
          provider,
          model,
          clock: settings.clock,
          ...(call.signal === undefined ? {} : { signal: call.signal }),
        });
        if (error.code === 'RUN_ABORTED') {
          circuit?.release(probe);
          throw error;
        }
        if (error.isRetryable) circuit?.fail(probe, settings.clock.now());
        else circuit?.succeed(probe);
        if (!error.isRetryable || attempt >= settings.maxAttempts) throw error;
        const retryAfter = error.details.retryAfterMs;
        const fromRetryAfter = typeof retryAfter === 'number';
        // Retry-After replaces the backoff (never adds to it), capped so a hostile value cannot park us.
        const delayMs = fromRetryAfter ? Math.min(retryAfter, settings.maxRetryAfterMs) : this.#backoff(previousDelay);
        previousDelay = Math.max(settings.baseDelayMs, delayMs);
        if (call.deadline !== undefined && settings.clock.now() + delayMs >= call.deadline) throw error;
        const runId = call.context?.runId;
        if (settings.budgets !== undefined && !settings.budgets.take(runId)) {
          settings.emit({
            type: 'provider.retry-budget-exhausted',
            provider,
            model,
            budget: settings.budgets.perRun,
            error: error.toJSON(),
            ...contextFields(call.context),
          });
          throw error;
        }
        const info = { attempt: call.attempts, delayMs, error: error.toJSON() };
        settings.emit({ type: 'provider.retry', provider, model, fromRetryAfter, ...info, ...contextFields(call.context) });
        call.onRetry?.(info);
        try {
          await settings.sleep(delayMs, call.signal);
        } catch (sleepError) {
          throw classifyError(sleepError, { provider, model, ...(call.signal === undefined ? {} : { signal: call.signal }) });
        }
      }
    }
  }

  /** Decorrelated jitter: uniform in [base, 3 × previous], capped. */
  #backoff(previousDelay: number): number {
    const { baseDelayMs, maxDelayMs, random } = this.#settings;
    return Math.min(maxDelayMs, Math.round(baseDelayMs + random() * (previousDelay * 3 - baseDelayMs)));
  }

  #circuit(provider: string, model: string): Circuit | undefined {
    const breaker = this.#settings.breaker;
    if (breaker === undefined) return undefined;
    let byModel = this.#circuits.get(provider);
    if (byModel === undefined) {
      byModel = new Map();
      this.#circuits.set(provider, byModel);
    }
    let circuit = byModel.get(model);
    if (circuit === undefined) {
      circuit = new Circuit(provider, model, { ...breaker, onTransition: this.#onTransition });
      byModel.set(model, circuit);
    }
    return circuit;
  }

  #attempt<T>(request: LlmRequest, call: CallState, invoke: Invoke<T>, provider: string, model: string, probe: boolean): Promise<T> {
    // The half-open probe always has a deadline: a probe that never answers would lock the breaker.
    let timeoutMs = probe ? this.#settings.breaker?.probeTimeoutMs : this.#settings.attemptTimeoutMs;
    if (call.deadline !== undefined) {
      const remaining = call.deadline - this.#settings.clock.now();
      if (remaining <= 0) return Promise.reject(timeoutError(provider, model, 0));
      timeoutMs = timeoutMs === undefined ? remaining : Math.min(timeoutMs, remaining);
    }
    if (timeoutMs === undefined) return invoke(request, call.signal, call, undefined);
    if (call.delegateTimeout) return this.#attemptWithWatchdog(request, call, invoke, provider, model, timeoutMs);
    return this.#attemptWithTimeout(request, call, invoke, provider, model, timeoutMs);
  }

  #attemptWithWatchdog<T>(request: LlmRequest, call: CallState, invoke: Invoke<T>, provider: string, model: string, limit: number): Promise<T> {
    // The inner client enforces `timeoutMs` itself (closing its socket): creating a second
    // AbortController here would double the dominant cost of a timed attempt. The watchdog, on the
    // shared deadline timer, only catches an inner client that breaks that contract.
    const deadlines = this.#deadlines;
    return new Promise<T>((resolve, reject) => {
      const watchdog = new Watchdog(reject, () => timeoutError(provider, model, limit, undefined, 'the inner client ignored timeoutMs'));
      deadlines.add(watchdog, limit + WATCHDOG_GRACE_MS);
      invoke(request, call.signal, call, limit).then(
        (value) => {
          deadlines.remove(watchdog);
          resolve(value);
        },
        (error: unknown) => {
          deadlines.remove(watchdog);
          reject(classifyError(error, { provider, model, ...(call.signal === undefined ? {} : { signal: call.signal }) }));
        },
      );
    });
  }

  async #attemptWithTimeout<T>(request: LlmRequest, call: CallState, invoke: Invoke<T>, provider: string, model: string, limit: number): Promise<T> {
    const signal = call.signal;
    // One controller per attempt so a timeout really aborts the inner call (socket closed); one
    // shared timer for all attempts' deadlines.
    const link = new AttemptLink(signal, () => timeoutError(provider, model, limit));
    this.#deadlines.add(link, limit);
    try {
      const value = await invoke(request, link.controller.signal, call, undefined);
      call.detach = link.detachFunction();
      return value;
    } catch (error) {
      link.detach();
      if (link.timedOut && signal?.aborted !== true) throw timeoutError(provider, model, limit, error);
      throw error;
    } finally {
      this.#deadlines.remove(link);
    }
  }
}

/** Rejects its attempt when the deadline (plus grace) passes; the shared timer calls it. */
class Watchdog implements Deadline {
  deadline = 0;
  settled = false;
  readonly #reject: (error: Error) => void;
  readonly #reason: () => Error;

  constructor(reject: (error: Error) => void, reason: () => Error) {
    this.#reject = reject;
    this.#reason = reason;
  }

  expire(): void {
    this.#reject(this.#reason());
  }
}

/** An attempt's controller, linked to the caller's signal and to its deadline. */
class AttemptLink implements Deadline {
  readonly controller = new AbortController();
  timedOut = false;
  deadline = 0;
  settled = false;
  readonly #signal: AbortSignal | undefined;
  readonly #timeoutReason: () => Error;

  constructor(signal: AbortSignal | undefined, timeoutReason: () => Error) {
    this.#signal = signal;
    this.#timeoutReason = timeoutReason;
    signal?.addEventListener('abort', this, { once: true });
  }

  /** The shared deadline timer says this attempt is out of time. */
  expire(): void {
    this.timedOut = true;
    this.controller.abort(this.#timeoutReason());
  }

  /** EventListener object form: the caller aborted. */
  handleEvent(): void {
    this.controller.abort(this.#signal?.reason);
  }

  detach(): void {
    this.#signal?.removeEventListener('abort', this);
  }

  detachFunction(): () => void {
    return this.#signal === undefined ? NOTHING_TO_DETACH : () => this.detach();
  }
}

function timeoutError(provider: string, model: string, timeoutMs: number, cause?: unknown, reason?: string): ProviderError {
  return new ProviderError({
    code: 'PROVIDER_TIMEOUT',
    message: `${provider}/${model} did not answer within ${timeoutMs} ms.`,
    details: compactDetails({ provider, model, timeoutMs, kind: 'transient', reason }),
    cause,
  });
}

function canFallBack(error: RuntimeError): boolean {
  return error.code !== 'RUN_ABORTED' && (error.isRetryable || error.code === 'CIRCUIT_OPEN');
}

function contextFields(context: LlmCallContext | undefined): { runId?: NonNullable<LlmCallContext['runId']>; taskId?: NonNullable<LlmCallContext['taskId']> } {
  if (context === undefined) return {};
  return {
    ...(context.runId === undefined ? {} : { runId: context.runId }),
    ...(context.taskId === undefined ? {} : { taskId: context.taskId }),
  };
}
