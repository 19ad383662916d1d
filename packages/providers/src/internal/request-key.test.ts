import { asModelId, type LlmRequest } from '@runtime/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { requestKey } from './request-key.js';

const base: LlmRequest = { model: asModelId('m'), messages: [{ role: 'user', content: 'hi' }], maxOutputTokens: 10 };

describe('requestKey', () => {
  it('differs when anything sent upstream differs', () => {
    const variants: LlmRequest[] = [
      base,
      { ...base, model: asModelId('m2') },
      { ...base, providerModel: 'p' },
      { ...base, maxOutputTokens: 11 },
      { ...base, temperature: 0 },
      { ...base, responseFormat: 'json' },
      { ...base, stop: ['x'] },
      { ...base, tools: [{ name: 't', description: 'd', parameters: {} }] },
      { ...base, tools: [{ name: 't', description: 'd', parameters: {} }], toolChoice: 'required' },
      { ...base, tools: [{ name: 't', description: 'd', parameters: {} }], toolChoice: 'none' },
      { ...base, messages: [{ role: 'user', content: 'hi', name: 'bob' }] },
      { ...base, messages: [{ role: 'tool', content: 'hi', toolCallId: 'c1' }] },
      { ...base, messages: [{ role: 'assistant', content: 'hi', toolCalls: [{ id: 'c', name: 't', arguments: '{}' }] }] },
      { ...base, messages: [{ role: 'system', content: 'hi' }] },
    ];
    expect(new Set(variants.map(requestKey)).size).toBe(variants.length);
  });

  it('ignores compaction hints that are never sent', () => {
    expect(requestKey({ ...base, messages: [{ role: 'user', content: 'hi', pinned: true, priority: 3 }] })).toBe(requestKey(base));
  });

  it('no split of the same texts into messages collides with another', () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: 4 }), fc.array(fc.string(), { maxLength: 4 }), (left, right) => {
        const key = (texts: string[]): string =>
          requestKey({ ...base, messages: texts.map((content) => ({ role: 'user' as const, content })) });
        expect(key(left) === key(right)).toBe(JSON.stringify(left) === JSON.stringify(right));
      }),
      { numRuns: 200 },
    );
  });
});
