import { EMPTY_USAGE, ValidationError, addMoney, money, usd } from '@runtime/contracts';
import type { Money, UsageTotals } from '@runtime/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderBillingReport } from './billing-report.js';
import { createCostCalculator } from './cost-calculator.js';
import { createModelCatalog } from './model-catalog.js';
import { createUsageTracker } from './usage-tracker.js';

const calculator = createCostCalculator({ catalog: createModelCatalog() });

function sum(entries: Readonly<Record<string, UsageTotals>>): { cost: Money; calls: number } {
  const values = Object.values(entries);
  return { cost: addMoney(...values.map((entry) => entry.cost)), calls: values.reduce((total, entry) => total + entry.calls, 0) };
}

function seeded() {
  const tracker = createUsageTracker({ calculator, toolPrices: { web_search: usd('0.01') } });
  tracker.recordCall({
    runId: 'r1',
    taskId: 'plan',
    model: 'gpt-4o-mini',
    tier: 1,
    phase: 'plan',
    usage: { inputTokens: 1000, outputTokens: 500, cacheReadTokens: 400, cacheWriteTokens: 0, reasoningTokens: 0 },
  });
  tracker.recordCall({
    runId: 'r1',
    taskId: 'build',
    model: 'o4-mini',
    tier: 3,
    phase: 'implement',
    usage: { inputTokens: 2000, outputTokens: 3000, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 2500 },
  });
  tracker.recordToolCall({ runId: 'r1', taskId: 'build', tool: 'web_search', phase: 'implement' });
  tracker.recordToolCall({ runId: 'r2', tool: 'calculator', cost: usd('0.000001') });
  return tracker;
}

describe('createUsageTracker and renderBillingReport', () => {
  it('aggregates by run, task, model, tier, tool and phase with exact totals', () => {
    const report = seeded().report();
    expect(report.total.cost).toBe(usd('0.00042') + usd('0.0154') + usd('0.01') + usd('0.000001'));
    expect(report.total.calls).toBe(4);
    expect(report.byModel['gpt-4o-mini']?.cost).toBe(usd('0.00042'));
    expect(report.byModel['o4-mini']?.usage.reasoningTokens).toBe(2500);
    expect(report.byTool['web_search']?.cost).toBe(usd('0.01'));
    expect(report.byTask['r1/build']?.calls).toBe(2);
    expect(report.byTask['r2/none']?.cost).toBe(usd('0.000001'));
    expect(report.byTier['none']?.calls).toBe(2);
    expect(Object.keys(report.byPhase)).toEqual(['implement', 'none', 'plan']);
    for (const breakdown of [report.byRun, report.byTask, report.byTier, report.byPhase]) {
      expect(sum(breakdown)).toEqual({ cost: report.total.cost, calls: report.total.calls });
    }
    const models = sum(report.byModel);
    const tools = sum(report.byTool);
    expect(addMoney(models.cost, tools.cost)).toBe(report.total.cost);
    expect(models.calls + tools.calls).toBe(report.total.calls);
  });

  it('filters by run', () => {
    const tracker = seeded();
    expect(tracker.totals({ runId: 'r2' })).toEqual({ usage: EMPTY_USAGE, cost: usd('0.000001'), calls: 1 });
    expect(Object.keys(tracker.report({ runId: 'r1' }).byRun)).toEqual(['r1']);
    expect(tracker.records({ runId: 'r1' })).toHaveLength(3);
  });

  it('property: every breakdown adds up exactly to the total', () => {
    const record = fc.record({
      runId: fc.constantFrom('r1', 'r2', 'r3'),
      taskId: fc.option(fc.constantFrom('a', 'b'), { nil: undefined }),
      tool: fc.option(fc.constantFrom('search', 'exec'), { nil: undefined }),
      model: fc.option(fc.constantFrom('m1', 'm2'), { nil: undefined }),
      tier: fc.option(fc.constantFrom(1 as const, 2 as const, 3 as const), { nil: undefined }),
      phase: fc.option(fc.constantFrom('plan', 'build'), { nil: undefined }),
      cost: fc.bigInt({ min: 0n, max: 10n ** 20n }),
      tokens: fc.nat({ max: 100_000 }),
    });
    fc.assert(
      fc.property(fc.array(record, { maxLength: 40 }), (records) => {
        const tracker = createUsageTracker();
        for (const entry of records) {
          tracker.record({
            runId: entry.runId,
            usage: { ...EMPTY_USAGE, inputTokens: entry.tokens },
            cost: money(entry.cost),
            ...(entry.taskId === undefined ? {} : { taskId: entry.taskId }),
            ...(entry.tool === undefined ? {} : { tool: entry.tool }),
            ...(entry.model === undefined ? {} : { model: entry.model }),
            ...(entry.tier === undefined ? {} : { tier: entry.tier }),
            ...(entry.phase === undefined ? {} : { phase: entry.phase }),
          });
        }
        const report = tracker.report();
        expect(report.total.cost).toBe(records.reduce((total, entry) => total + entry.cost, 0n));
        for (const breakdown of [report.byRun, report.byTask, report.byTier, report.byPhase]) expect(sum(breakdown).cost).toBe(report.total.cost);
        expect(sum(report.byModel).cost + sum(report.byTool).cost).toBe(report.total.cost);
      }),
      { numRuns: 100 },
    );
  });

  it('counts a deduplicated or cached result as a call that cost nothing and adds no tokens: totals equal what providers billed', () => {
    const calculator = createCostCalculator({ catalog: createModelCatalog() });
    const tracker = createUsageTracker({ calculator });
    const usage = { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };
    const paid = tracker.recordCall({ runId: 'r1', taskId: 'a', model: 'gpt-4o', usage });
    tracker.record({ runId: 'r1', taskId: 'b', model: 'gpt-4o', usage, cost: money(0n), source: 'dedup' });
    tracker.recordCall({ runId: 'r1', taskId: 'c', model: 'gpt-4o', usage, source: 'cache' });
    const report = tracker.report();
    expect(report.total).toEqual({ usage, cost: paid.cost, calls: 1, dedupedCalls: 2 });
    expect(report.byModel['gpt-4o']).toEqual({ usage, cost: paid.cost, calls: 1, dedupedCalls: 2 });
    expect(report.byTask['r1/b']).toEqual({ usage: EMPTY_USAGE, cost: 0n, calls: 0, dedupedCalls: 1 });
    expect(tracker.records().map((record) => record.source ?? 'provider')).toEqual(['provider', 'dedup', 'cache']);
    // Without deduplicated calls the totals keep their old shape.
    expect(seeded().report().total).not.toHaveProperty('dedupedCalls');
  });

  it('accepts estimated usage (the estimated flag is not a count)', () => {
    const tracker = createUsageTracker();
    tracker.record({ runId: 'r', usage: { ...EMPTY_USAGE, outputTokens: 3, estimated: true }, cost: money(5n) });
    expect(tracker.totals().usage).toEqual({ ...EMPTY_USAGE, outputTokens: 3, estimated: true });
  });

  it('renders exact totals on request (decimals: exact), never rounding a large total', () => {
    const tracker = createUsageTracker();
    tracker.record({ runId: 'r', usage: EMPTY_USAGE, cost: usd('100000000.000000001') });
    const text = renderBillingReport(tracker.report(), { format: 'text', decimals: 'exact' });
    expect(text).toContain('Total: $100000000.000000001 over 1 call(s)');
    expect(renderBillingReport(tracker.report(), { format: 'text' })).toContain('Total: $100000000.000000 over 1 call(s) (exact: $100000000.000000001)');
  });

  it('refuses malformed records without recording them', () => {
    const tracker = createUsageTracker();
    const bad = [
      { runId: '', usage: EMPTY_USAGE, cost: money(0n) },
      { runId: 'r', usage: EMPTY_USAGE, cost: 1 as unknown as Money },
      { runId: 'r', usage: EMPTY_USAGE, cost: money(-1n) },
      { runId: 'r', usage: { ...EMPTY_USAGE, inputTokens: -3 }, cost: money(0n) },
    ];
    for (const record of bad) expect(() => tracker.record(record)).toThrow(ValidationError);
    expect(() => createUsageTracker().recordCall({ runId: 'r', model: 'gpt-4o', usage: EMPTY_USAGE })).toThrow(ValidationError);
    expect(tracker.totals().calls).toBe(0);
  });

  it('renders text and Markdown with every breakdown', () => {
    const report = seeded().report();
    const text = renderBillingReport(report, { format: 'text' });
    expect(text).toContain('Total: $0.025821 over 4 call(s)');
    expect(text).toContain('By tool:');
    expect(text).toMatch(/gpt-4o-mini\s+1\s+1000\s+400\s+500\s+0\s+\$0\.000420/);
    const markdown = renderBillingReport(report, { format: 'markdown', decimals: 9, title: 'Run r1' });
    expect(markdown.startsWith('# Run r1\n')).toBe(true);
    expect(markdown).toContain('## By model');
    expect(markdown).toContain('| web_search | 1 | 0 | 0 | 0 | 0 | $0.010000000 |');
  });
});
