import { asModelId } from '@runtime/contracts';
import { createMockLlmClient } from '@runtime/providers';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { forgetMockCalls } from './forget-mock-calls.js';

describe('forgetMockCalls', () => {
  it('answers like the mock and keeps no record of any call, succeeded or failed, concurrent or not', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.string({ minLength: 1, maxLength: 20 }), { minLength: 1, maxLength: 30 }), fc.boolean(), async (prompts, failFirst) => {
        const mock = createMockLlmClient({ script: failFirst ? [{ fail: 'status', status: 400 }] : [] });
        const client = forgetMockCalls(mock);
        const results = await Promise.allSettled(
          prompts.map((prompt) => client.complete({ model: asModelId('m'), messages: [{ role: 'user', content: prompt }], maxOutputTokens: 50 })),
        );
        const answered = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value.output] : []));
        expect(answered.length).toBe(prompts.length - (failFirst ? 1 : 0));
        for (const output of answered) expect(output.startsWith('echo: ')).toBe(true);
        expect(mock.calls).toHaveLength(0);
      }),
      { numRuns: 30 },
    );
  });
});
