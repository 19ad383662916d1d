/**
 * The example runs in CI: offline (the default), and against a real sidecar on loopback as with
 * `RUNTIME_URL`.
 */
import { describe, expect, it } from 'vitest';
import { createOfflineModel } from '../src/example-models.js';
import { runExample } from '../src/run-example.js';
import { startLoopbackSidecar } from './in-process-sidecar.js';

describe('apps/langchain-example', () => {
  it('runs offline: chain billed exactly under its budget, the over-budget call refused before the model, the DAG completed', async () => {
    const lines: string[] = [];
    const summary = await runExample({ log: (line) => lines.push(line) });
    expect(summary.answers).toEqual(['Answer to "Explain prompt caching in one sentence."', 'Answer to "Explain reasoning tokens in one sentence."']);
    expect(summary.chainCostUsd).toBeGreaterThan(0);
    expect(summary.chainSpentUsd).toBe(summary.chainCostUsd);
    expect(summary.refusal).toEqual({ code: 'BUDGET_EXCEEDED', modelCalls: 0 });
    expect(summary.run.state).toBe('completed');
    expect(summary.run.tasks.map((task) => [task.id, task.state])).toEqual([
      ['research-costs', 'completed'],
      ['research-budgets', 'completed'],
      ['summary', 'completed'],
    ]);
    // Usage is the model's report (cache reads included), not an estimate.
    expect(summary.run.usage.cacheReadTokens).toBeGreaterThan(0);
    expect(summary.run.usage.reasoningTokens).toBe(3 * 8);
    expect(lines.some((line) => line.includes('refused before the call: BUDGET_EXCEEDED'))).toBe(true);
  });

  it('runs the DAG on the sidecar when given its URL, streaming its events', async () => {
    const sidecar = await startLoopbackSidecar(createOfflineModel());
    try {
      const summary = await runExample({ runtimeUrl: sidecar.url, log: () => undefined });
      expect(summary.run.state).toBe('completed');
      expect(summary.eventTypes[0]).toBe('run.started');
      expect(summary.eventTypes.at(-1)).toBe('run.completed');
      expect(summary.eventTypes.filter((type) => type === 'task.completed')).toHaveLength(3);
      expect(summary.run.tasks.every((task) => (task.output ?? '').startsWith('Answer to'))).toBe(true);
    } finally {
      await sidecar.stop();
    }
  });
});
