/**
 * LLM client adapters, error classification and the resilient client wrapper (`@runtime/providers`).
 *
 * @remarks
 * This package is a shell: its components (LlmClient adapters (OpenAI-compatible, Anthropic, deterministic mock), error classification, and the resilient wrapper: retry with backoff and Retry-After, timeout, circuit breaker, in-flight dedup, fallback model) land in later issues.
 * It depends on `@runtime/contracts` only and receives collaborators through contract interfaces;
 * it never imports another domain package.
 *
 * @packageDocumentation
 */

/**
 * The npm name of this package.
 *
 * @public
 */
export const PACKAGE_NAME = '@runtime/providers';
