import type { RouteInput, TaskSpec } from '@runtime/contracts';
import { describe, expect, it } from 'vitest';
import { fakeEstimator, fakeRouter } from '../../test/support/fakes.js';
import { createScriptedLlm } from '../testing.js';
import { harness } from '../../test/support/setup.js';

describe('dependency routing', () => {
  it('routes a whole output once per model; select and maxTokens are routed per dependent', async () => {
    const inner = fakeRouter(fakeEstimator());
    const calls: RouteInput[] = [];
    const router = {
      route(input: RouteInput) {
        calls.push(input);
        return inner.route(input);
      },
    };
    const llm = createScriptedLlm();
    const { orchestrator } = harness(llm, { router });
    const tasks: TaskSpec[] = [
      { id: 'a', prompt: 'do a' },
      { id: 'b', prompt: 'do b', deps: ['a'] },
      { id: 'c', prompt: 'do c', deps: ['a'] },
      { id: 'd', prompt: 'do d', deps: ['a'], model: 'flagship' },
      { id: 'e', prompt: 'do e', deps: [{ id: 'a', maxTokens: 50 }] },
      { id: 'f', prompt: 'do f', deps: [{ id: 'a', maxTokens: 50 }] },
    ];
    const run = await orchestrator.wait((await orchestrator.start({ tasks, policy: { maxParallelism: 1 } })).id);
    expect(run.state).toBe('completed');
    expect(calls.map((call) => [call.dependencyId, call.model, call.maxTokens])).toEqual([
      ['a', 'fast', undefined], // b; c reuses it
      ['a', 'flagship', undefined], // d
      ['a', 'fast', 50], // e
      ['a', 'fast', 50], // f
    ]);
    // Every dependent still received the output.
    for (const id of ['b', 'c', 'd', 'e', 'f']) {
      const request = llm.requests.find((entry) => entry.messages.some((message) => message.content === `do ${id}`));
      expect(request?.messages.some((message) => message.content.includes('output of a'))).toBe(true);
    }
  });

  it('routes a dependency named twice once, by its first mention, with few and with many deps', async () => {
    const inner = fakeRouter(fakeEstimator());
    const calls: RouteInput[] = [];
    const router = {
      route(input: RouteInput) {
        calls.push(input);
        return inner.route(input);
      },
    };
    const sources: TaskSpec[] = Array.from({ length: 10 }, (_, index) => ({ id: `s${index}`, prompt: `do s${index}` }));
    const few: TaskSpec = { id: 'few', prompt: 'do few', deps: ['s0', { id: 's0', maxTokens: 5 }, 's1', 's0'] };
    const many: TaskSpec = { id: 'many', prompt: 'do many', deps: [{ id: 's2', maxTokens: 7 }, ...sources.map((source) => source.id), 's2'] };
    const { orchestrator } = harness(createScriptedLlm(), { router });
    const run = await orchestrator.wait((await orchestrator.start({ tasks: [...sources, few, many], policy: { maxParallelism: 1 } })).id);
    expect(run.state).toBe('completed');
    const few0 = calls.filter((call) => call.dependencyId === 's0');
    // s0 is routed whole for `few` (first mention) and reused by `many`; s2 is routed with its cap for `many`.
    expect(few0.map((call) => call.maxTokens)).toEqual([undefined]);
    expect(calls.filter((call) => call.dependencyId === 's2').map((call) => call.maxTokens)).toEqual([7]);
    // s0, s1 whole (for `few`, reused by `many`), s2 capped only (its later plain mention is a repeat), s3…s9 whole.
    expect(calls).toHaveLength(10);
  });
});

