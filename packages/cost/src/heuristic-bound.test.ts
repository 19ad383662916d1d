import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { HEURISTIC_CORPUS } from './__fixtures__/heuristic-corpus.js';
import { jsTiktokenBackend } from './token-encoders.js';
import { DEFAULT_HEURISTIC_FACTOR, createTokenEstimator } from './token-estimator.js';

// The exact reference is js-tiktoken (the estimator's own default backend is gpt-tokenizer).
const o200k = jsTiktokenBackend('o200k_base');
const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

describe('heuristic token bound (models without a public tokenizer)', () => {
  const estimator = createTokenEstimator();

  it('is at least min(factor × o200k, UTF-8 bytes) and ≥ o200k on every corpus sample of every content type', () => {
    expect(DEFAULT_HEURISTIC_FACTOR).toBeGreaterThanOrEqual(1.5);
    for (const [type, samples] of Object.entries(HEURISTIC_CORPUS)) {
      for (const sample of samples) {
        const exact = o200k.count(sample);
        const estimate = estimator.countText(sample, 'claude-haiku-4-5');
        expect(estimator.isExact('claude-haiku-4-5')).toBe(false);
        expect(estimate, `${type}: ${sample.slice(0, 40)}`).toBeGreaterThanOrEqual(Math.min(DEFAULT_HEURISTIC_FACTOR * exact, utf8Bytes(sample)));
        expect(estimate / exact, `${type}: ${sample.slice(0, 40)}`).toBeGreaterThanOrEqual(1);
        expect(estimate).toBeLessThanOrEqual(Math.max(1, utf8Bytes(sample)));
      }
    }
  });

  it('holds on random text (any Unicode), and is never 0 for non-empty text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), fc.string({ unit: fc.constantFrom(...'0123456789abcdef+/=,.'), maxLength: 300 }), (unicode, dense) => {
        for (const text of [unicode, dense, unicode + dense]) {
          const estimate = estimator.countText(text, 'claude-sonnet-4-5');
          if (text.length === 0) expect(estimate).toBe(0);
          else {
            expect(estimate).toBeGreaterThanOrEqual(1);
            expect(estimate).toBeGreaterThanOrEqual(Math.min(DEFAULT_HEURISTIC_FACTOR * o200k.count(text), utf8Bytes(text)));
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('accepts a larger factor, one per provider, and refuses one below 1', () => {
    const strict = createTokenEstimator({ heuristicFactor: 2 });
    const text = 'hex 0123456789abcdef0123456789abcdef and prose words';
    expect(strict.countText(text, 'claude-opus-4-5')).toBeGreaterThanOrEqual(Math.min(2 * o200k.count(text), utf8Bytes(text)));
    expect(() => createTokenEstimator({ heuristicFactor: 0.9 })).toThrow(/heuristicFactor/);
    const byProvider = createTokenEstimator({ heuristicFactor: { anthropic: 1.8 } });
    const hex = '0123456789abcdef'.repeat(64);
    expect(byProvider.countText(hex, 'claude-haiku-4-5')).toBe(Math.min(Math.ceil(1.8 * o200k.count(hex)), utf8Bytes(hex)));
    expect(byProvider.countText(hex, 'some-unknown-model')).toBe(Math.min(Math.ceil(DEFAULT_HEURISTIC_FACTOR * o200k.count(hex)), utf8Bytes(hex)));
    expect(() => createTokenEstimator({ heuristicFactor: { anthropic: 0 } })).toThrow(/heuristicFactor\.anthropic/);
  });
});
