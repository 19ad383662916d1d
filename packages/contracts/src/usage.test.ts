import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { addUsage, EMPTY_USAGE, normalizeUsage } from './usage.js';
import type { Usage } from './usage.js';
import { asModelId, asReservationId, asRunId, asTaskId, TASK_ID_PATTERN } from './ids.js';

describe('addUsage', () => {
  it('adds every field', () => {
    const a = { inputTokens: 10, outputTokens: 5, cacheReadTokens: 4, cacheWriteTokens: 1, reasoningTokens: 2 };
    const b = { inputTokens: 1, outputTokens: 2, cacheReadTokens: 0, cacheWriteTokens: 1, reasoningTokens: 1 };
    expect(addUsage(a, b)).toEqual({ inputTokens: 11, outputTokens: 7, cacheReadTokens: 4, cacheWriteTokens: 2, reasoningTokens: 3 });
    expect(addUsage()).toEqual(EMPTY_USAGE);
    expect(Object.isFrozen(EMPTY_USAGE)).toBe(true);
  });
});

describe('ids', () => {
  it('brands strings without changing them', () => {
    expect(asRunId('r1')).toBe('r1');
    expect(asTaskId('t1')).toBe('t1');
    expect(asModelId('m')).toBe('m');
    expect(asReservationId('x')).toBe('x');
  });

  it('accepts the task id alphabet only', () => {
    expect(TASK_ID_PATTERN.test('plan.v2_final-1')).toBe(true);
    expect(TASK_ID_PATTERN.test('')).toBe(false);
    expect(TASK_ID_PATTERN.test('a'.repeat(129))).toBe(false);
    expect(TASK_ID_PATTERN.test('tâche')).toBe(false);
    expect(TASK_ID_PATTERN.test('a b')).toBe(false);
  });
});

describe('normalizeUsage', () => {
  const base: Usage = { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };

  it('returns valid usage unchanged (same object)', () => {
    const valid = { ...base, cacheReadTokens: 4, cacheWriteTokens: 6, cacheWrite1hTokens: 6, reasoningTokens: 5, estimated: true };
    expect(normalizeUsage(valid)).toEqual({ usage: valid, adjusted: false, details: [] });
    expect(normalizeUsage(valid).usage).toBe(valid);
  });

  it('clamps subsets, keeping the cache write and the totals', () => {
    const result = normalizeUsage({ ...base, cacheReadTokens: 8, cacheWriteTokens: 3, cacheWrite1hTokens: 4, reasoningTokens: 7 });
    expect(result.usage).toEqual({ ...base, cacheReadTokens: 7, cacheWriteTokens: 3, cacheWrite1hTokens: 3, reasoningTokens: 5 });
    expect(result.adjusted).toBe(true);
    expect(result.details.map((detail) => [detail.field, detail.reason, detail.used])).toEqual([
      ['cacheReadTokens', 'subset', 7],
      ['reasoningTokens', 'subset', 5],
      ['cacheWrite1hTokens', 'subset', 3],
    ]);
  });

  it('turns negative, NaN, infinite and non-number counts into 0 and rounds fractions up', () => {
    const result = normalizeUsage({ ...base, inputTokens: Number.NaN, outputTokens: -3, cacheReadTokens: Number.POSITIVE_INFINITY, reasoningTokens: 'x' as unknown as number, cacheWriteTokens: 0.5 });
    expect(result.usage).toEqual({ inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 });
    expect(result.details.find((detail) => detail.field === 'inputTokens')).toEqual({ field: 'inputTokens', reported: 'NaN', used: 0, reason: 'invalid' });
    expect(normalizeUsage({ ...base, inputTokens: 1.2 }).usage.inputTokens).toBe(2);
  });

  it('property: the result always follows the rules, and never changes valid usage', () => {
    const anyCount = fc.oneof(fc.integer({ min: -5, max: 1_000 }), fc.double(), fc.constant(Number.NaN));
    fc.assert(
      fc.property(anyCount, anyCount, anyCount, anyCount, anyCount, fc.option(anyCount, { nil: undefined }), (input, output, read, write, reasoning, hour) => {
        const reported: Usage = { inputTokens: input, outputTokens: output, cacheReadTokens: read, cacheWriteTokens: write, reasoningTokens: reasoning, ...(hour === undefined ? {} : { cacheWrite1hTokens: hour }) };
        const { usage, adjusted, details } = normalizeUsage(reported);
        for (const value of [usage.inputTokens, usage.outputTokens, usage.cacheReadTokens, usage.cacheWriteTokens, usage.reasoningTokens, usage.cacheWrite1hTokens ?? 0]) {
          expect(Number.isSafeInteger(value) || Number.isInteger(value)).toBe(true);
          expect(value).toBeGreaterThanOrEqual(0);
        }
        expect(usage.cacheReadTokens + usage.cacheWriteTokens).toBeLessThanOrEqual(usage.inputTokens);
        expect(usage.reasoningTokens).toBeLessThanOrEqual(usage.outputTokens);
        expect(usage.cacheWrite1hTokens ?? 0).toBeLessThanOrEqual(usage.cacheWriteTokens);
        expect(adjusted).toBe(details.length > 0);
        if (!adjusted) expect(usage).toBe(reported);
      }),
      { numRuns: 500 },
    );
  });
});
