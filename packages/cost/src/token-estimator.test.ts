import { ValidationError } from '@runtime/contracts';
import type { Message, ToolDefinition } from '@runtime/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MIXED_CORPUS } from './__fixtures__/corpus.js';
import { gptTokenizerBackend, jsTiktokenBackend } from './token-encoders.js';
import type { TokenEncoderBackend } from './token-encoders.js';
import { createTokenEstimator } from './token-estimator.js';

const estimator = createTokenEstimator();

const tools: ToolDefinition[] = [
  {
    name: 'get_weather',
    description: 'Current weather of a city.',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
];

const message = fc.record(
  {
    role: fc.constantFrom('system', 'user', 'assistant', 'tool'),
    content: fc.string({ maxLength: 200 }),
    name: fc.stringMatching(/^[a-z]{1,10}$/),
    toolCallId: fc.stringMatching(/^call_[a-z0-9]{1,8}$/),
  },
  { requiredKeys: ['role', 'content'] },
) as fc.Arbitrary<Message>;

describe('createTokenEstimator', () => {
  it('gives identical counts with gpt-tokenizer and js-tiktoken on a mixed corpus (o200k and cl100k)', () => {
    for (const encoding of ['o200k_base', 'cl100k_base'] as const) {
      const fast = gptTokenizerBackend(encoding);
      const reference = jsTiktokenBackend(encoding);
      for (const text of MIXED_CORPUS) expect(fast.count(text), `${encoding}: ${text}`).toBe(reference.count(text));
      const joined = MIXED_CORPUS.join('\n').repeat(5);
      expect(fast.count(joined)).toBe(reference.count(joined));
    }
  }, 30_000);

  it('counts exactly with the model encoding, plus chat overhead (3 per message, 1 per name, 3 priming)', () => {
    expect(estimator.isExact('gpt-4o-mini')).toBe(true);
    expect(estimator.countText('hello world', 'gpt-4o-mini')).toBe(2);
    // 3 + "user" (1) + "hello world" (2)
    expect(estimator.countMessage({ role: 'user', content: 'hello world' }, 'gpt-4o-mini')).toBe(6);
    expect(estimator.countMessage({ role: 'user', content: 'hello world', name: 'bob' }, 'gpt-4o-mini')).toBe(8);
    expect(estimator.countMessages([{ role: 'user', content: 'hello world' }], 'gpt-4o-mini')).toBe(9);
    expect(estimator.countTools([], 'gpt-4o-mini')).toBe(0);
    expect(estimator.countTools(tools, 'gpt-4o-mini')).toBeGreaterThan(20);
  });

  it('is additive: countMessages = Σ countMessage + 3 + countTools', () => {
    fc.assert(
      fc.property(fc.array(message, { maxLength: 6 }), fc.boolean(), fc.constantFrom('gpt-4o', 'claude-sonnet-4-5', 'unknown-model'), (messages, withTools, model) => {
        const offered = withTools ? tools : [];
        const sum = messages.reduce((total, entry) => total + estimator.countMessage(entry, model), 0);
        expect(estimator.countMessages(messages, model, offered)).toBe(sum + 3 + estimator.countTools(offered, model));
      }),
      { numRuns: 200 },
    );
  });

  it('estimates models without a public tokenizer: never 0 for non-empty text, above the exact count', () => {
    expect(estimator.isExact('claude-sonnet-4-5')).toBe(false);
    expect(estimator.isExact('some-unknown-model')).toBe(false);
    expect(estimator.countText('', 'claude-sonnet-4-5')).toBe(0);
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 300, unit: 'grapheme' }), (text) => {
        expect(estimator.countText(text, 'claude-sonnet-4-5')).toBeGreaterThanOrEqual(1);
      }),
      { numRuns: 300 },
    );
    // The safety margin: prose and code both estimate above their exact o200k counts.
    for (const text of MIXED_CORPUS.filter((entry) => entry.length > 20)) {
      expect(estimator.countText(text, 'claude-sonnet-4-5'), text).toBeGreaterThanOrEqual(estimator.countText(text, 'gpt-4o'));
    }
  });

  it('loads an encoder lazily, once, and caches repeated texts', () => {
    const loaded: string[] = [];
    let counted = 0;
    const backend: TokenEncoderBackend = (encoding) => {
      loaded.push(encoding);
      return {
        count: (text) => {
          counted++;
          return text.length;
        },
      };
    };
    const counting = createTokenEstimator({ backend, cacheMinChars: 4 });
    expect(loaded).toEqual([]);
    const text = 'a repeated context that many tasks share';
    expect(counting.countText(text, 'gpt-4o')).toBe(text.length);
    expect(counting.countText(text, 'gpt-4.1')).toBe(text.length);
    expect(counting.countText(`${text}`, 'gpt-5')).toBe(text.length);
    expect(loaded).toEqual(['o200k_base']);
    expect(counted).toBe(1);
    counting.countText('abc', 'gpt-4o');
    counting.countText('abc', 'gpt-4o');
    expect(counted).toBe(3);
  });

  it('evicts the least recently used text when the cache is full', () => {
    let counted = 0;
    const counting = createTokenEstimator({
      backend: () => ({ count: (text) => (counted++, text.length) }),
      cacheEntries: 2,
      cacheMinChars: 1,
    });
    counting.countText('first', 'gpt-4o');
    counting.countText('second', 'gpt-4o');
    counting.countText('first', 'gpt-4o');
    counting.countText('third', 'gpt-4o');
    expect(counted).toBe(3);
    counting.countText('first', 'gpt-4o');
    expect(counted).toBe(3);
    counting.countText('second', 'gpt-4o');
    expect(counted).toBe(4);
  });

  it('refuses a bad heuristic setting with a typed error', () => {
    expect(() => createTokenEstimator({ heuristic: 4 as unknown as (text: string) => number })).toThrow(ValidationError);
  });
});
