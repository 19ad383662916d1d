/**
 * LLM client adapters, error classification and the resilient client wrapper (`@runtime/providers`).
 *
 * @remarks
 * Adapters for OpenAI-compatible chat completions and the Anthropic Messages API (plain `fetch`),
 * a deterministic mock, a router that picks the client of a model's provider, {@link classifyError}
 * (transient vs terminal), and {@link createResilientClient} (retry with Retry-After, per-run retry
 * budget, per-attempt timeout, circuit breaker with a single half-open probe, fallback models,
 * in-flight dedup, response cache). It depends on `@runtime/contracts` only.
 *
 * @packageDocumentation
 */
export { createAnthropicClient, type AnthropicClientOptions } from './anthropic-client.js';
export {
  abortedError,
  classifyError,
  httpFailureToError,
  type ClassifyErrorContext,
  type ErrorKind,
  type HttpFailure,
} from './classify-error.js';
export {
  createMockLlmClient,
  type MockCall,
  type MockFailure,
  type MockLatency,
  type MockLlmClient,
  type MockLlmClientOptions,
  type MockReply,
  type MockStep,
} from './mock-llm-client.js';
export { createOpenAiCompatibleClient, type OpenAiCompatibleClientOptions } from './openai-compatible-client.js';
export { createProviderRouter, type ProviderRouter, type ProviderRouterOptions } from './provider-router.js';
export {
  type CacheHitEvent,
  type CircuitEvent,
  type DeduplicatedEvent,
  type FallbackEvent,
  type ResilienceEvent,
  type ResilienceEventContext,
  type RetryBudgetExhaustedEvent,
  type RetryEvent,
} from './resilience-events.js';
export {
  type CircuitBreakerOptions,
  type ResilienceTimers,
  type ResilientClientOptions,
  type ResponseCacheOptions,
  type RetryBudgetOptions,
  type RetryOptions,
} from './resilient-client-options.js';
export { createResilientClient, type ResilientLlmClient } from './resilient-client.js';
export { type FetchFunction } from './fetch-function.js';
export { parseRetryAfter, type HeaderSource } from './retry-after.js';
export { type StreamingLlmClient } from './streaming-llm-client.js';

/**
 * The npm name of this package.
 *
 * @public
 */
export const PACKAGE_NAME = '@runtime/providers';
