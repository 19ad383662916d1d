import { BudgetError, ExecutionError, asRunId, asTaskId } from '@runtime/contracts';
import type { ToolError } from '@runtime/contracts';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { defineTool } from './define-tool.js';
import { createToolDispatcher } from './tool-dispatcher.js';
import type { ToolCallOutcome, ToolDispatchContext } from './tool-dispatcher.js';
import { createToolRegistry } from './tool-registry.js';

const base: ToolDispatchContext = { runId: asRunId('run_1'), taskId: asTaskId('t1') };

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new Error('aborted'));
    });
  });
}

function failure(outcome: ToolCallOutcome): ToolError {
  if (outcome.ok) throw new Error(`expected a failure, got ${outcome.result}`);
  return outcome.error;
}

const sleeper = defineTool({
  name: 'sleeper',
  description: 'Sleeps.',
  input: z.object({ ms: z.number().int().min(0) }),
  costUsd: 0.25,
  execute: async ({ ms }, { signal }) => {
    await sleep(ms, signal);
    return `slept ${ms}`;
  },
});

describe('createToolDispatcher', () => {
  it('runs the calls of one answer in parallel, outcomes in call order, with time and declared price', async () => {
    const dispatcher = createToolDispatcher({ registry: createToolRegistry([sleeper]) });
    const started = performance.now();
    const outcomes = await dispatcher.dispatch(
      [
        { id: 'a', name: 'sleeper', arguments: '{"ms":220}' },
        { id: 'b', name: 'sleeper', arguments: '{"ms":200}' },
        { id: 'c', name: 'sleeper', arguments: '{"ms":210}' },
      ],
      base,
    );
    const elapsed = performance.now() - started;
    expect(elapsed).toBeLessThan(500); // sequential would take ≥ 630 ms
    expect(outcomes.map((outcome) => outcome.ok && outcome.result)).toEqual(['slept 220', 'slept 200', 'slept 210']);
    for (const outcome of outcomes) {
      expect(outcome.ok && outcome.costUsd).toBe(0.25);
      expect(outcome.durationMs).toBeGreaterThanOrEqual(190);
    }
  });

  it('times a call out with TOOL_TIMEOUT and aborts the tool', async () => {
    let toolSignal: AbortSignal | undefined;
    const slow = defineTool({
      name: 'slow',
      description: 'Never answers in time.',
      input: z.object({}),
      timeoutMs: 30,
      execute: async (_args, { signal }) => {
        toolSignal = signal;
        await sleep(5_000, signal);
        return 'late';
      },
    });
    const outcome = await createToolDispatcher({ registry: createToolRegistry([slow]) }).call({ id: 'x', name: 'slow', arguments: '{}' }, base);
    const error = failure(outcome);
    expect(error.code).toBe('TOOL_TIMEOUT');
    expect(error.details).toMatchObject({ tool: 'slow', timeoutMs: 30 });
    expect(toolSignal?.aborted).toBe(true);
  });

  it('keeps a deadline longer than a timer can hold (> 2^31 - 1 ms) instead of timing the call out at once', async () => {
    const patient = defineTool({ name: 'patient', description: 'Waits for days.', input: z.object({}), timeoutMs: 30 * 24 * 3_600_000, execute: () => sleep(30).then(() => 'done') });
    const outcome = await createToolDispatcher({ registry: createToolRegistry([patient]) }).call({ id: 'p', name: 'patient', arguments: '{}' }, base);
    expect(outcome).toMatchObject({ ok: true, result: 'done' });
  });

  it('gives a tool that reads its signal only after the deadline an aborted signal', async () => {
    let late: AbortSignal | undefined;
    let release: () => void = () => undefined;
    const lazy = defineTool({
      name: 'lazy',
      description: 'Reads its signal late.',
      input: z.object({}),
      timeoutMs: 20,
      execute: async (_args, context) => {
        await new Promise<void>((resolve) => {
          release = resolve;
          setTimeout(resolve, 60);
        });
        late = context.signal;
        return 'late';
      },
    });
    const outcome = await createToolDispatcher({ registry: createToolRegistry([lazy]) }).call({ id: 'l', name: 'lazy', arguments: '{}' }, base);
    expect(failure(outcome).code).toBe('TOOL_TIMEOUT');
    await new Promise((resolve) => setTimeout(resolve, 80));
    release();
    expect(late?.aborted).toBe(true);
    expect(late?.reason).toMatchObject({ code: 'TOOL_TIMEOUT' });
  });

  it('cuts a result longer than maxResultChars, marked', async () => {
    const loud = defineTool({ name: 'loud', description: 'd', input: z.object({}), execute: () => Promise.resolve('y'.repeat(500)) });
    const outcome = await createToolDispatcher({ registry: createToolRegistry([loud]), maxResultChars: 100 }).call({ id: 'y', name: 'loud', arguments: '{}' }, base);
    expect(outcome.ok && outcome.result).toBe(`${'y'.repeat(100)}\n[truncated at 100 characters]`);
  });

  it('sends bad JSON and schema mismatches back as TOOL_INVALID_ARGUMENTS, never running the tool', async () => {
    let runs = 0;
    const counted = defineTool({
      name: 'counted',
      description: 'd',
      input: z.object({ n: z.number() }),
      execute: () => {
        runs += 1;
        return Promise.resolve('ok');
      },
    });
    const dispatcher = createToolDispatcher({ registry: createToolRegistry([counted]) });
    const badJson = failure(await dispatcher.call({ id: '1', name: 'counted', arguments: '{"n":' }, base));
    expect(badJson.code).toBe('TOOL_INVALID_ARGUMENTS');
    const badShape = failure(await dispatcher.call({ id: '2', name: 'counted', arguments: '{"n":"one"}' }, base));
    expect(badShape.code).toBe('TOOL_INVALID_ARGUMENTS');
    expect(badShape.details).toMatchObject({ tool: 'counted', issues: [{ path: ['n'] }] });
    expect(runs).toBe(0);
  });

  it('answers TOOL_NOT_FOUND for an unregistered or not-offered tool, TOOL_FAILED for a throw', async () => {
    const boom = defineTool({ name: 'boom', description: 'd', input: z.object({}), execute: () => Promise.reject(new Error('kaput')) });
    const dispatcher = createToolDispatcher({ registry: createToolRegistry([boom, sleeper]) });
    expect(failure(await dispatcher.call({ id: '1', name: 'ghost', arguments: '{}' }, base)).code).toBe('TOOL_NOT_FOUND');
    expect(failure(await dispatcher.call({ id: '2', name: 'sleeper', arguments: '{"ms":0}' }, { ...base, offered: new Set(['boom']) })).code).toBe('TOOL_NOT_FOUND');
    const thrown = failure(await dispatcher.call({ id: '3', name: 'boom', arguments: '{}' }, base));
    expect(thrown.code).toBe('TOOL_FAILED');
    expect(thrown.message).toContain('kaput');
  });

  it('throws RUN_ABORTED when the task aborts mid-call, and aborts the tool', async () => {
    const controller = new AbortController();
    const dispatcher = createToolDispatcher({ registry: createToolRegistry([sleeper]) });
    const pending = dispatcher.dispatch([{ id: 'a', name: 'sleeper', arguments: '{"ms":5000}' }], { ...base, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('user abort')), 20);
    const error: unknown = await pending.then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(ExecutionError.isInstance(error) && error.code).toBe('RUN_ABORTED');
  });

  describe('admission (context.admit)', () => {
    const registry = createToolRegistry([sleeper]);
    const dispatcher = createToolDispatcher({ registry });
    const nap = { id: 'n', name: 'sleeper', arguments: '{"ms":1}' };

    it('rethrows a refusal unchanged and never runs the tool', async () => {
      let ran = 0;
      const counting = defineTool({ name: 'counting', description: 'd', input: z.object({}), execute: () => Promise.resolve(String((ran += 1))) });
      const refusal = new BudgetError({ code: 'BUDGET_EXCEEDED', message: 'no room for the price', details: {} });
      const error: unknown = await createToolDispatcher({ registry: createToolRegistry([counting]) })
        .call({ id: 'c', name: 'counting', arguments: '{}' }, { ...base, admit: () => Promise.reject(refusal) })
        .then(
          () => undefined,
          (reason: unknown) => reason,
        );
      expect(error).toBe(refusal);
      expect(ran).toBe(0);
    });

    it('stops waiting for an admission when the task aborts, and gives back a permit granted afterwards', async () => {
      const controller = new AbortController();
      const ends: boolean[] = [];
      let grant: () => void = () => undefined;
      const admission = new Promise<{ end: (charged: boolean) => Promise<void> }>((resolve) => {
        grant = () => resolve({ end: (charged) => Promise.resolve(void ends.push(charged)) });
      });
      const pending = dispatcher.call(nap, { ...base, signal: controller.signal, admit: () => admission });
      setTimeout(() => controller.abort(new Error('stop')), 5);
      const error: unknown = await pending.then(
        () => undefined,
        (reason: unknown) => reason,
      );
      expect(ExecutionError.isInstance(error) && error.code).toBe('RUN_ABORTED');
      grant();
      await vi.waitFor(() => expect(ends).toEqual([false]));
    });

    it('ends the permit charged once the tool returned, with the outcome unchanged', async () => {
      const ends: boolean[] = [];
      const outcome = await dispatcher.call(nap, { ...base, admit: () => Promise.resolve({ end: (charged) => Promise.resolve(void ends.push(charged)) }) });
      expect(outcome).toMatchObject({ ok: true, result: 'slept 1', costUsd: 0.25 });
      expect(ends).toEqual([true]);
    });
  });

  describe('approval', () => {
    let runs = 0;
    const wire = defineTool({
      name: 'wire_money',
      description: 'Sends money.',
      input: z.object({ amount: z.number() }),
      requiresApproval: true,
      costUsd: 1,
      execute: ({ amount }) => {
        runs += 1;
        return Promise.resolve(`sent ${amount}`);
      },
    });
    const dispatcher = createToolDispatcher({ registry: createToolRegistry([wire]) });
    const call = { id: 'w1', name: 'wire_money', arguments: '{"amount":5}' };

    it('runs an approved call', async () => {
      runs = 0;
      const outcome = await dispatcher.call(call, { ...base, approve: () => Promise.resolve({ decision: 'approve' }) });
      expect(outcome).toMatchObject({ ok: true, result: 'sent 5', costUsd: 1 });
      expect(runs).toBe(1);
    });

    it('answers TOOL_REJECTED for a rejected call, or without an approver, and never runs it', async () => {
      runs = 0;
      const rejected = failure(await dispatcher.call(call, { ...base, approve: () => Promise.resolve({ decision: 'reject', reason: 'too much' }) }));
      expect(rejected.code).toBe('TOOL_REJECTED');
      expect(rejected.message).toContain('too much');
      expect(failure(await dispatcher.call(call, base)).code).toBe('TOOL_REJECTED');
      expect(runs).toBe(0);
    });

    it("appends the approver's note after the result", async () => {
      const outcome = await dispatcher.call(call, { ...base, approve: () => Promise.resolve({ decision: 'approve', message: 'ok, once' }) });
      expect(outcome).toMatchObject({ ok: true, result: 'sent 5\n\n[approved with note: ok, once]' });
    });

    it("sends a human's answer back as the result instead of running the tool", async () => {
      runs = 0;
      const outcome = await dispatcher.call(call, { ...base, approve: () => Promise.resolve({ decision: 'answer', text: 'use 3 instead' }) });
      expect(outcome).toMatchObject({ ok: true, result: 'use 3 instead', costUsd: 0 });
      expect(runs).toBe(0);
    });

    it('stops waiting for a human when the task aborts (RUN_ABORTED)', async () => {
      const controller = new AbortController();
      const pending = dispatcher.call(call, { ...base, signal: controller.signal, approve: () => new Promise(() => undefined) });
      setTimeout(() => controller.abort(new Error('cancelled')), 10);
      const error: unknown = await pending.then(
        () => undefined,
        (reason: unknown) => reason,
      );
      expect(ExecutionError.isInstance(error) && error.code).toBe('RUN_ABORTED');
    });

    it('never runs an approved call once the task aborted right after the approval arrived', async () => {
      runs = 0;
      const controller = new AbortController();
      // The reply arrives, then the task stops before the dispatcher resumes: the call must not run.
      const approvedThenStopped = {
        then(onApproved: (reply: { decision: 'approve' }) => void) {
          onApproved({ decision: 'approve' });
          controller.abort(new Error('stopped'));
        },
      } as unknown as Promise<{ decision: 'approve' }>;
      const error: unknown = await dispatcher.call(call, { ...base, signal: controller.signal, approve: () => approvedThenStopped }).then(
        () => undefined,
        (reason: unknown) => reason,
      );
      expect(ExecutionError.isInstance(error) && error.code).toBe('RUN_ABORTED');
      expect(runs).toBe(0);
    });

    it('asks only after the arguments are valid', async () => {
      let asked = 0;
      const outcome = await dispatcher.call(
        { id: 'w2', name: 'wire_money', arguments: '{"amount":"all"}' },
        {
          ...base,
          approve: () => {
            asked += 1;
            return Promise.resolve({ decision: 'approve' });
          },
        },
      );
      expect(failure(outcome).code).toBe('TOOL_INVALID_ARGUMENTS');
      expect(asked).toBe(0);
    });
  });
});
