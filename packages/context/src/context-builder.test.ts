import { describe, expect, it } from 'vitest';
import { asTaskId, ValidationError, type RoutedOutput, type TaskSpec } from '@runtime/contracts';
import { createFakeTokenEstimator } from '../test/support/fake-token-estimator.js';
import { createContextBuilder } from './context-builder.js';
import { thrown } from '../test/support/thrown.js';

const model = 'test-model';

function routed(id: string, content: string, truncated = false): RoutedOutput {
  return { dependencyId: asTaskId(id), content, truncated, tokens: Math.ceil(content.length / 4) };
}

describe('createContextBuilder', () => {
  const task: TaskSpec = { id: 'review', prompt: 'Review the design.', system: 'You are a reviewer.', deps: ['design', { id: 'spec', maxTokens: 50 }], memory: ['glossary', 'decisions'] };
  const tools = [{ name: 'search', description: 'Searches the docs.', parameters: { type: 'object' } }];

  it('orders system, memory, dependencies (in deps order, one message each, naming the id), then the task', () => {
    const estimator = createFakeTokenEstimator();
    const built = createContextBuilder({ estimator }).build({
      task,
      model,
      dependencies: [routed('spec', 'The spec.', true), routed('design', 'The design.')],
      memory: [
        { key: 'decisions', value: 'Use SQLite.', updatedAt: 1 },
        { key: 'glossary', value: 'DAG: graph.', updatedAt: 2 },
      ],
      tools,
    });
    expect(built.messages.map((message) => message.role)).toEqual(['system', 'user', 'user', 'user', 'user']);
    expect(built.messages[0]?.content).toBe('You are a reviewer.');
    expect(built.messages[1]?.content).toBe('<memory>\n<entry key="glossary">\nDAG: graph.\n</entry>\n<entry key="decisions">\nUse SQLite.\n</entry>\n</memory>');
    expect(built.messages[2]?.content).toBe('<dependency_output id="design">\nThe design.\n</dependency_output>');
    expect(built.messages[3]?.content).toBe('<dependency_output id="spec" truncated="true">\nThe spec.\n</dependency_output>');
    expect(built.messages[4]).toEqual({ role: 'user', content: 'Review the design.', pinned: true });
    expect(built.tools).toEqual(tools);
  });

  it('counts the prompt exactly once: tokens equal the estimator count of the messages and tools', () => {
    const estimator = createFakeTokenEstimator();
    const dependencies = [routed('design', 'x'.repeat(400)), routed('spec', 'y'.repeat(800))];
    const built = createContextBuilder({ estimator }).build({ task, model, dependencies, tools });
    const expected = estimator.countMessages(built.messages, model, tools);
    expect(built.tokens).toBe(expected);
    estimator.reset();
    createContextBuilder({ estimator }).build({ task, model, dependencies, tools });
    // One count per message, none of the routed texts counted separately.
    expect(estimator.calls).toEqual({ countText: 0, countMessage: 4, countTools: 1, countMessages: 0 });
    // Each dependency appears once in the prompt.
    expect(built.messages.filter((message) => message.content.includes('x'.repeat(400)))).toHaveLength(1);
  });

  it('is deterministic whatever order dependencies and memory arrive in', () => {
    const builder = createContextBuilder({ estimator: createFakeTokenEstimator() });
    const memory = [
      { key: 'decisions', value: 'a', updatedAt: 1 },
      { key: 'glossary', value: 'b', updatedAt: 1 },
    ];
    const one = builder.build({ task, model, dependencies: [routed('design', 'd'), routed('spec', 's')], memory });
    const two = builder.build({ task, model, dependencies: [routed('spec', 's'), routed('design', 'd')], memory: [...memory].reverse() });
    expect(two).toEqual(one);
  });

  it('uses a task’s own messages instead of a prompt, and leaves out absent parts', () => {
    const built = createContextBuilder({ estimator: createFakeTokenEstimator() }).build({
      task: { id: 't', messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello' }] },
      model,
      dependencies: [],
    });
    expect(built.messages).toEqual([{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello' }]);
    expect(built.tools).toEqual([]);
  });

  it('rejects an output of a task that is not a dependency, a dependency given twice, and malformed messages', () => {
    const builder = createContextBuilder({ estimator: createFakeTokenEstimator() });
    const stranger = thrown(() => builder.build({ task, model, dependencies: [routed('other', 'x')] }));
    expect(ValidationError.isInstance(stranger) && stranger.message).toMatch(/"other" is not a dependency of task review/);
    const twice = thrown(() => builder.build({ task, model, dependencies: [routed('spec', 'x'), routed('spec', 'x')] }));
    expect(ValidationError.isInstance(twice) && twice.message).toMatch(/given twice/);
    const badRole = thrown(() => builder.build({ task: { id: 't', messages: [{ role: 'robot' as 'user', content: 'x' }] }, model, dependencies: [] }));
    expect(ValidationError.isInstance(badRole) && badRole.message).toMatch(/task\.messages\[0\]\.role: unknown role "robot"/);
    const unasked = thrown(() => builder.build({ task, model, dependencies: [], memory: [{ key: 'secret', value: 'x', updatedAt: 0 }] }));
    expect(ValidationError.isInstance(unasked) && unasked.message).toMatch(/"secret" is not a memory key task review asked for/);
    const orphan = thrown(() => builder.build({ task: { id: 't', messages: [{ role: 'tool', content: 'r', toolCallId: 'c1' }] }, model, dependencies: [] }));
    expect(ValidationError.isInstance(orphan) && orphan.code).toBe('VALIDATION_FAILED');
  });
});
