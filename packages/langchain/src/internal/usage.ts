/**
 * LangChain `usage_metadata` ↔ runtime {@link Usage}.
 *
 * @remarks
 * LangChain's `input_tokens` is the sum of every input token type (cache reads and writes included)
 * and `output_tokens` includes reasoning, which is the subset rule of {@link Usage}: fields map one
 * to one and the result is passed through `normalizeUsage` so it can always be priced.
 */
import { normalizeUsage, type Usage } from '@runtime/contracts';
import type { UsageMetadata } from '@langchain/core/messages';

/** The runtime usage of a LangChain usage report (normalized to the subset rule). */
export function usageFromMetadata(metadata: UsageMetadata): Usage {
  const usage: Usage = {
    inputTokens: metadata.input_tokens,
    outputTokens: metadata.output_tokens,
    cacheReadTokens: metadata.input_token_details?.cache_read ?? 0,
    cacheWriteTokens: metadata.input_token_details?.cache_creation ?? 0,
    reasoningTokens: metadata.output_token_details?.reasoning ?? 0,
  };
  return normalizeUsage(usage).usage;
}

/** The LangChain usage report of a runtime usage. */
export function metadataFromUsage(usage: Usage): UsageMetadata {
  return {
    input_tokens: usage.inputTokens,
    output_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
    input_token_details: { cache_read: usage.cacheReadTokens, cache_creation: usage.cacheWriteTokens },
    output_token_details: { reasoning: usage.reasoningTokens },
  };
}
