/**
 * Property, on the real parts (createRuntime, one shared ledger as a Redis ledger would be, one run
 * store): an agent task of n steps whose process stops during any step's model call, resumed by
 * another process, gives the same final answer, runs every tool call exactly once, and leaves the
 * books balanced (spent = the tasks' costs, nothing reserved).
 */
import { defineTool } from '@runtime/agent';
import { type LlmCallOptions, type LlmClient, type LlmRequest, type LlmResult, type Usage } from '@runtime/contracts';
import { createBudgetLedger } from '@runtime/cost';
import { createMemoryRunStore } from '@runtime/orchestration';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createRuntime } from '../src/index.js';

const USAGE: Usage = { inputTokens: 80, outputTokens: 10, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };

/** Steps 1..n-1 call `lookup` with the step number; step n answers with every result it got. */
function stepsLlm(steps: number, hangAt?: number): LlmClient & { calls: number } {
  const client = {
    provider: 'scripted',
    calls: 0,
    complete(request: LlmRequest, options?: LlmCallOptions): Promise<LlmResult> {
      const results = request.messages.filter((message) => message.role === 'tool').map((message) => message.content);
      const step = results.length + 1;
      client.calls += 1;
      if (step === hangAt) {
        return new Promise((_resolve, reject) => options?.signal?.addEventListener('abort', () => reject(new Error('process stopped')), { once: true }));
      }
      if (step < steps) {
        return Promise.resolve({ output: '', toolCalls: [{ id: `call_${step}`, name: 'lookup', arguments: JSON.stringify({ n: step }) }], usage: USAGE, finishReason: 'tool_calls' });
      }
      return Promise.resolve({ output: `done: ${results.join(',')}`, usage: USAGE, finishReason: 'stop' });
    },
  };
  return client;
}

describe('agent task: stop during any step, resume elsewhere', () => {
  it('property: same answer, each tool call run once, books balanced', { timeout: 60_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 4 }).chain((steps) => fc.tuple(fc.constant(steps), fc.integer({ min: 1, max: steps }))), async ([steps, hangAt]) => {
        const runs = new Map<number, number>();
        const lookup = defineTool({
          name: 'lookup',
          description: 'Looks a number up.',
          input: z.object({ n: z.number() }),
          execute: ({ n }) => {
            runs.set(n, (runs.get(n) ?? 0) + 1);
            return Promise.resolve(`r${n}`);
          },
        });
        const store = createMemoryRunStore();
        const ledger = createBudgetLedger();
        const spec = { tasks: [{ id: 'agent', prompt: 'Look things up.', agent: { tools: ['lookup'] } }], policy: { budgetUsd: 1 } };
        const dying = stepsLlm(steps, hangAt);
        const first = createRuntime({ llm: dying, store, ledger, owner: 'first', tracing: false, tools: [lookup] });
        const started = await first.start(spec);
        await vi.waitFor(() => expect(dying.calls).toBe(hangAt));
        await first.orchestrator.close(); // the process stops: the call is aborted, the lease released

        const second = createRuntime({ llm: stepsLlm(steps), store, ledger, owner: 'second', tracing: false, tools: [lookup] });
        await second.orchestrator.resume(started.id);
        const run = await second.orchestrator.wait(started.id);
        expect(run.state).toBe('completed');
        expect(run.tasks[0]?.output).toBe(`done: ${Array.from({ length: steps - 1 }, (_, index) => `r${index + 1}`).join(',')}`);
        expect([...runs.entries()].sort(([a], [b]) => a - b)).toEqual(Array.from({ length: steps - 1 }, (_, index) => [index + 1, 1]));
        const snapshot = await ledger.snapshot(`run:${started.id}`);
        expect(snapshot.reserved).toBe(0n);
        expect(snapshot.spent).toBe(run.tasks.reduce((sum, task) => sum + second.costs.cost(task.model, task.usage), 0n));
        await second.orchestrator.close();
      }),
      { numRuns: 12 },
    );
  });
});
