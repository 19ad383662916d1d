/**
 * The one interface every LLM provider adapter implements.
 *
 * @remarks
 * A request is plain data (it can be hashed for dedup and caching); cancellation and deadlines
 * travel separately in {@link LlmCallOptions}. Usage in a result is the provider's report,
 * normalized to the subset rule of {@link Usage}; cost is always computed from it, never from an
 * estimate.
 */
import type { ErrorInfo } from './errors.js';
import type { ModelId, RunId, TaskId } from './ids.js';
import type { Message, ToolCall, ToolDefinition } from './message.js';
import type { ModelInfo } from './model.js';
import type { ToolChoice } from './run.js';
import type { Usage } from './usage.js';

/**
 * One LLM call.
 * @public
 */
export interface LlmRequest {
  /** Catalog model id. */
  readonly model: ModelId;
  /** Provider model name; the adapter resolves it from the catalog when absent. */
  readonly providerModel?: string;
  /** The conversation. */
  readonly messages: readonly Message[];
  /** Tools offered. */
  readonly tools?: readonly ToolDefinition[];
  /** Whether the model may, must or must not call a tool. @defaultValue `'auto'` (the provider's default) */
  readonly toolChoice?: ToolChoice;
  /** Completion token cap (also the worst case the budget reserved). */
  readonly maxOutputTokens: number;
  /** Sampling temperature. */
  readonly temperature?: number;
  /** Stop sequences. */
  readonly stop?: readonly string[];
  /** Ask for a JSON object answer. @defaultValue `'text'` */
  readonly responseFormat?: 'text' | 'json';
}

/**
 * Who a call is for, for logs, events and per-run budgets (retries, dedup attribution).
 * @public
 */
export interface LlmCallContext {
  /** The run. */
  readonly runId?: RunId;
  /** The task. */
  readonly taskId?: TaskId;
  /** The task attempt (1-based). */
  readonly attempt?: number;
}

/**
 * A failed attempt that will be retried, reported through {@link LlmCallOptions.onRetry}.
 * @public
 */
export interface LlmRetryInfo {
  /** The attempt that failed (1-based). */
  readonly attempt: number;
  /** Wait before the next attempt (Retry-After when the provider sent one, else backoff). */
  readonly delayMs: number;
  /** Why the attempt failed. */
  readonly error: ErrorInfo;
}

/**
 * Per-call options that are not part of the request's identity.
 * @public
 */
export interface LlmCallOptions {
  /** Aborting it really cancels the HTTP request (the socket is closed). */
  readonly signal?: AbortSignal;
  /** Deadline of this call in ms. */
  readonly timeoutMs?: number;
  /** Who the call is for. */
  readonly context?: LlmCallContext;
  /** Called before each retry of this call, so the caller can journal `task.retrying`. */
  readonly onRetry?: (info: LlmRetryInfo) => void;
  /**
   * Called as each attempt of this call starts (1-based, across fallbacks), so the caller counts
   * the calls really made: a retry cut off during its backoff is not an attempt.
   */
  readonly onAttempt?: (attempt: number) => void;
  /**
   * The catalog entry of the request's model, when the caller knows it (the provider router
   * passes it on): adapters read wire choices from its capabilities, e.g. `outputTokensParam`.
   */
  readonly modelInfo?: ModelInfo;
}

/**
 * Why generation stopped.
 * @public
 */
export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'other';

/**
 * Where a result came from: a real provider call (billed), an identical call already in flight
 * (`dedup`, not billed again) or the response cache (`cache`, not billed again).
 * @public
 */
export type ResultSource = 'provider' | 'dedup' | 'cache';

/**
 * The answer of one call.
 * @public
 */
export interface LlmResult {
  /** The assistant's text (empty when it only called tools). */
  readonly output: string;
  /** Tool calls requested. */
  readonly toolCalls?: readonly ToolCall[];
  /** Provider-reported usage. */
  readonly usage: Usage;
  /** Why generation stopped. */
  readonly finishReason: FinishReason;
  /** The model name the provider reported. */
  readonly providerModel?: string;
  /** The provider's request id, for support tickets. */
  readonly requestId?: string;
  /**
   * Where the result came from. Only `provider` results cost money.
   * @defaultValue `'provider'`
   */
  readonly source?: ResultSource;
  /** Attempts made, retries included. @defaultValue 1 */
  readonly attempts?: number;
}

/**
 * One piece of a streamed answer.
 * @public
 */
export type LlmStreamChunk =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'tool-call-delta'; readonly delta: ToolCallDelta }
  | { readonly type: 'tool-call'; readonly toolCall: ToolCall }
  | { readonly type: 'done'; readonly result: LlmResult };

/**
 * A fragment of a tool call as it streams: the first fragment of a call carries its `id` and `name`,
 * later ones append to its JSON `arguments`. Fragments of one call share `index`; concatenating the
 * `arguments` of every fragment with that index gives the call's complete arguments (also delivered
 * whole by the `tool-call` chunk once the call is complete).
 * @public
 */
export interface ToolCallDelta {
  /** Position of the call in the answer (0-based), stable across its fragments. */
  readonly index: number;
  /** The call's id (first fragment). */
  readonly id?: string;
  /** The tool's name (first fragment). */
  readonly name?: string;
  /** The next piece of the JSON arguments. */
  readonly arguments?: string;
}

/**
 * An LLM provider.
 * @public
 */
export interface LlmClient {
  /** Provider name (for breakers, metrics and logs). */
  readonly provider: string;
  /**
   * Runs one call to completion.
   * @throws {@link ProviderError} `PROVIDER_ERROR` (with `isRetryable` set by classification),
   * `PROVIDER_TIMEOUT`, `CIRCUIT_OPEN`; {@link ContextError} `CONTEXT_TOO_LARGE` when the provider
   * rejects the prompt's length; {@link ExecutionError} `RUN_ABORTED` when `signal` aborts.
   */
  complete(request: LlmRequest, options?: LlmCallOptions): Promise<LlmResult>;
  /**
   * Streams one call; the last chunk is `done` with the full result and usage.
   * @throws the same errors as {@link LlmClient.complete}, from the iterator.
   */
  stream?(request: LlmRequest, options?: LlmCallOptions): AsyncIterable<LlmStreamChunk>;
}
