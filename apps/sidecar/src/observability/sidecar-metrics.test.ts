import { moneyToDecimalString, usd, type Money } from '@runtime/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSidecarMetrics } from './sidecar-metrics.js';

function costLine(text: string, model: string): string | undefined {
  return text
    .split('\n')
    .find((line) => line.startsWith(`runtime_cost_usd_total{model="${model}"}`))
    ?.split(' ')[1];
}

describe('createSidecarMetrics', () => {
  it('runtime_cost_usd_total is the exact Money sum, sub-nano amounts included (no per-call rounding, no float drift)', async () => {
    // Femto-dollar amounts (Money's unit): 10 calls of 0.00000000015 USD each are 0.0000000015 USD;
    // rounding each to nano-USD first would give 0 or 0.000000002.
    await fc.assert(
      fc.asyncProperty(fc.array(fc.bigInt({ min: 0n, max: 10n ** 15n * 5n }), { minLength: 1, maxLength: 60 }), async (amounts) => {
        const metrics = createSidecarMetrics({ defaultMetrics: false });
        let total = 0n;
        for (const amount of amounts) {
          metrics.cost('model-a', amount as Money);
          total += amount;
        }
        const rendered = costLine(await metrics.registry.metrics(), 'model-a');
        expect(Number(rendered)).toBe(Number(moneyToDecimalString(total as Money)));
      }),
      { numRuns: 100 },
    );
    const metrics = createSidecarMetrics({ defaultMetrics: false });
    for (let call = 0; call < 10; call += 1) metrics.cost('tiny', usd('0.00000000015'));
    expect(costLine(await metrics.registry.metrics(), 'tiny')).toBe('1.5e-9');
  });

  it('counts tokens by type and model from usage, separately from cost', async () => {
    const metrics = createSidecarMetrics({ defaultMetrics: false });
    metrics.usage('m', { inputTokens: 10, outputTokens: 4, cacheReadTokens: 2, cacheWriteTokens: 1, reasoningTokens: 3, costUsd: 0.5 });
    const text = await metrics.registry.metrics();
    expect(text).toContain('runtime_tokens_total{type="input",model="m"} 10');
    expect(text).toContain('runtime_tokens_total{type="reasoning",model="m"} 3');
    expect(costLine(text, 'm')).toBeUndefined();
  });
});
