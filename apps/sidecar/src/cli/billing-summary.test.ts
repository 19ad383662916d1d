import { asRunId, asTaskId, EMPTY_USAGE, money, usd, type CostCalculator, type ModelCatalog, type ModelInfo, type TaskRecord, type Usage } from '@runtime/contracts';
import { describe, expect, it } from 'vitest';
import { renderBillingSummary, summarizeBilling } from './billing-summary.js';

const flagship = { id: 'big', role: 'flagship' } as ModelInfo;
const catalog = { forRole: () => flagship } as unknown as ModelCatalog;
// $10 per million tokens of any kind on the flagship (exact: 10^10 femto-USD per token).
const calculator = { cost: (_model: string, usage: Usage) => money(BigInt(usage.inputTokens + usage.outputTokens) * 10_000_000_000n) } as unknown as CostCalculator;

function record(id: string, model: string, usage: Partial<Usage>, cost: string, tier?: 1 | 2 | 3): TaskRecord {
  return {
    runId: asRunId('r'),
    id: asTaskId(id),
    index: 0,
    spec: { id, prompt: 'x', ...(tier === undefined ? {} : { tier }) },
    state: 'completed',
    model,
    attempts: 1,
    usage: { ...EMPTY_USAGE, ...usage },
    cost: usd(cost),
  };
}

describe('summarizeBilling', () => {
  it('sums exact costs and prices the same usage on the flagship model', () => {
    const summary = summarizeBilling({
      tasks: [record('a', 'small', { inputTokens: 1000, outputTokens: 500 }, '0.0001', 1), record('b', 'big', { inputTokens: 2000, outputTokens: 1000 }, '0.03', 3)],
      catalog,
      calculator,
    });
    expect(summary.total).toBe(usd('0.0301'));
    expect(summary.flagshipTotal).toBe(usd('0.045'));
    expect(summary.usage).toMatchObject({ inputTokens: 3000, outputTokens: 1500 });
    const text = renderBillingSummary(summary);
    expect(text).toContain('on big');
    expect(text).toMatch(/total\s+3,000\s+1,500\s+\$0\.030100\s+\$0\.045000/);
    expect(text).toContain('33.1% saved');
  });
});
