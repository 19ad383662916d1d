import type { UsageMetadata } from '@langchain/core/messages';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { metadataFromUsage, usageFromMetadata } from './usage.js';

const metadata = fc
  .record({ input: fc.nat(1_000_000), output: fc.nat(1_000_000), read: fc.double({ min: 0, max: 1, noNaN: true }), write: fc.double({ min: 0, max: 1, noNaN: true }), reasoning: fc.double({ min: 0, max: 1, noNaN: true }) })
  .map(({ input, output, read, write, reasoning }): UsageMetadata => {
    const cacheCreation = Math.floor(input * write);
    return {
      input_tokens: input,
      output_tokens: output,
      total_tokens: input + output,
      input_token_details: { cache_read: Math.floor((input - cacheCreation) * read), cache_creation: cacheCreation },
      output_token_details: { reasoning: Math.floor(output * reasoning) },
    };
  });

describe('usage_metadata ↔ Usage', () => {
  it('property: LangChain usage (input includes cache, output includes reasoning) maps field by field and back exactly', () => {
    fc.assert(
      fc.property(metadata, (reported) => {
        const usage = usageFromMetadata(reported);
        expect(usage).toEqual({
          inputTokens: reported.input_tokens,
          outputTokens: reported.output_tokens,
          cacheReadTokens: reported.input_token_details?.cache_read,
          cacheWriteTokens: reported.input_token_details?.cache_creation,
          reasoningTokens: reported.output_token_details?.reasoning,
        });
        expect(metadataFromUsage(usage)).toEqual(reported);
      }),
    );
  });

  it('makes impossible reports priceable: subsets clamped to their totals, absent details are 0', () => {
    expect(usageFromMetadata({ input_tokens: 10, output_tokens: 5, total_tokens: 15, input_token_details: { cache_read: 50 }, output_token_details: { reasoning: 9 } })).toEqual({
      inputTokens: 10,
      outputTokens: 5,
      cacheReadTokens: 10,
      cacheWriteTokens: 0,
      reasoningTokens: 5,
    });
    expect(usageFromMetadata({ input_tokens: 3, output_tokens: 1, total_tokens: 4 })).toEqual({ inputTokens: 3, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 });
  });
});
