import { createModelCatalog } from '@runtime/cost';
import { createMockLlmClient, type MockLlmClientOptions } from '@runtime/providers';
import { describe, expect, it } from 'vitest';
import { createRuntime } from './create-runtime.js';
import { OFFLINE_CATALOG } from './offline-models.js';
import type { RuntimeStreamPart } from './stream.js';

function slowRuntime(options: MockLlmClientOptions = {}): ReturnType<typeof createRuntime> {
  return createRuntime({
    catalog: createModelCatalog({ builtin: false, catalogs: [OFFLINE_CATALOG] }),
    clients: { mock: createMockLlmClient({ chunkDelayMs: 2, ...options }) },
  });
}

describe('runtime.stream', () => {
  it('yields start, each task with its text deltas then its output, usage and cost, then finish', async () => {
    const runtime = slowRuntime({ respond: () => ({ output: 'Budgets keep agents honest and cheap.' }) });
    const parts: RuntimeStreamPart[] = [];
    for await (const part of runtime.stream({ tasks: [{ id: 'a', prompt: 'one' }, { id: 'b', prompt: 'two', deps: ['a'] }] })) parts.push(part);
    expect(parts[0]?.type).toBe('start');
    expect(parts.at(-1)).toMatchObject({ type: 'finish', run: { state: 'completed' } });
    for (const id of ['a', 'b']) {
      const mine = parts.filter((part) => 'taskId' in part && part.taskId === id);
      expect(mine[0]?.type).toBe('task-start');
      const finish = mine.at(-1);
      if (finish?.type !== 'task-finish') throw new Error(`no task-finish for ${id}`);
      const texts = mine.flatMap((part) => (part.type === 'text-delta' ? [part.text] : []));
      expect(texts.length).toBeGreaterThan(1);
      expect(texts.join('')).toBe(finish.output);
      expect(finish.output).toBe('Budgets keep agents honest and cheap.');
      expect(finish.costUsd).toBeGreaterThan(0);
      expect(finish.usage.outputTokens).toBeGreaterThan(0);
    }
    // Event order: all of a's parts before b starts (b depends on a).
    const types = parts.map((part) => ('taskId' in part ? `${part.type}:${part.taskId}` : part.type));
    expect(types.indexOf('task-finish:a')).toBeLessThan(types.indexOf('task-start:b'));
    await runtime.close();
  });

  it('streams tool-call fragments that concatenate to the arguments', async () => {
    const runtime = slowRuntime({
      toolArgumentsChunkChars: 5,
      respond: () => ({ output: 'Paying.', toolCalls: [{ id: 'c1', name: 'pay', arguments: '{"to":"Bob","amount":10}' }] }),
    });
    const fragments: string[] = [];
    let first: RuntimeStreamPart | undefined;
    for await (const part of runtime.stream({ tasks: [{ id: 'pay', prompt: 'pay Bob' }] })) {
      if (part.type !== 'tool-call-delta') continue;
      first ??= part;
      fragments.push(part.toolCall.arguments ?? '');
    }
    expect(first).toMatchObject({ type: 'tool-call-delta', taskId: 'pay', toolCall: { index: 0, id: 'c1', name: 'pay' } });
    expect(fragments.length).toBeGreaterThan(2);
    expect(fragments.join('')).toBe('{"to":"Bob","amount":10}');
    await runtime.close();
  });

  it('a break out of the loop aborts the run: the in-flight call is cancelled and later tasks are skipped', async () => {
    const runtime = slowRuntime({ chunkDelayMs: 20, respond: () => ({ output: 'one two three four five six seven eight' }) });
    let runId: string | undefined;
    for await (const part of runtime.stream({ tasks: [{ id: 'a', prompt: 'x' }, { id: 'b', prompt: 'y', deps: ['a'] }] })) {
      if (part.type === 'start') runId = part.run.id;
      if (part.type === 'text-delta') break;
    }
    const run = await runtime.orchestrator.get(runId as never);
    expect(run?.state).toBe('aborted');
    expect(run?.tasks.map((task) => task.state)).toEqual(['failed', 'skipped']);
    expect(run?.budget?.reservedUsd ?? 0).toBe(0);
    await runtime.close();
  });

  it("onBreak: 'detach' leaves the run going; its final view has the whole output", async () => {
    const runtime = slowRuntime({ respond: () => ({ output: 'one two three' }) });
    let runId: string | undefined;
    for await (const part of runtime.stream({ tasks: [{ id: 'a', prompt: 'x' }] }, { onBreak: 'detach' })) {
      if (part.type === 'start') runId = part.run.id;
      if (part.type === 'text-delta') break;
    }
    const run = await runtime.orchestrator.wait(runId as never);
    expect(run.state).toBe('completed');
    expect(run.tasks[0]?.output).toBe('one two three');
    await runtime.close();
  });

  it('a signal aborts the run; the stream ends with the aborted run', async () => {
    const runtime = slowRuntime({ chunkDelayMs: 20, respond: () => ({ output: 'one two three four five' }) });
    const controller = new AbortController();
    const parts: RuntimeStreamPart[] = [];
    for await (const part of runtime.stream({ tasks: [{ id: 'a', prompt: 'x' }] }, { signal: controller.signal })) {
      parts.push(part);
      if (part.type === 'text-delta') controller.abort();
    }
    expect(parts.at(-1)).toMatchObject({ type: 'finish', run: { state: 'aborted' } });
    expect(parts.filter((part) => part.type === 'text-delta').length).toBeLessThan(5);
    await runtime.close();
  });

  it('a signal aborted while the run is being started still aborts it (before: the listener came too late and the run completed)', async () => {
    const runtime = slowRuntime({ chunkDelayMs: 20, respond: () => ({ output: 'one two three four five' }) });
    const controller = new AbortController();
    const stream: AsyncIterator<RuntimeStreamPart> = runtime.stream({ tasks: [{ id: 'a', prompt: 'x' }] }, { signal: controller.signal })[Symbol.asyncIterator]();
    const first = stream.next(); // starts the run
    controller.abort();
    const parts: RuntimeStreamPart[] = [];
    for (let next = await first; next.done !== true; next = await stream.next()) parts.push(next.value);
    expect(parts[0]?.type).toBe('start');
    expect(parts.at(-1)).toMatchObject({ type: 'finish', run: { state: 'aborted' } });
    await runtime.close();
  });
});
