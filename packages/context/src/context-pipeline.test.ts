/**
 * Router → builder → compactor on one task of the example plan, the way the orchestrator chains
 * them: what is dropped to fit a small window is exactly what the report says.
 */
import { describe, expect, it } from 'vitest';
import { asTaskId, type TaskDependency } from '@runtime/contracts';
import { createFakeTokenEstimator } from '../test/support/fake-token-estimator.js';
import { EXAMPLE_MODEL, generateExamplePlan } from '../scripts/example-plan.js';
import { createContextBuilder } from './context-builder.js';
import { createContextCompactor } from './context-compactor.js';
import { createContextRouter } from './context-router.js';

const model = EXAMPLE_MODEL;
const idOf = (dependency: TaskDependency): string => (typeof dependency === 'string' ? dependency : dependency.id);

describe('routing, building and compacting a task of the example plan', () => {
  it('drops whole dependency outputs, never the system prompt or the task, and reports them by index', async () => {
    const estimator = createFakeTokenEstimator();
    const task = generateExamplePlan().tasks.find((candidate) => candidate.id === 'orchestration');
    if (task === undefined) throw new Error('the example plan has an orchestration task');
    const router = createContextRouter({ estimator });
    const dependencies = (task.deps ?? []).map((dependency) =>
      router.route({
        dependencyId: asTaskId(idOf(dependency)),
        output: `${idOf(dependency)} output line\n`.repeat(400),
        model,
        ...(typeof dependency === 'string' || dependency.maxTokens === undefined ? {} : { maxTokens: dependency.maxTokens }),
      }),
    );
    expect(dependencies.every((output) => output.truncated)).toBe(true);
    const built = createContextBuilder({ estimator }).build({ task, model, dependencies });
    const maxTokens = built.tokens - 2_000;
    for (const strategy of ['truncate', 'priority'] as const) {
      const { messages, report } = await createContextCompactor({ estimator }).compact({ messages: built.messages, model, maxTokens, strategy });
      expect(report.tokensBefore).toBe(built.tokens);
      expect(report.tokensAfter).toBeLessThanOrEqual(maxTokens);
      expect(messages[0]).toBe(built.messages[0]);
      expect(messages.at(-1)).toBe(built.messages.at(-1));
      // Indices 1..6 are the six dependency messages; the oldest go first.
      expect(report.dropped.length).toBeGreaterThan(0);
      expect(report.dropped).toEqual(Array.from({ length: report.dropped.length }, (_, index) => index + 1));
      expect(messages).toHaveLength(built.messages.length - report.dropped.length);
    }
  });
});
