import { asModelId, type LlmRequest } from '@runtime/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { completeUsage, estimateInputTokens, utf8Bytes } from './usage-estimate.js';

const text = fc.string({ unit: 'binary', maxLength: 200 });

describe('usage estimate (property)', () => {
  it('utf8Bytes is the UTF-8 length of any string, lone surrogates included', () => {
    fc.assert(
      fc.property(text, (value) => {
        expect(utf8Bytes(value)).toBe(Buffer.byteLength(value, 'utf8'));
      }),
      { numRuns: 500 },
    );
  });

  it('fills only what was not reported, never below the bytes produced, and marks it estimated', () => {
    const reported = fc.option(fc.nat({ max: 10_000 }), { nil: undefined });
    fc.assert(
      fc.property(text, text, reported, reported, fc.boolean(), (prompt, output, input, outputTokens, outputFinal) => {
        const request: LlmRequest = { model: asModelId('m'), messages: [{ role: 'user', content: prompt }], maxOutputTokens: 10 };
        const usage = completeUsage(
          { inputTokens: input, outputTokens, cacheReadTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0, reasoningTokens: 0 },
          request,
          { output, toolCalls: [], outputFinal },
        );
        const bytes = utf8Bytes(output);
        if (input !== undefined && input > 0) expect(usage.inputTokens).toBe(input);
        else {
          expect(usage.inputTokens).toBe(estimateInputTokens(request));
          expect(usage.inputTokens).toBeGreaterThan(utf8Bytes(prompt));
        }
        const trusted = outputTokens !== undefined && outputTokens > 0 && outputFinal;
        if (trusted) expect(usage.outputTokens).toBe(outputTokens);
        else expect(usage.outputTokens).toBeGreaterThanOrEqual(Math.max(bytes, outputTokens ?? 0));
        const filled = usage.inputTokens !== input || usage.outputTokens !== outputTokens;
        expect(usage.estimated === true).toBe(filled);
      }),
      { numRuns: 500 },
    );
  });
});
