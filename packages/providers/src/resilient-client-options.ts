/**
 * Options of {@link createResilientClient}: retry, budget, breaker, cache, events and time.
 */
import type { Clock, ModelId } from '@runtime/contracts';
import type { ResilienceEvent } from './resilience-events.js';

/**
 * Retry settings.
 * @public
 */
export interface RetryOptions {
  /** Attempts per model, the first included. @defaultValue 4 */
  readonly maxAttempts?: number;
  /** Smallest backoff delay. @defaultValue 500 */
  readonly baseDelayMs?: number;
  /** Largest backoff delay. @defaultValue 30000 */
  readonly maxDelayMs?: number;
  /** Cap on a provider's Retry-After. @defaultValue 60000 */
  readonly maxRetryAfterMs?: number;
}

/**
 * Retries allowed per run, across every call and task of the run (`options.context.runId`).
 * @public
 */
export interface RetryBudgetOptions {
  /** Retries one run may make in total. */
  readonly retriesPerRun: number;
  /** Runs remembered; the oldest is forgotten beyond this. @defaultValue 10000 */
  readonly maxRuns?: number;
}

/**
 * Circuit breaker settings (one breaker per provider + model).
 * @public
 */
export interface CircuitBreakerOptions {
  /** Consecutive transient failures that open the circuit. @defaultValue 5 */
  readonly failureThreshold?: number;
  /** Time the circuit stays open before one probe is let through. @defaultValue 30000 */
  readonly resetAfterMs?: number;
  /**
   * Deadline of the half-open probe when no `attemptTimeoutMs` is configured (with one, that
   * applies to the probe too): a probe that never answers fails as `PROVIDER_TIMEOUT` and reopens
   * the circuit instead of keeping it half-open for ever. Long enough for a slow reasoning answer.
   * @defaultValue 120000
   */
  readonly probeTimeoutMs?: number;
}

/**
 * Response cache settings.
 * @public
 */
export interface ResponseCacheOptions {
  /** How long a result is served from the cache. */
  readonly ttlMs: number;
  /** Most results kept (oldest evicted first). @defaultValue 1000 */
  readonly maxEntries?: number;
}

/**
 * Timer functions, injectable for fake-clock tests.
 * @public
 */
export interface ResilienceTimers {
  /** Schedules `callback` after `ms`; returns a handle. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancels a handle from `setTimeout`. */
  clearTimeout(handle: unknown): void;
  /**
   * Runs `callback` once the current burst of work yields to the event loop (`setImmediate`).
   * When given, the shared deadline timer is armed there rather than on every call: an attempt
   * that settles within the same turn never touches a timer, and no timer can fire before the
   * turn ends anyway. Without it, the timer is armed at once.
   * @defaultValue `setImmediate` for the default timers; absent for injected ones
   */
  defer?(callback: () => void): void;
}

/**
 * Options of {@link createResilientClient}.
 * @public
 */
export interface ResilientClientOptions {
  /** Retry settings, or `false` for a single attempt. @defaultValue `{}` (the defaults) */
  readonly retry?: RetryOptions | false;
  /** Per-run retry budget, or `false` for none. @defaultValue `{ retriesPerRun: 50 }` */
  readonly retryBudget?: RetryBudgetOptions | false;
  /** Deadline of each attempt in ms (the attempt is aborted and retried as `PROVIDER_TIMEOUT`). @defaultValue none */
  readonly attemptTimeoutMs?: number;
  /** Breaker settings, or `false` for none. @defaultValue `{}` (the defaults) */
  readonly circuitBreaker?: CircuitBreakerOptions | false;
  /** Models tried in order when a model fails for good with a transient error or an open circuit. @defaultValue `[]` */
  readonly fallbackModels?: readonly ModelId[];
  /** Send identical in-flight requests once. @defaultValue true */
  readonly dedup?: boolean;
  /** Serve identical requests from a cache for a while. @defaultValue none */
  readonly cache?: ResponseCacheOptions;
  /** Receives every {@link ResilienceEvent}; must not throw (a throw is re-raised asynchronously). */
  readonly onEvent?: (event: ResilienceEvent) => void;
  /** @defaultValue `systemClock` */
  readonly clock?: Clock;
  /** Waits between attempts. @defaultValue a real timer that rejects on abort */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Jitter source in [0, 1). @defaultValue `Math.random` */
  readonly random?: () => number;
  /** Per-attempt timeout timers. @defaultValue the global `setTimeout` / `clearTimeout` */
  readonly timers?: ResilienceTimers;
}
