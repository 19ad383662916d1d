import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { asTaskId, type MemoryEntry, type RoutedOutput, type TaskSpec } from '@runtime/contracts';
import { createFakeTokenEstimator } from '../test/support/fake-token-estimator.js';
import { createContextBuilder } from './context-builder.js';

describe('ContextBuilder properties', () => {
  it('counts the prompt exactly once, gives each dependency one message naming it, in deps order, deterministically', { timeout: 30_000 }, () => {
    const estimator = createFakeTokenEstimator();
    const builder = createContextBuilder({ estimator });
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.stringMatching(/^[a-z]{1,8}$/), { maxLength: 6 }),
        fc.array(fc.string({ maxLength: 400 }), { minLength: 6, maxLength: 6 }),
        fc.array(fc.tuple(fc.stringMatching(/^[a-z]{1,6}$/), fc.string({ maxLength: 100 })), { maxLength: 4 }),
        fc.option(fc.string({ maxLength: 200 }), { nil: undefined }),
        fc.boolean(),
        (ids, contents, memoryPairs, system, reverse) => {
          const task: TaskSpec = { id: 'task', prompt: 'Do the work.', deps: ids, ...(system === undefined ? {} : { system }) };
          const outputs: RoutedOutput[] = ids.map((id, index) => ({ dependencyId: asTaskId(id), content: contents[index] ?? '', truncated: index % 2 === 0, tokens: 0 }));
          const memory: MemoryEntry[] = [...new Map(memoryPairs).entries()].map(([key, value]) => ({ key, value, updatedAt: 0 }));
          const built = builder.build({ task, model: 'm', dependencies: reverse ? [...outputs].reverse() : outputs, memory });
          expect(built.tokens).toBe(estimator.countMessages(built.messages, 'm', built.tools));
          const dependencyMessages = built.messages.filter((message) => message.content.startsWith('<dependency_output id="'));
          expect(dependencyMessages.map((message) => /^<dependency_output id="([^"]*)"/.exec(message.content)?.[1])).toEqual(ids);
          expect(built.messages.at(-1)).toEqual({ role: 'user', content: 'Do the work.', pinned: true });
          expect(builder.build({ task, model: 'm', dependencies: outputs, memory })).toEqual(built);
        },
      ),
      { numRuns: 150 },
    );
  });
});
