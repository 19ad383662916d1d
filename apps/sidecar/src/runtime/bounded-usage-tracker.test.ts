import { usd, type UsageRecord } from '@runtime/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createBoundedUsageTracker } from './bounded-usage-tracker.js';

const record = (runId: string): UsageRecord => ({
  runId,
  taskId: 't',
  model: 'm',
  usage: { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
  cost: usd(0.001),
});

describe('createBoundedUsageTracker', () => {
  it('keeps the records of the last maxRuns runs only, whatever the number of runs and records', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 60 }), (maxRuns, runs) => {
        const tracker = createBoundedUsageTracker(maxRuns);
        for (const [index, count] of runs.entries()) for (let call = 0; call < Math.max(1, count % 4); call += 1) tracker.record(record(`r${index}`));
        expect(tracker.runsKept).toBe(Math.min(maxRuns, runs.length));
        const last = `r${runs.length - 1}`;
        expect(tracker.totals({ runId: last }).calls).toBeGreaterThan(0);
        expect(Object.keys(tracker.report().byRun)).toHaveLength(Math.min(maxRuns, runs.length));
        if (runs.length > maxRuns) expect(tracker.totals({ runId: 'r0' }).calls).toBe(0);
      }),
      { numRuns: 50 },
    );
  });
});
