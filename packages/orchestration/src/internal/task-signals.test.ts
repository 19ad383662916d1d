import { getEventListeners } from 'node:events';
import type { LlmClient, LlmResult, TaskSpec } from '@runtime/contracts';
import { describe, expect, it } from 'vitest';
import { harness } from '../../test/support/setup.js';
import { TaskSignals } from './task-signals.js';

const RESULT: LlmResult = {
  output: 'ok',
  usage: { inputTokens: 10, outputTokens: 2, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
  finishReason: 'stop',
};

describe('TaskSignals', () => {
  it('aborts every active signal with the run reason, reuses only unaborted controllers', () => {
    const run = new AbortController();
    const signals = new TaskSignals(run.signal, 2);
    const first = signals.acquire();
    signals.release(first);
    expect(signals.acquire()).toBe(first); // reused: it was never aborted
    const second = signals.acquire();
    expect(signals.active).toBe(2);
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(1);
    const reason = new Error('stop');
    run.abort(reason);
    expect(first.signal.reason).toBe(reason);
    expect(second.signal.reason).toBe(reason);
    expect(signals.active).toBe(0);
    signals.release(first);
    const late = signals.acquire();
    expect(late).not.toBe(first);
    expect(late.signal.aborted).toBe(true);
    expect(late.signal.reason).toBe(reason);
  });
});

describe('abort signals handed to model calls', () => {
  it('gives each in-flight call its own signal: no MaxListenersExceededWarning past 10 tasks, all abort with the run', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => {
      warnings.push(warning);
    };
    process.on('warning', onWarning);
    try {
      const signals: AbortSignal[] = [];
      const releases: (() => void)[] = [];
      // Like a real client: one abort listener per call, removed when the call ends.
      const llm: LlmClient = {
        provider: 'fake',
        complete: (_request, options) =>
          new Promise<LlmResult>((resolve, reject) => {
            const signal = options?.signal;
            if (signal === undefined) throw new Error('no signal');
            signals.push(signal);
            const onAbort = (): void => reject(new Error('aborted'));
            signal.addEventListener('abort', onAbort, { once: true });
            releases.push(() => {
              signal.removeEventListener('abort', onAbort);
              resolve(RESULT);
            });
          }),
      };
      const { orchestrator } = harness(llm);
      const tasks: TaskSpec[] = Array.from({ length: 30 }, (_, index) => ({ id: `t${index}`, prompt: `do ${index}` }));
      const started = await orchestrator.start({ tasks, policy: { maxParallelism: 24 } });
      while (signals.length < 24) await new Promise((resolve) => setImmediate(resolve));
      expect(new Set(signals).size).toBe(24);
      for (const signal of signals) expect(getEventListeners(signal, 'abort').length).toBeLessThanOrEqual(2);
      // Half of them end normally; their signals are reused by the next tasks.
      for (const release of releases.splice(0, 12)) release();
      while (signals.length < 30) await new Promise((resolve) => setImmediate(resolve));
      const running = signals.slice(12);
      expect(new Set(running).size).toBe(running.length);
      const aborted = await orchestrator.abort(started.id, 'user');
      expect(aborted.state).toBe('aborted');
      for (const signal of running) expect(signal.aborted).toBe(true);
      expect(aborted.tasks.filter((task) => task.state === 'completed')).toHaveLength(12);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((warning) => warning.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
