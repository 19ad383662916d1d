/**
 * The resilient wrapper: makes one logical LLM call reliable without causing 429 storms.
 *
 * @remarks
 * Around any {@link @runtime/contracts#LlmClient}: retry with exponential backoff and decorrelated
 * jitter, where a provider's Retry-After *replaces* the computed delay (capped); a retry budget per
 * run shared by all its tasks; a per-attempt timeout that really aborts the attempt; a circuit
 * breaker per provider + model whose half-open state admits exactly one probe; fallback models;
 * in-flight dedup of identical requests (one upstream call, every waiter served, only one billed);
 * an optional response cache. Every retry, breaker transition, dedup and cache hit is reported
 * through `onEvent`.
 *
 * Hand-written rather than cockatiel: cockatiel's half-open breaker makes concurrent callers wait
 * for the probe instead of failing fast, its backoff cannot take a per-error Retry-After as the
 * delay, it has no budget shared across calls, and its timeout policy costs ≈ 30 µs per call. See
 * the package README for the measured overhead.
 *
 * Not its job: rate limiting (the policy package), budgets in money (the cost package), choosing
 * a provider per model (see {@link createProviderRouter}).
 */
import {
  ProviderError,
  systemClock,
  type CircuitState,
  type LlmCallOptions,
  type LlmClient,
  type LlmRequest,
  type LlmResult,
  type LlmStreamChunk,
  type RunId,
} from '@runtime/contracts';
import { abortedError, classifyError } from './classify-error.js';
import { AttemptRunner, NOTHING_TO_DETACH, type CallState, type Invoke } from './internal/attempt-runner.js';
import { requestKey } from './internal/request-key.js';
import { ResponseCache } from './internal/response-cache.js';
import { RetryBudgets } from './internal/retry-budgets.js';
import { SharedCall, type ParticipantExit } from './internal/shared-call.js';
import { realSleep } from './internal/sleep.js';
import type { ResilienceEvent } from './resilience-events.js';
import type { ResilienceTimers, ResilientClientOptions } from './resilient-client-options.js';
import type { StreamingLlmClient } from './streaming-llm-client.js';

/**
 * The resilient client plus its state, for dashboards. Its `stream` has the breaker, the attempt
 * timeout and retries before the first chunk (no dedup or cache: a stream is consumed as it comes).
 * @public
 */
export interface ResilientLlmClient extends StreamingLlmClient {
  /** The breaker state of a provider + provider model. */
  circuitState(provider: string, model: string): CircuitState;
  /** Retries a run has used so far. */
  retriesUsed(runId: RunId): number;
  /** Forgets a finished run's retry count. */
  forgetRun(runId: RunId): void;
}

function emitter(onEvent: ((event: ResilienceEvent) => void) | undefined): (event: ResilienceEvent) => void {
  if (onEvent === undefined) return () => undefined;
  return (event) => {
    try {
      onEvent(event);
    } catch (error) {
      // A broken listener must not corrupt breaker or dedup state mid-update; surface it instead.
      queueMicrotask(() => {
        throw error;
      });
    }
  };
}

/**
 * Wraps a client with retry, budget, timeout, breaker, fallback, dedup and cache.
 *
 * @throws (from `complete`/`stream`) what the inner client throws, classified by
 * {@link classifyError}; `PROVIDER_TIMEOUT` when an attempt or the call's `timeoutMs` runs out;
 * `CIRCUIT_OPEN` while the breaker refuses; `RUN_ABORTED` when the caller's signal aborts.
 *
 * @example
 * ```ts
 * const llm = createResilientClient(createProviderRouter({ catalog, clients }), {
 *   attemptTimeoutMs: 60_000,
 *   retryBudget: { retriesPerRun: 20 },
 *   onEvent: (event) => journal.append(event),
 * });
 * const result = await llm.complete(request, { signal, context: { runId, taskId } });
 * ```
 * @public
 */
export function createResilientClient(inner: LlmClient, options: ResilientClientOptions = {}): ResilientLlmClient {
  const retry = options.retry === false ? { maxAttempts: 1 } : (options.retry ?? {});
  const budget = options.retryBudget === false ? undefined : (options.retryBudget ?? { retriesPerRun: 50 });
  const breaker = options.circuitBreaker === false ? undefined : (options.circuitBreaker ?? {});
  const clock = options.clock ?? systemClock;
  const emit = emitter(options.onEvent);
  const budgets = budget === undefined ? undefined : new RetryBudgets(budget.retriesPerRun, budget.maxRuns ?? 10_000);
  const timers: ResilienceTimers = options.timers ?? {
    setTimeout: (callback, ms) => setTimeout(callback, ms),
    clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    defer: (callback: () => void) => {
      setImmediate(callback);
    },
  };
  const runner = new AttemptRunner({
    inner,
    maxAttempts: retry.maxAttempts ?? 4,
    baseDelayMs: retry.baseDelayMs ?? 500,
    maxDelayMs: retry.maxDelayMs ?? 30_000,
    maxRetryAfterMs: retry.maxRetryAfterMs ?? 60_000,
    budgets,
    attemptTimeoutMs: options.attemptTimeoutMs,
    breaker:
      breaker === undefined
        ? undefined
        : {
            failureThreshold: breaker.failureThreshold ?? 5,
            resetAfterMs: breaker.resetAfterMs ?? 30_000,
            probeTimeoutMs: options.attemptTimeoutMs ?? breaker.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS,
          },
    fallbackModels: options.fallbackModels ?? [],
    emit,
    clock,
    sleep: options.sleep ?? realSleep,
    random: options.random ?? Math.random,
    timers,
  });
  const dedup = options.dedup ?? true;
  const cache = options.cache === undefined ? undefined : new ResponseCache(options.cache.ttlMs, options.cache.maxEntries ?? 1000);
  const inFlight = new Map<string, SharedCall>();

  const invokeComplete: Invoke<LlmResult> = (request, signal, call, timeoutMs) =>
    inner.complete(request, innerOptions(signal, call, timeoutMs));

  function callState(options: LlmCallOptions | undefined, signal: AbortSignal | undefined, delegateTimeout: boolean): CallState {
    return {
      delegateTimeout,
      signal,
      deadline: options?.timeoutMs === undefined ? undefined : clock.now() + options.timeoutMs,
      context: options?.context,
      onRetry: options?.onRetry,
      onAttempt: options?.onAttempt,
      attempts: 0,
      detach: NOTHING_TO_DETACH,
    };
  }

  async function execute(request: LlmRequest, callOptions: LlmCallOptions | undefined, signal: AbortSignal | undefined): Promise<LlmResult> {
    const call = callState(callOptions, signal, true);
    const value = await runner.run(request, call, invokeComplete);
    call.detach();
    return value.attempts === call.attempts ? value : { ...value, attempts: call.attempts };
  }

  function exitOf(request: LlmRequest, callOptions: LlmCallOptions | undefined, ownDeadline: boolean): ParticipantExit {
    const signal = callOptions?.signal;
    const abortError = (): Error => abortedError(signal, { model: request.model });
    const timeoutMs = ownDeadline ? callOptions?.timeoutMs : undefined;
    if (timeoutMs === undefined) return { signal, abortError };
    return { signal, abortError, timeoutMs, timeoutError: () => joinTimeoutError(request, timeoutMs) };
  }

  function complete(request: LlmRequest, callOptions?: LlmCallOptions): Promise<LlmResult> {
    // Before anything starts (a cache hit, a shared call): an aborted caller gets nothing.
    const signal = callOptions?.signal;
    if (signal?.aborted === true) return Promise.reject(abortedError(signal, { model: request.model }));
    if (!dedup && cache === undefined) return execute(request, callOptions, signal);
    const key = requestKey(request);
    const context = callOptions?.context;
    if (cache !== undefined) {
      const hit = cache.get(key, clock.now());
      if (hit !== undefined) {
        emit({ type: 'provider.cache-hit', model: request.model, ...eventContext(context) });
        return Promise.resolve({ ...hit, source: 'cache', attempts: 0 });
      }
    }
    if (!dedup) return execute(request, callOptions, signal).then((result) => remember(key, result));
    const existing = inFlight.get(key);
    if (existing !== undefined) {
      emit({ type: 'provider.deduplicated', model: request.model, ...eventContext(context) });
      // A joiner's own deadline applies to it: it leaves the shared call when its time is up.
      return existing.join(exitOf(request, callOptions, true));
    }
    // A leader without a signal can never leave, so it owns the upstream call (no controller needed).
    // Its own deadline is the call's (execute applies it), shared by the joiners.
    const controller = signal === undefined ? undefined : new AbortController();
    const shared = new SharedCall(controller, inFlight, key, timers);
    const operation = execute(request, callOptions, controller?.signal);
    const leader = signal === undefined ? operation : shared.join(exitOf(request, callOptions, false));
    operation.then(
      (result) => {
        shared.forget();
        if (cache !== undefined) remember(key, result);
        shared.deliver(result);
      },
      (error: unknown) => {
        shared.forget();
        shared.fail(error);
      },
    );
    return leader;
  }

  function remember(key: string, result: LlmResult): LlmResult {
    cache?.set(key, result, clock.now());
    return result;
  }

  async function* stream(request: LlmRequest, callOptions?: LlmCallOptions): AsyncGenerator<LlmStreamChunk> {
    const innerStream = inner.stream?.bind(inner);
    if (innerStream === undefined) {
      yield { type: 'done', result: await complete(request, callOptions) };
      return;
    }
    const signal = callOptions?.signal;
    const call = callState(callOptions, signal, false);
    // Retries happen only before the first chunk: after that, text has reached the caller.
    // The call's own deadline covers the whole stream: the inner client gets what is left of it.
    const opened = await runner.run(request, call, async (attemptRequest, attemptSignal, state) => {
      const remaining = state.deadline === undefined ? undefined : Math.max(0, state.deadline - clock.now());
      const iterator = innerStream(attemptRequest, innerOptions(attemptSignal, state, remaining))[Symbol.asyncIterator]();
      const first = await iterator.next();
      return { iterator, first };
    });
    const { iterator } = opened;
    let step = opened.first;
    try {
      while (step.done !== true) {
        const chunk = step.value;
        yield chunk.type === 'done' ? { type: 'done', result: { ...chunk.result, attempts: call.attempts } } : chunk;
        step = await iterator.next();
      }
    } catch (error) {
      throw classifyError(error, { provider: runner.providerOf(request), model: request.model, ...(signal === undefined ? {} : { signal }) });
    } finally {
      call.detach();
      if (step.done !== true) await iterator.return?.();
    }
  }

  return {
    provider: inner.provider,
    complete,
    stream,
    circuitState: (provider, model) => runner.circuitState(provider, model),
    retriesUsed: (runId) => budgets?.used(runId) ?? 0,
    forgetRun: (runId) => budgets?.forget(runId),
  };
}

/** A joiner of a shared call whose own `timeoutMs` ran out before the shared call answered. */
function joinTimeoutError(request: LlmRequest, timeoutMs: number): ProviderError {
  return new ProviderError({
    code: 'PROVIDER_TIMEOUT',
    message: `${request.model} did not answer within ${timeoutMs} ms (waiting for an identical call in flight).`,
    details: { model: request.model, timeoutMs, kind: 'transient', reason: 'deduplicated_call_timeout' },
  });
}

/** The half-open probe's deadline when no attempt timeout is configured (see `CircuitBreakerOptions`). */
const DEFAULT_PROBE_TIMEOUT_MS = 120_000;

const NO_OPTIONS: LlmCallOptions = Object.freeze({});

/** What the inner client gets: the signal, the attempt's deadline and the context (retries are ours). */
function innerOptions(signal: AbortSignal | undefined, call: CallState, timeoutMs: number | undefined): LlmCallOptions {
  const context = call.context;
  if (timeoutMs === undefined) {
    if (context === undefined) return signal === undefined ? NO_OPTIONS : { signal };
    return signal === undefined ? { context } : { signal, context };
  }
  if (context === undefined) return signal === undefined ? { timeoutMs } : { signal, timeoutMs };
  return signal === undefined ? { timeoutMs, context } : { signal, timeoutMs, context };
}

function eventContext(context: LlmCallOptions['context']): { runId?: RunId; taskId?: NonNullable<NonNullable<LlmCallOptions['context']>['taskId']> } {
  if (context === undefined) return {};
  return {
    ...(context.runId === undefined ? {} : { runId: context.runId }),
    ...(context.taskId === undefined ? {} : { taskId: context.taskId }),
  };
}
