import { describe, expect, it } from 'vitest';
import { asTaskId, ValidationError, type RouteInput } from '@runtime/contracts';
import { createFakeTokenEstimator } from '../test/support/fake-token-estimator.js';
import { createContextRouter } from './context-router.js';
import { thrown } from '../test/support/thrown.js';

const model = 'test-model';
const dependencyId = asTaskId('design');
const output = JSON.stringify({ summary: 'Use a DAG scheduler.', items: [{ name: 'scheduler', size: 3 }, { name: 'queue' }], count: 2 });

describe('createContextRouter', () => {
  const estimator = createFakeTokenEstimator();
  const router = createContextRouter({ estimator });
  const route = (input: Partial<RouteInput>) => router.route({ dependencyId, output, model, ...input });

  it('delivers the whole output when nothing is selected', () => {
    expect(route({})).toEqual({ dependencyId, content: output, truncated: false, tokens: estimator.countText(output, model) });
  });

  it('selects strings as they are and other values as compact JSON', () => {
    expect(route({ select: '$.summary' }).content).toBe('Use a DAG scheduler.');
    expect(route({ select: '$.items[0].name' }).content).toBe('scheduler');
    expect(route({ select: '$.items[0]' }).content).toBe('{"name":"scheduler","size":3}');
    expect(route({ select: '$.count' }).content).toBe('2');
    expect(route({ select: '$' }).content).toBe(output);
  });

  it('fails with a typed error naming where the path stopped applying', () => {
    const cases: [string, RegExp][] = [
      ['$.missing', /\$ has no field "missing"/],
      ['$.items[5].name', /\$\.items has 2 items, no index 5/],
      ['$.summary.text', /\$\.summary is a string, not an object with field "text"/],
      ['$.count[0]', /\$\.count is a number, not an array/],
      ['summary', /is not a path such as \$\.summary/],
    ];
    for (const [select, message] of cases) {
      const error = thrown(() => route({ select }));
      expect(ValidationError.isInstance(error) && error.code).toBe('VALIDATION_FAILED');
      expect(error instanceof Error && error.message).toMatch(message);
      expect(ValidationError.isInstance(error) && error.details['dependencyId']).toBe('design');
    }
    const notJson = thrown(() => route({ output: 'plain text', select: '$.summary' }));
    expect(notJson instanceof Error && notJson.message).toMatch(/the output is not JSON/);
  });

  it('caps the text at maxTokens with an explicit marker naming the dependency and both sizes', () => {
    const long = 'lorem ipsum '.repeat(200);
    const result = route({ output: long, maxTokens: 100 });
    expect(result.truncated).toBe(true);
    expect(result.tokens).toBeLessThanOrEqual(100);
    expect(result.tokens).toBe(estimator.countText(result.content, model));
    expect(result.content).toMatch(/\n\[truncated: output of design cut from 600 to at most 100 tokens\]$/);
    expect(long.startsWith(result.content.slice(0, result.content.indexOf('\n[truncated')))).toBe(true);
    // The longest prefix that fits is kept: one more character would not fit.
    expect(result.tokens).toBeGreaterThanOrEqual(99);
  });

  it('does not cut text that fits, and never splits a surrogate pair', () => {
    expect(route({ output: 'short', maxTokens: 10 }).truncated).toBe(false);
    const emoji = '😀'.repeat(300);
    const result = route({ output: emoji, maxTokens: 40 });
    const kept = result.content.slice(0, result.content.indexOf('\n[truncated'));
    expect(kept.length % 2).toBe(0);
    expect(kept).toBe('😀'.repeat(kept.length / 2));
  });

  it('rejects a cap that cannot hold the marker and a non-integer cap', () => {
    expect(thrown(() => route({ output: 'x'.repeat(400), maxTokens: 3 })) instanceof ValidationError).toBe(true);
    const fractional = thrown(() => route({ maxTokens: 2.5 }));
    expect(fractional instanceof Error && fractional.message).toMatch(/maxTokens: must be an integer ≥ 1, got 2.5/);
  });
});
