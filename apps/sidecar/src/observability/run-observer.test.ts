import { asRunId, asTaskId, type Orchestrator, type RuntimeEvent } from '@runtime/contracts';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createRunObserver } from './run-observer.js';
import { createSidecarMetrics } from './sidecar-metrics.js';

describe('createRunObserver', () => {
  it('turns events into metrics (spans are the library\'s), and unsubscribes at the terminal event', async () => {
    let listener: ((event: RuntimeEvent) => void) | undefined;
    let unsubscribed = false;
    const orchestrator = {
      subscribe: (_runId: string, next: (event: RuntimeEvent) => void) => {
        listener = next;
        return () => {
          unsubscribed = true;
        };
      },
      get: () => Promise.resolve(undefined),
    } as unknown as Orchestrator;
    const metrics = createSidecarMetrics({ defaultMetrics: false });
    const observer = createRunObserver({ orchestrator, metrics, logger: pino({ level: 'silent' }) });
    const runId = asRunId('run-1');
    observer.watch(runId);
    expect(observer.watching).toBe(1);
    const base = { runId, at: '2026-01-01T00:00:00.000Z' };
    const usage = { inputTokens: 100, outputTokens: 40, cacheReadTokens: 10, cacheWriteTokens: 0, reasoningTokens: 5, costUsd: 0.0123 };
    const events: RuntimeEvent[] = [
      { ...base, seq: 1, type: 'task.ready', taskId: asTaskId('a') },
      { ...base, seq: 2, type: 'task.started', taskId: asTaskId('a'), attempt: 1, model: 'gpt-x' },
      { ...base, seq: 3, type: 'task.completed', taskId: asTaskId('a'), attempt: 1, usage, costUsd: 0.0123 },
      { ...base, seq: 4, type: 'provider.circuit', provider: 'openai', model: 'gpt-x', from: 'closed', to: 'open' },
      { ...base, seq: 5, type: 'run.completed', usage },
    ];
    for (const event of events) listener?.(event);

    expect(unsubscribed).toBe(true);
    expect(observer.watching).toBe(0);

    const text = await metrics.registry.metrics();
    expect(text).toContain('runtime_tokens_total{type="input",model="gpt-x"} 100');
    expect(text).toContain('runtime_circuit_state{provider="openai",model="gpt-x"} 2');
    expect(text).toContain('runtime_runs_total{state="completed"} 1');
    expect(text).toContain('runtime_queue_depth 0');
  });
});
