import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ContextError, type TaskTier } from '@runtime/contracts';
import { createFakeTokenEstimator } from '../test/support/fake-token-estimator.js';
import { buildTieredPrompt } from './tiered-prompt.js';

const words = (maximum: number): fc.Arbitrary<string> => fc.array(fc.constantFrom('alpha', 'beta', 'gamma', 'delta', '{ a: string }', '\n'), { minLength: 1, maxLength: maximum }).map((parts) => parts.join(' '));

describe('buildTieredPrompt properties', () => {
  it('fits its budget or fails with CONTEXT_TOO_LARGE; every cut is reported and marked; role, task and criteria survive', { timeout: 30_000 }, () => {
    const estimator = createFakeTokenEstimator();
    fc.assert(
      fc.property(
        fc.constantFrom<TaskTier>(1, 2, 3),
        fc.array(words(300), { maxLength: 4 }),
        fc.array(words(30), { maxLength: 6 }),
        words(400),
        fc.integer({ min: 60, max: 2_000 }),
        (tier, contracts, rules, architecture, budget) => {
          const input = {
            tier,
            role: 'Engineer',
            task: 'Build the thing.',
            successCriteria: ['it works'],
            contracts: contracts.map((text, index) => ({ name: `c${index}`, text })),
            pattern: 'factory functions',
            businessRules: rules,
            edgeCases: rules,
            security: rules,
            architectureContext: architecture,
          };
          let prompt;
          try {
            prompt = buildTieredPrompt(input, { estimator, model: 'm', budgets: { [tier]: budget } });
          } catch (error) {
            expect(ContextError.isInstance(error)).toBe(true);
            if (ContextError.isInstance(error)) expect(Number(error.details['minimumTokens'])).toBeGreaterThan(budget);
            return;
          }
          expect(prompt.tokens).toBe(estimator.countText(prompt.text, 'm'));
          expect(prompt.tokens).toBeLessThanOrEqual(budget);
          for (const tag of ['role', 'task', 'success_criteria']) expect(prompt.text).toContain(`<${tag}>`);
          const truncated = prompt.cuts.filter((cut) => cut.action === 'truncated').length;
          expect(prompt.text.match(/\[cut: this section had \d+ tokens/g)?.length ?? 0).toBe(truncated);
          // Section counts are rounded, so a small cut may keep its count; it never grows.
          for (const cut of prompt.cuts) expect(cut.tokensAfter).toBeLessThanOrEqual(cut.tokensBefore);
        },
      ),
      { numRuns: 150 },
    );
  });
});
