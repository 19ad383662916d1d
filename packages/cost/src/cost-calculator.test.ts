import { ModelError, ValidationError, addMoney, money, usd } from '@runtime/contracts';
import type { Money, Usage } from '@runtime/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createCostCalculator } from './cost-calculator.js';
import { createModelCatalog } from './model-catalog.js';

const calculator = createCostCalculator({ catalog: createModelCatalog() });

function usage(partial: Partial<Usage>): Usage {
  return { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, ...partial };
}

describe('createCostCalculator', () => {
  it('prices input and output separately (gpt-4o-mini: $0.15 in, $0.60 out per MTok)', () => {
    // 1000 × 0.15/1e6 + 500 × 0.60/1e6 = 0.00015 + 0.0003
    expect(calculator.cost('gpt-4o-mini', usage({ inputTokens: 1000, outputTokens: 500 }))).toBe(usd('0.00045'));
  });

  it('prices cached input as a subset at the cache-read rate (gpt-4o-mini: $0.075 cached)', () => {
    // 600 uncached × 0.15 + 400 cached × 0.075 + 500 × 0.60, per 1e6 = 0.00009 + 0.00003 + 0.0003
    const breakdown = calculator.breakdown('gpt-4o-mini', usage({ inputTokens: 1000, cacheReadTokens: 400, outputTokens: 500 }));
    expect(breakdown).toEqual({
      input: usd('0.00009'),
      cacheRead: usd('0.00003'),
      cacheWrite: 0n,
      output: usd('0.0003'),
      reasoning: 0n,
      total: usd('0.00042'),
    });
  });

  it('prices cache writes and reads (claude-sonnet-4-5: $3 in, $3.75 write, $0.30 read, $15 out)', () => {
    // 1000 × 3 + 8000 × 3.75 + 1000 × 0.30 + 100 × 15, per 1e6 = 0.003 + 0.03 + 0.0003 + 0.0015
    const breakdown = calculator.breakdown(
      'claude-sonnet-4-5',
      usage({ inputTokens: 10_000, cacheWriteTokens: 8_000, cacheReadTokens: 1_000, outputTokens: 100 }),
    );
    expect(breakdown).toEqual({
      input: usd('0.003'),
      cacheRead: usd('0.0003'),
      cacheWrite: usd('0.03'),
      output: usd('0.0015'),
      reasoning: 0n,
      total: usd('0.0348'),
    });
  });

  it('prices reasoning tokens as a subset of output at the reasoning rate', () => {
    const custom = createCostCalculator({
      catalog: createModelCatalog({
        builtin: false,
        catalogs: [
          {
            models: [
              {
                id: 'thinker',
                provider: 'mock',
                maxInputTokens: 1000,
                maxOutputTokens: 1000,
                pricing: { inputPerMTok: 1.1, outputPerMTok: 4.4, reasoningPerMTok: 12 },
              },
            ],
          },
        ],
      }),
    });
    // 2000 × 1.1 + 500 × 4.4 + 2500 × 12, per 1e6 = 0.0022 + 0.0022 + 0.03
    const breakdown = custom.breakdown('thinker', usage({ inputTokens: 2_000, outputTokens: 3_000, reasoningTokens: 2_500 }));
    expect(breakdown).toMatchObject({ input: usd('0.0022'), output: usd('0.0022'), reasoning: usd('0.03'), total: usd('0.0344') });
    // The default reasoning rate is the output rate (o4-mini: 4.4): 0.0022 + 0.0022 + 0.011.
    expect(calculator.cost('o4-mini', usage({ inputTokens: 2_000, outputTokens: 3_000, reasoningTokens: 2_500 }))).toBe(usd('0.0154'));
    // Worst case uses the highest output rate.
    expect(custom.worstCase('thinker', 1_000, 100)).toBe(usd('0.0023'));
  });

  it('is exact: a million one-token charges sum to exactly the product', () => {
    const one = calculator.cost('gpt-4.1-nano', usage({ inputTokens: 1, cacheReadTokens: 1 }));
    expect(one).toBe(usd('0.000000025'));
    let total: Money = money(0n);
    for (let index = 0; index < 1_000_000; index++) total = addMoney(total, one);
    expect(total).toBe(usd('0.025'));
    let float = 0;
    for (let index = 0; index < 1_000_000; index++) float += 0.025 / 1e6;
    expect(float).not.toBe(0.025);
  });

  it('computes the worst case: all input at the input rate + maxOutputTokens', () => {
    // 1000 × 0.15 + 500 × 0.60, per 1e6
    expect(calculator.worstCase('gpt-4o-mini', 1000, 500)).toBe(usd('0.00045'));
  });

  it('throws UNKNOWN_MODEL with the model and the known ids', () => {
    let caught: unknown;
    try {
      calculator.cost('gpt-9', usage({ inputTokens: 1 }));
    } catch (error) {
      caught = error;
    }
    expect(ModelError.isInstance(caught)).toBe(true);
    expect((caught as ModelError).details).toMatchObject({ model: 'gpt-9' });
    expect((caught as ModelError).details['known']).toContain('gpt-4o-mini');
  });

  it('prices impossible usage normalised (subsets clamped, bad numbers 0) instead of refusing a paid call', () => {
    // cacheRead + cacheWrite > input: the write (the dearer rate) is kept, the read clamped to what is left.
    expect(calculator.breakdown('claude-sonnet-4-5', usage({ inputTokens: 10, cacheReadTokens: 8, cacheWriteTokens: 3 }))).toEqual(
      calculator.breakdown('claude-sonnet-4-5', usage({ inputTokens: 10, cacheReadTokens: 7, cacheWriteTokens: 3 })),
    );
    // reasoning > output: reasoning clamped to output.
    expect(calculator.cost('o3', usage({ outputTokens: 10, reasoningTokens: 11 }))).toBe(calculator.cost('o3', usage({ outputTokens: 10, reasoningTokens: 10 })));
    // negative, NaN, infinite → 0; fractional → rounded up.
    expect(calculator.cost('gpt-4o', usage({ inputTokens: -1, outputTokens: 5 }))).toBe(calculator.cost('gpt-4o', usage({ outputTokens: 5 })));
    expect(calculator.cost('gpt-4o', usage({ inputTokens: Number.NaN, outputTokens: Number.POSITIVE_INFINITY }))).toBe(0n);
    expect(calculator.cost('gpt-4o', usage({ inputTokens: 1.5 }))).toBe(calculator.cost('gpt-4o', usage({ inputTokens: 2 })));
    expect(() => calculator.worstCase('gpt-4o', -1, 10)).toThrow(ValidationError);
    expect(() => calculator.cost('gpt-4o', null as unknown as Usage)).toThrow(ValidationError);
  });

  it('prices 1-hour cache writes at the 1-hour rate (claude-sonnet-4-5: $6 = 2× input; 5-minute writes $3.75)', () => {
    // 100k written: 40k with the 1 h TTL, 60k with 5 min; 0 uncached. 40k × 6 + 60k × 3.75, per 1e6 = 0.24 + 0.225
    const breakdown = calculator.breakdown('claude-sonnet-4-5', usage({ inputTokens: 100_000, cacheWriteTokens: 100_000, cacheWrite1hTokens: 40_000 }));
    expect(breakdown.cacheWrite).toBe(usd('0.465'));
    expect(breakdown.total).toBe(usd('0.465'));
    // A model without a 1 h rate prices them at its write rate.
    expect(calculator.cost('gpt-4o', usage({ inputTokens: 10, cacheWriteTokens: 10, cacheWrite1hTokens: 10 }))).toBe(calculator.cost('gpt-4o', usage({ inputTokens: 10 })));
  });

  it('bounds every call by its worst case: input at the highest input-side rate (Sonnet 4.5, 100k written to cache)', () => {
    const maxOutput = 16;
    const reserved = calculator.worstCase('claude-sonnet-4-5', 100_000, maxOutput);
    for (const written of [usage({ cacheWriteTokens: 100_000 }), usage({ cacheWriteTokens: 100_000, cacheWrite1hTokens: 100_000 })]) {
      const charged = calculator.cost('claude-sonnet-4-5', { ...written, inputTokens: 100_000, outputTokens: maxOutput, reasoningTokens: maxOutput });
      expect(reserved).toBeGreaterThanOrEqual(charged);
    }
    // 100k × $6 (1 h write) + 16 × $15, per 1e6
    expect(reserved).toBe(usd('0.60024'));
  });

  it('property: cost(usage) ≤ worstCase(input, output) for every usage inside the declared bounds, on every model', () => {
    const catalog = createModelCatalog();
    fc.assert(
      fc.property(
        fc.constantFrom(...catalog.list().map((model) => model.id)),
        fc.integer({ min: 0, max: 300_000 }),
        fc.integer({ min: 0, max: 64_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (model, input, output, readShare, writeShare, hourShare, reasoningShare) => {
          const cacheReadTokens = Math.floor(input * readShare);
          const cacheWriteTokens = Math.floor((input - cacheReadTokens) * writeShare);
          const used = usage({
            inputTokens: input,
            outputTokens: output,
            cacheReadTokens,
            cacheWriteTokens,
            cacheWrite1hTokens: Math.floor(cacheWriteTokens * hourShare),
            reasoningTokens: Math.floor(output * reasoningShare),
          });
          expect(calculator.cost(model, used)).toBeLessThanOrEqual(calculator.worstCase(model, input, output));
        },
      ),
      { numRuns: 500 },
    );
  });
});
