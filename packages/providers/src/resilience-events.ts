/**
 * What the resilient client reports: every retry, breaker transition, dedup and cache hit,
 * fallback and exhausted retry budget.
 *
 * @remarks
 * The `type` names and fields follow the contracts' run events where one exists
 * (`provider.circuit` ≈ {@link @runtime/contracts#ProviderCircuitEvent},
 * `provider.deduplicated` ≈ {@link @runtime/contracts#ProviderDeduplicatedEvent},
 * `provider.retry` ≈ {@link @runtime/contracts#TaskRetryingEvent}), so the orchestrator can
 * journal them and the sidecar can expose them without translation tables.
 */
import type { CircuitState, ErrorInfo, RunId, TaskId } from '@runtime/contracts';

/**
 * Who a call was for, copied from {@link @runtime/contracts#LlmCallContext}.
 * @public
 */
export interface ResilienceEventContext {
  /** The run. */
  readonly runId?: RunId;
  /** The task. */
  readonly taskId?: TaskId;
}

/**
 * An attempt failed and will be retried after `delayMs`.
 * @public
 */
export interface RetryEvent extends ResilienceEventContext {
  /** Discriminant. */
  readonly type: 'provider.retry';
  /** Provider name. */
  readonly provider: string;
  /** Provider model. */
  readonly model: string;
  /** The attempt that failed (1-based, per model). */
  readonly attempt: number;
  /** The wait before the next attempt. */
  readonly delayMs: number;
  /** True when `delayMs` is the provider's Retry-After (capped), false when it is our backoff. */
  readonly fromRetryAfter: boolean;
  /** Why the attempt failed. */
  readonly error: ErrorInfo;
}

/**
 * A retryable failure was not retried because the run's retry budget is spent.
 * @public
 */
export interface RetryBudgetExhaustedEvent extends ResilienceEventContext {
  /** Discriminant. */
  readonly type: 'provider.retry-budget-exhausted';
  /** Provider name. */
  readonly provider: string;
  /** Provider model. */
  readonly model: string;
  /** The run's retry budget. */
  readonly budget: number;
  /** The failure that is returned to the caller. */
  readonly error: ErrorInfo;
}

/**
 * A circuit breaker changed state.
 * @public
 */
export interface CircuitEvent {
  /** Discriminant. */
  readonly type: 'provider.circuit';
  /** Provider name. */
  readonly provider: string;
  /** Provider model. */
  readonly model: string;
  /** Previous state. */
  readonly from: CircuitState;
  /** New state. */
  readonly to: CircuitState;
}

/**
 * A call joined an identical call already in flight (charged once, to the call that made it).
 * @public
 */
export interface DeduplicatedEvent extends ResilienceEventContext {
  /** Discriminant. */
  readonly type: 'provider.deduplicated';
  /** Catalog model id. */
  readonly model: string;
}

/**
 * A call was answered from the response cache (not charged).
 * @public
 */
export interface CacheHitEvent extends ResilienceEventContext {
  /** Discriminant. */
  readonly type: 'provider.cache-hit';
  /** Catalog model id. */
  readonly model: string;
}

/**
 * A model failed for good and the next fallback model is tried.
 * @public
 */
export interface FallbackEvent extends ResilienceEventContext {
  /** Discriminant. */
  readonly type: 'provider.fallback';
  /** The model that failed. */
  readonly from: string;
  /** The model tried next. */
  readonly to: string;
  /** Why the previous model failed. */
  readonly error: ErrorInfo;
}

/**
 * Every event of the resilient client.
 * @public
 */
export type ResilienceEvent =
  | RetryEvent
  | RetryBudgetExhaustedEvent
  | CircuitEvent
  | DeduplicatedEvent
  | CacheHitEvent
  | FallbackEvent;
