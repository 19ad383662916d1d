import { describe, expect, it } from 'vitest';
import { addUsage, EMPTY_USAGE } from './usage.js';
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
