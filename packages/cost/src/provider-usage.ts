/**
 * Maps the usage objects of the official provider SDKs to the contracts {@link @runtime/contracts#Usage}.
 *
 * @remarks
 * Structural types only: this package does not depend on the `openai` or `@anthropic-ai/sdk`
 * packages. Missing fields count as zero.
 */
import type { Usage } from '@runtime/contracts';

/**
 * The `usage` of an OpenAI chat completion (`client.chat.completions.create`).
 * @public
 */
export interface OpenAiUsageShape {
  /** All prompt tokens, cached included. */
  readonly prompt_tokens?: number;
  /** All completion tokens, reasoning included. */
  readonly completion_tokens?: number;
  /** Prompt token details. */
  readonly prompt_tokens_details?: { readonly cached_tokens?: number | null } | null;
  /** Completion token details. */
  readonly completion_tokens_details?: { readonly reasoning_tokens?: number | null } | null;
}

/**
 * The `usage` of an Anthropic message (`client.messages.create`).
 * @public
 */
export interface AnthropicUsageShape {
  /** Uncached input tokens (cache reads and writes are reported beside it). */
  readonly input_tokens?: number;
  /** Output tokens. */
  readonly output_tokens?: number;
  /** Tokens read from the prompt cache. */
  readonly cache_read_input_tokens?: number | null;
  /** Tokens written to the prompt cache. */
  readonly cache_creation_input_tokens?: number | null;
  /** The cache writes by TTL (`ephemeral_1h_input_tokens` are priced at the 1-hour rate). */
  readonly cache_creation?: { readonly ephemeral_5m_input_tokens?: number | null; readonly ephemeral_1h_input_tokens?: number | null } | null;
}

/**
 * Usage of an OpenAI chat completion response (or of its `usage` field).
 * @public
 */
export function openAiUsage(response: { readonly usage?: OpenAiUsageShape | null }): Usage {
  const usage = response.usage ?? {};
  return {
    inputTokens: usage.prompt_tokens ?? 0,
    outputTokens: usage.completion_tokens ?? 0,
    cacheReadTokens: usage.prompt_tokens_details?.cached_tokens ?? 0,
    cacheWriteTokens: 0,
    reasoningTokens: usage.completion_tokens_details?.reasoning_tokens ?? 0,
  };
}

/**
 * Usage of an Anthropic message response; cache reads and writes are added into `inputTokens`
 * so they become the subsets the pricing rule expects, and 1-hour cache writes
 * (`cache_creation.ephemeral_1h_input_tokens`) become `cacheWrite1hTokens`.
 * @public
 */
export function anthropicUsage(response: { readonly usage?: AnthropicUsageShape | null }): Usage {
  const usage = response.usage ?? {};
  const cacheReadTokens = usage.cache_read_input_tokens ?? 0;
  const hour = usage.cache_creation?.ephemeral_1h_input_tokens ?? 0;
  const byTtl = (usage.cache_creation?.ephemeral_5m_input_tokens ?? 0) + hour;
  const cacheWriteTokens = usage.cache_creation_input_tokens ?? byTtl;
  return {
    inputTokens: (usage.input_tokens ?? 0) + cacheReadTokens + cacheWriteTokens,
    outputTokens: usage.output_tokens ?? 0,
    cacheReadTokens,
    cacheWriteTokens,
    ...(hour > 0 ? { cacheWrite1hTokens: hour } : {}),
    reasoningTokens: 0,
  };
}
