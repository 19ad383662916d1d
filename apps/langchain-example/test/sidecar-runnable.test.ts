/**
 * SidecarRunRunnable against the real sidecar started in-process on loopback.
 */
import type { Run, RunSpec, RuntimeEvent } from '@runtime/contracts';
import { runSpecSchema } from '@runtime/contracts/schemas';
import { SidecarRunRunnable } from '@runtime/langchain';
import { ScriptedChatModel } from '@runtime/langchain/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ZodType } from 'zod';
import type { RunningSidecar } from '../../sidecar/src/start-sidecar.js';
import { startLoopbackSidecar } from './in-process-sidecar.js';

let sidecar: RunningSidecar;
// The sidecar's tasks run on a LangChain model; a prompt containing "slow" takes 5 s.
const usage = { input_tokens: 20, output_tokens: 5, total_tokens: 25, input_token_details: { cache_read: 8 }, output_token_details: { reasoning: 2 } };
const fast = new ScriptedChatModel({ respond: (messages) => ({ content: `done: ${(messages.at(-1)?.text ?? '').slice(0, 30)}`, usage }) });
const slow = new ScriptedChatModel({ delayMs: 5_000, respond: () => ({ content: 'late', usage }) });
beforeAll(async () => {
  sidecar = await startLoopbackSidecar(fast);
});
afterAll(async () => {
  await sidecar.stop();
});

const dag = {
  tasks: [
    { id: 'a', prompt: 'First step', maxOutputTokens: 64 },
    { id: 'b', prompt: 'Second step', maxOutputTokens: 64 },
    { id: 'c', prompt: 'Join them', deps: ['a', 'b'], maxOutputTokens: 64 },
  ],
  policy: { maxParallelism: 2, budgetUsd: 1 },
};

describe('SidecarRunRunnable', () => {
  it('stream() submits the DAG and yields every event in sequence, ending with run.completed', async () => {
    const runner = new SidecarRunRunnable({ url: sidecar.url });
    const events: RuntimeEvent[] = [];
    for await (const part of await runner.stream(dag)) if ('seq' in part) events.push(part);
    expect(events[0]?.type).toBe('run.started');
    expect(events.at(-1)?.type).toBe('run.completed');
    expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
    const completed = events.filter((event) => event.type === 'task.completed').map((event) => ('taskId' in event ? event.taskId : ''));
    expect(completed.sort()).toEqual(['a', 'b', 'c']);
    // c started only after both of its dependencies completed.
    const position = (type: string, task: string): number => events.findIndex((event) => event.type === type && 'taskId' in event && event.taskId === task);
    expect(position('task.started', 'c')).toBeGreaterThan(Math.max(position('task.completed', 'a'), position('task.completed', 'b')));
  });

  it('a stream cut before the end is resumed from Last-Event-ID: no event lost or repeated', async () => {
    const eventRequests: (string | null)[] = [];
    const cutting: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      const url = input instanceof Request ? input.url : input.toString();
      if (!url.includes('/events')) return response;
      eventRequests.push(new Headers(init?.headers).get('last-event-id'));
      if (eventRequests.length > 1 || response.body === null) return response;
      // The first connection drops right after its first event (a block with data; comments and
      // `retry:` lines may come first).
      const reader = response.body.getReader();
      let text = '';
      const firstEventEnd = (): number => {
        const start = text.indexOf('data:');
        return start === -1 ? -1 : text.indexOf('\n\n', start);
      };
      while (firstEventEnd() === -1) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value as Uint8Array);
      }
      await reader.cancel();
      return new Response(text.slice(0, firstEventEnd() + 2), { status: 200, headers: { 'content-type': 'text/event-stream' } });
    };
    const events: RuntimeEvent[] = [];
    for await (const part of await new SidecarRunRunnable({ url: sidecar.url, fetch: cutting }).stream(dag)) if ('seq' in part) events.push(part);
    expect(eventRequests).toEqual([null, '1']);
    expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
    expect(events.at(-1)?.type).toBe('run.completed');
  });

  it('invoke() resolves with the final run, task outputs and exact usage included', async () => {
    const run = await new SidecarRunRunnable({ url: sidecar.url }).invoke(dag);
    expect(run.state).toBe('completed');
    expect(run.tasks.map((task) => task.state)).toEqual(['completed', 'completed', 'completed']);
    expect(run.tasks.every((task) => typeof task.output === 'string' && task.output.length > 0)).toBe(true);
    expect(run.usage).toMatchObject({ inputTokens: 60, outputTokens: 15, cacheReadTokens: 24, reasoningTokens: 6 });
    expect(run.usage.costUsd).toBeGreaterThan(0);
    expect(run.usage.costUsd).toBeCloseTo(run.tasks.reduce((sum, task) => sum + task.usage.costUsd, 0), 9);
  });

  it('asTool() makes it a LangChain tool an agent can call; the tool returns the final run', async () => {
    // The wire schema of a run request (HTTP API v1) is the tool's argument schema. It is typed
    // `ZodType<RunSpec, unknown>` (it parses any input); LangChain wants input = output.
    const schema = runSpecSchema as ZodType<RunSpec, RunSpec>;
    const runDag = new SidecarRunRunnable({ url: sidecar.url }).asTool({ name: 'run_dag', description: 'Runs a DAG of LLM tasks on the agent runtime.', schema });
    expect(runDag.name).toBe('run_dag');
    const run = (await runDag.invoke({ tasks: [{ id: 'only', prompt: 'Hello' }] })) as Run;
    expect(run.state).toBe('completed');
    expect(run.tasks[0]?.output).toMatch(/^done:/);
  });

  it('turns the sidecar error envelope into a typed error (DAG_CYCLE with its cycle)', async () => {
    const cyclic = { tasks: [{ id: 'x', prompt: 'x', deps: ['y'] }, { id: 'y', prompt: 'y', deps: ['x'] }] };
    await expect(new SidecarRunRunnable({ url: sidecar.url }).invoke(cyclic)).rejects.toMatchObject({ code: 'DAG_CYCLE', details: { status: 422 } });
  });

  it('a signal aborted while the run is being submitted still aborts the run the sidecar created', async () => {
    const slowSidecar = await startLoopbackSidecar(slow);
    const controller = new AbortController();
    let runId: string | undefined;
    // The run is created, then the caller aborts before the runnable has attached its abort listener.
    const abortingAfterSubmit: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (init?.method !== 'POST' || !(input instanceof Request ? input.url : input.toString()).endsWith('/v1/runs')) return response;
      const text = await response.text();
      runId = (JSON.parse(text) as Run).id;
      controller.abort(new Error('caller gave up'));
      return new Response(text, { status: response.status, headers: response.headers });
    };
    const runner = new SidecarRunRunnable({ url: slowSidecar.url, fetch: abortingAfterSubmit });
    try {
      await expect(runner.invoke({ tasks: [{ id: 'slow', prompt: 'Take your time', maxOutputTokens: 64 }] }, { signal: controller.signal })).rejects.toMatchObject({ code: 'RUN_ABORTED' });
      expect(runId).toBeDefined();
      let state = '';
      for (let attempt = 0; attempt < 50 && state !== 'aborted'; attempt += 1) {
        state = (await new SidecarRunRunnable({ url: slowSidecar.url }).fetchRun(runId ?? '')).state;
        if (state !== 'aborted') await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(state).toBe('aborted');
    } finally {
      await slowSidecar.stop();
    }
  });

  it('invoke() aborted while it follows the event stream rejects with RUN_ABORTED and aborts the run', async () => {
    const slowSidecar = await startLoopbackSidecar(slow);
    const controller = new AbortController();
    let runId: string | undefined;
    const recording: typeof fetch = async (input, init) => {
      const url = input instanceof Request ? input.url : input.toString();
      if (url.includes('/events')) setTimeout(() => controller.abort(new Error('caller stopped')), 100);
      const response = await fetch(input, init);
      if (init?.method === 'POST' && url.endsWith('/v1/runs')) runId = ((await response.clone().json()) as Run).id;
      return response;
    };
    try {
      const runner = new SidecarRunRunnable({ url: slowSidecar.url, fetch: recording });
      await expect(runner.invoke({ tasks: [{ id: 'slow', prompt: 'Take your time', maxOutputTokens: 64 }] }, { signal: controller.signal })).rejects.toMatchObject({ code: 'RUN_ABORTED' });
      let state = '';
      for (let attempt = 0; attempt < 50 && state !== 'aborted'; attempt += 1) {
        state = (await runner.fetchRun(runId ?? '')).state;
        if (state !== 'aborted') await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(state).toBe('aborted');
    } finally {
      await slowSidecar.stop();
    }
  });

  it('aborting the signal aborts the run on the sidecar', async () => {
    const slowSidecar = await startLoopbackSidecar(slow);
    const runner = new SidecarRunRunnable({ url: slowSidecar.url });
    const controller = new AbortController();
    const slowDag = { tasks: [{ id: 'slow', prompt: 'Take your time', maxOutputTokens: 64 }] };
    const stop = new Error('caller stopped');
    let runId: string | undefined;
    const consume = async (): Promise<void> => {
      for await (const part of await runner.stream(slowDag, { signal: controller.signal })) {
        if ('seq' in part) runId = part.runId;
        if ('type' in part && part.type === 'task.started') controller.abort(stop);
      }
    };
    // LangChain's stream() races the iterator with the signal and rethrows the signal's reason.
    await expect(consume()).rejects.toBe(stop);
    expect(runId).toBeDefined();
    let state = '';
    for (let attempt = 0; attempt < 50 && state !== 'aborted'; attempt += 1) {
      state = (await runner.fetchRun(runId ?? '')).state;
      if (state !== 'aborted') await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(state).toBe('aborted');
    await slowSidecar.stop();
  });
});
