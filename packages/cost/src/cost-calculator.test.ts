import { ModelError, ValidationError, addMoney, money, usd } from '@runtime/contracts';
import type { Money, Usage } from '@runtime/contracts';
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

  it('refuses negative, fractional, non-finite and inconsistent usage', () => {
    const bad: Usage[] = [
      usage({ inputTokens: -1 }),
      usage({ inputTokens: 1.5 }),
      usage({ inputTokens: Number.NaN }),
      usage({ outputTokens: Number.POSITIVE_INFINITY }),
      usage({ inputTokens: 10, cacheReadTokens: 8, cacheWriteTokens: 3 }),
      usage({ outputTokens: 10, reasoningTokens: 11 }),
    ];
    for (const entry of bad) expect(() => calculator.cost('gpt-4o', entry)).toThrow(ValidationError);
    expect(() => calculator.worstCase('gpt-4o', -1, 10)).toThrow(ValidationError);
  });
});
