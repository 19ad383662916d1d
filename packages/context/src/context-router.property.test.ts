import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { asTaskId } from '@runtime/contracts';
import { createFakeTokenEstimator } from '../test/support/fake-token-estimator.js';
import { createContextRouter } from './context-router.js';

describe('ContextRouter properties', () => {
  it('a capped output fits its cap, keeps a prefix of the original and marks every cut', { timeout: 30_000 }, () => {
    const estimator = createFakeTokenEstimator();
    const router = createContextRouter({ estimator });
    fc.assert(
      fc.property(fc.string({ maxLength: 2_000, unit: 'grapheme' }), fc.integer({ min: 30, max: 400 }), (output, maxTokens) => {
        const routed = router.route({ dependencyId: asTaskId('dep'), output, maxTokens, model: 'm' });
        expect(routed.tokens).toBe(estimator.countText(routed.content, 'm'));
        expect(routed.tokens).toBeLessThanOrEqual(Math.max(maxTokens, estimator.countText(output, 'm')));
        if (!routed.truncated) {
          expect(routed.content).toBe(output);
          return;
        }
        expect(routed.tokens).toBeLessThanOrEqual(maxTokens);
        const marker = routed.content.lastIndexOf('\n[truncated: output of dep cut from ');
        expect(marker).toBeGreaterThanOrEqual(0);
        expect(output.startsWith(routed.content.slice(0, marker))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
