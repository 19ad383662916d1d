/**
 * The orchestrator with the real resilient client of @runtime/providers around a scripted LLM:
 * retries are the client's job and are journaled as `task.retrying`; identical in-flight calls are
 * sent once and only the real call is billed.
 */
import { createResilientClient } from '@runtime/providers';
import type { RuntimeEvent } from '@runtime/contracts';
import { describe, expect, it } from 'vitest';
import { createScriptedLlm } from '@runtime/orchestration/testing';
import { realRuntime } from './support/real-runtime.js';
import { ProviderError } from '@runtime/contracts';

async function events(iterable: AsyncIterable<RuntimeEvent>): Promise<RuntimeEvent[]> {
  const out: RuntimeEvent[] = [];
  for await (const event of iterable) out.push(event);
  return out;
}

describe('orchestrator + resilient client', () => {
  it('journals each retry as task.retrying and counts the attempts', async () => {
    const scripted = createScriptedLlm({
      fail: (id, call) =>
        id === 'flaky' && call < 3
          ? new ProviderError({ code: 'PROVIDER_ERROR', message: 'busy', details: { status: 503, kind: 'transient' }, isRetryable: true })
          : undefined,
    });
    const llm = createResilientClient(scripted, { retry: { maxAttempts: 4, baseDelayMs: 1 }, sleep: () => Promise.resolve() });
    const runtime = realRuntime(llm);
    const run = await runtime.run({ tasks: [{ id: 'flaky', prompt: 'Try hard.' }] });
    expect(run.state).toBe('completed');
    expect(run.tasks[0]?.attempts).toBe(3);
    const log = await events(runtime.orchestrator.events(run.id));
    expect(log.filter((event) => event.type === 'task.retrying').map((event) => ('attempt' in event ? event.attempt : 0))).toEqual([1, 2]);
    expect(log.find((event) => event.type === 'task.completed')).toMatchObject({ attempt: 3 });
  });

  it('an abort during the retry backoff counts only the calls made (3 calls → attempts 3, not 4)', async () => {
    const scripted = createScriptedLlm({
      fail: () => new ProviderError({ code: 'PROVIDER_ERROR', message: 'busy', details: { status: 503, kind: 'transient' }, isRetryable: true }),
    });
    let retries = 0;
    let abortRun: () => void = () => undefined;
    // The third failed call schedules a retry; the run is aborted while that backoff sleeps.
    const sleep = (_ms: number, signal?: AbortSignal): Promise<void> =>
      new Promise((resolve, reject) => {
        retries += 1;
        if (retries < 3) {
          resolve();
          return;
        }
        signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
        abortRun();
      });
    const llm = createResilientClient(scripted, { retry: { maxAttempts: 6, baseDelayMs: 1 }, sleep });
    const runtime = realRuntime(llm);
    const started = await runtime.orchestrator.start({ tasks: [{ id: 'flaky', prompt: 'Try hard.' }] });
    abortRun = () => void runtime.orchestrator.abort(started.id, 'stop');
    const run = await runtime.orchestrator.wait(started.id);
    expect(run.state).toBe('aborted');
    expect(scripted.requests).toHaveLength(3);
    expect(run.tasks[0]?.attempts).toBe(3);
  });

  it('sends identical in-flight calls once and bills only the real one', async () => {
    const scripted = createScriptedLlm({ latency: () => 10 });
    const llm = createResilientClient(scripted, { sleep: () => Promise.resolve() });
    const runtime = realRuntime(llm);
    const same = 'Summarise the same document.';
    const run = await runtime.run({
      tasks: [
        { id: 'one', prompt: same },
        { id: 'two', prompt: same },
      ],
      policy: { maxParallelism: 2, budgetUsd: 1 },
    });
    expect(run.state).toBe('completed');
    expect(scripted.requests).toHaveLength(1);
    const costs = run.tasks.map((task) => task.usage.costUsd);
    expect(costs.filter((cost) => cost > 0)).toHaveLength(1);
    expect(costs.filter((cost) => cost === 0)).toHaveLength(1);
    expect(run.budget?.spentUsd).toBe(run.usage.costUsd);
    const log = await events(runtime.orchestrator.events(run.id));
    expect(log.filter((event) => event.type === 'provider.deduplicated')).toHaveLength(1);
  });
});
