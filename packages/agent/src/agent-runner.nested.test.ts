/**
 * Nested loops (`subAgentTool`): their events are journaled through the parent host with `depth` and
 * `parentCallId`, their tool calls admitted through it, their questions keyed apart from the parent's,
 * and a resumed parent ignores them.
 */
import { BudgetError, EMPTY_USAGE, asModelId, asRunId, asTaskId } from '@runtime/contracts';
import type { AgentEventInput, AgentHost, AgentInputRequest, AgentRunInput, AgentToolRequest, Message } from '@runtime/contracts';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { Crash, call, createScriptedHost, stepOf } from '../test/scripted-host.js';
import type { Script, ScriptedHostOptions } from '../test/scripted-host.js';
import { createAgentRunner } from './agent-runner.js';
import { defineTool } from './define-tool.js';
import { replayHistory } from './internal/replay.js';
import { subAgentTool } from './sub-agent-tool.js';
import { createToolRegistry } from './tool-registry.js';

function toolResults(messages: readonly Message[]): string[] {
  return messages.filter((message) => message.role === 'tool').map((message) => message.content);
}

function setup(options: { approval?: boolean } = {}) {
  const executed: string[] = [];
  const weather = defineTool({
    name: 'get_weather',
    description: 'Weather of a city.',
    input: z.object({ city: z.string() }),
    costUsd: 0.002,
    ...(options.approval === true ? { requiresApproval: true } : {}),
    execute: ({ city }) => {
      executed.push(city);
      return Promise.resolve(`sunny in ${city}`);
    },
  });
  const registry = createToolRegistry([weather]);
  const runner = createAgentRunner({ registry });
  registry.register(subAgentTool({ name: 'delegate', description: 'Delegates.', runner, tools: ['get_weather', 'delegate'] }));
  return { runner, executed };
}

/** The parent delegates once (`d1`); the nested loop asks for the weather (`n1`), then answers; the parent quotes it. */
const script: Script = (messages) => {
  const nested = messages.some((message) => message.content === 'weather in Oslo');
  const step = stepOf(messages);
  if (nested) return step === 1 ? { toolCalls: [call('n1', 'get_weather', { city: 'Oslo' })] } : { output: `nested(${toolResults(messages).join('')})` };
  return step === 1 ? { toolCalls: [call('d1', 'delegate', { task: 'weather in Oslo' })] } : { output: `parent(${toolResults(messages).join('')})` };
};

function runInputOf(options: ScriptedHostOptions, overrides: Partial<AgentRunInput> = {}) {
  const host = createScriptedHost(options);
  const runInput: AgentRunInput = {
    runId: asRunId('run_n'),
    taskId: asTaskId('agent'),
    model: asModelId('gpt-4o-mini'),
    maxOutputTokens: 128,
    messages: [{ role: 'user', content: 'go' }],
    tools: ['delegate'],
    limits: { maxDepth: 2 },
    host,
    ...overrides,
  };
  return { host, runInput };
}

function shape(event: AgentEventInput): string {
  const nesting = event.depth === undefined ? '' : ` depth=${event.depth} parent=${event.parentCallId ?? '-'}`;
  return `${event.type} step=${event.step}${'callId' in event ? ` ${event.callId}` : ''}${nesting}`;
}

describe('nested loops', () => {
  it("journals the nested loop's events through the parent host, stamped with depth and parentCallId", async () => {
    const { runner } = setup();
    const { host, runInput } = runInputOf({ script });
    await expect(runner.run(runInput)).resolves.toMatchObject({ output: 'parent(nested(sunny in Oslo))' });
    expect(host.journal.map(shape)).toEqual([
      'agent.step step=1',
      'tool.called step=1 d1',
      'agent.step step=1 depth=1 parent=d1',
      'tool.called step=1 n1 depth=1 parent=d1',
      'tool.completed step=1 n1 depth=1 parent=d1',
      'agent.step step=2 depth=1 parent=d1',
      'tool.completed step=1 d1',
      'agent.step step=2',
    ]);
    // Depth-0 events carry neither key.
    for (const event of host.journal.filter((entry) => entry.depth === undefined)) expect('parentCallId' in event).toBe(false);
    expect(host.journal.find((event) => event.type === 'tool.completed' && event.callId === 'n1')).toMatchObject({ costUsd: 0.002 });
  });

  it('stamps each loop with its own depth and parent call, two levels down', async () => {
    const { runner } = setup();
    // depth 0 delegates (d0), depth 1 delegates again (d1), depth 2 asks for the weather (n2).
    const deep: Script = (messages) => {
      const task = messages[0]?.content;
      const last = messages.at(-1);
      if (last?.role === 'tool') return { output: `${task}(${last.content})` };
      if (task === 'level 2') return { toolCalls: [call('n2', 'get_weather', { city: 'Oslo' })] };
      if (task === 'level 1') return { toolCalls: [call('d1', 'delegate', { task: 'level 2' })] };
      return { toolCalls: [call('d0', 'delegate', { task: 'level 1' })] };
    };
    const { host, runInput } = runInputOf({ script: deep }, { limits: { maxDepth: 2 } });
    await expect(runner.run(runInput)).resolves.toMatchObject({ output: 'go(level 1(level 2(sunny in Oslo)))' });
    expect(host.journal.filter((event) => event.type !== 'agent.step').map(shape)).toEqual([
      'tool.called step=1 d0',
      'tool.called step=1 d1 depth=1 parent=d0',
      'tool.called step=1 n2 depth=2 parent=d1',
      'tool.completed step=1 n2 depth=2 parent=d1',
      'tool.completed step=1 d1 depth=1 parent=d0',
      'tool.completed step=1 d0',
    ]);
  });

  it("admits a nested priced tool through the parent host, and ends its permit before the parent's call ends", async () => {
    const { runner } = setup();
    const requests: AgentToolRequest[] = [];
    const ends: string[] = [];
    const admitTool: NonNullable<AgentHost['admitTool']> = (request) => {
      requests.push(request);
      return Promise.resolve({ end: (charged) => Promise.resolve(void ends.push(`${request.callId}:${charged}`)) });
    };
    const { runInput } = runInputOf({ script, admitTool });
    await runner.run(runInput);
    expect(requests.map(({ callId, depth, step, tool, toolCallsBefore, costUsd }) => ({ callId, depth, step, tool, toolCallsBefore, costUsd }))).toEqual([
      { callId: 'd1', depth: 0, step: 1, tool: 'delegate', toolCallsBefore: 0, costUsd: 0 },
      { callId: 'n1', depth: 1, step: 1, tool: 'get_weather', toolCallsBefore: 1, costUsd: 0.002 },
    ]);
    expect(ends).toEqual(['n1:true', 'd1:true']);
  });

  it("a nested refusal stops the parent loop with the host's typed error; the parent's call is ended uncharged", async () => {
    const { runner, executed } = setup();
    const ends: string[] = [];
    const admitTool: NonNullable<AgentHost['admitTool']> = (request) => {
      if (request.depth === 1) return Promise.reject(new BudgetError({ code: 'BUDGET_EXCEEDED', message: 'the weather is too dear', details: { tool: request.tool } }));
      return Promise.resolve({ end: (charged) => Promise.resolve(void ends.push(`${request.callId}:${charged}`)) });
    };
    const { host, runInput } = runInputOf({ script, admitTool });
    const error: unknown = await runner.run(runInput).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(BudgetError.isInstance(error) && error.code).toBe('BUDGET_EXCEEDED');
    expect(executed).toEqual([]);
    expect(ends).toEqual(['d1:false']);
    // The parent made one model call, the nested loop one; nothing after the refusal.
    expect(host.requests).toHaveLength(2);
    expect(host.journal.map(shape)).toEqual(['agent.step step=1', 'tool.called step=1 d1', 'agent.step step=1 depth=1 parent=d1', 'tool.called step=1 n1 depth=1 parent=d1']);
  });

  it('a refusal of a sibling stops a running nested loop: every permit, nested ones included, is ended before the loop rejects', async () => {
    const registry = createToolRegistry([
      defineTool({
        name: 'slow',
        description: 'Slow.',
        input: z.object({}),
        execute: async (_args, context) => {
          await new Promise((resolve, reject) => {
            const timer = setTimeout(resolve, 5_000);
            context.signal.addEventListener('abort', () => {
              clearTimeout(timer);
              reject(new Error('aborted'));
            });
          });
          return 'late';
        },
      }),
      defineTool({ name: 'priced', description: 'Priced.', input: z.object({}), costUsd: 5, execute: () => Promise.resolve('paid') }),
    ]);
    const runner = createAgentRunner({ registry });
    registry.register(subAgentTool({ name: 'delegate', description: 'Delegates.', runner, tools: ['slow'] }));
    const twoCalls: Script = (messages) => {
      if (messages[0]?.content === 'be slow') return { toolCalls: [call('n1', 'slow', {})] };
      return { toolCalls: [call('d1', 'delegate', { task: 'be slow' }), call('p', 'priced', {})] };
    };
    const ends: string[] = [];
    const admitTool: NonNullable<AgentHost['admitTool']> = async (request) => {
      if (request.tool === 'priced') {
        await new Promise((resolve) => setTimeout(resolve, 30));
        throw new BudgetError({ code: 'BUDGET_EXCEEDED', message: 'no room', details: {} });
      }
      return { end: (charged) => Promise.resolve(void ends.push(`${request.callId}:${charged}`)) };
    };
    const { runInput } = runInputOf({ script: twoCalls, admitTool }, { tools: ['delegate', 'priced'] });
    const error: unknown = await runner.run(runInput).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(BudgetError.isInstance(error) && error.code).toBe('BUDGET_EXCEEDED');
    expect([...ends].sort()).toEqual(['d1:false', 'n1:false']);
  });

  it('a nested loop still running after the parent stopped journals nothing more', async () => {
    const { runner } = setup();
    // Call `p` is refused at admission while the nested loop waits for a slow model call.
    const twoCalls: Script = (messages) => {
      if (messages[0]?.content === 'weather in Oslo') return script(messages, { model: asModelId('m'), messages, maxOutputTokens: 1 });
      return { toolCalls: [call('d1', 'delegate', { task: 'weather in Oslo' }), call('p', 'get_weather', { city: 'Lima' })] };
    };
    const admitTool: NonNullable<AgentHost['admitTool']> = (request) =>
      request.callId === 'p'
        ? Promise.reject(new BudgetError({ code: 'BUDGET_EXCEEDED', message: 'no room', details: {} }))
        : Promise.resolve({ end: () => Promise.resolve() });
    const { host, runInput } = runInputOf({ script: twoCalls, admitTool }, { tools: ['delegate', 'get_weather'] });
    const callModel = host.callModel.bind(host);
    // A model call that ignores the abort and answers late (a provider that cannot be cancelled).
    host.callModel = async (request, modelCall) => {
      if (modelCall.depth === 1) await new Promise((resolve) => setTimeout(resolve, 40));
      return callModel(request, modelCall);
    };
    const error: unknown = await runner.run(runInput).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(BudgetError.isInstance(error) && error.code).toBe('BUDGET_EXCEEDED');
    const written = host.journal.length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(host.journal.slice(written)).toEqual([]);
  });

  it('a nested loop still running after its call timed out journals nothing more, also once the parent loop answered', async () => {
    const registry = createToolRegistry([defineTool({ name: 'get_weather', description: 'Weather.', input: z.object({ city: z.string() }), execute: ({ city }) => Promise.resolve(`sunny in ${city}`) })]);
    const runner = createAgentRunner({ registry });
    registry.register(subAgentTool({ name: 'delegate', description: 'Delegates.', runner, tools: ['get_weather'], timeoutMs: 20 }));
    const { host, runInput } = runInputOf({ script });
    const callModel = host.callModel.bind(host);
    // The nested model call ignores the abort and answers after the delegate call timed out.
    host.callModel = async (request, modelCall) => {
      if (modelCall.depth === 1) await new Promise((resolve) => setTimeout(resolve, 60));
      return callModel(request, modelCall);
    };
    const result = await runner.run(runInput);
    expect(result.output).toContain('TOOL_TIMEOUT');
    const written = host.journal.map(shape);
    expect(written).toEqual(['agent.step step=1', 'tool.called step=1 d1', 'tool.failed step=1 d1', 'agent.step step=2']);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(host.journal.map(shape)).toEqual(written);
  });

  it("rejects only once the nested events already queued in the parent's journal are written (a slow journal)", async () => {
    const { runner } = setup();
    const twoCalls: Script = (messages) => {
      if (messages[0]?.content === 'weather in Oslo') return script(messages, { model: asModelId('m'), messages, maxOutputTokens: 1 });
      return { toolCalls: [call('d1', 'delegate', { task: 'weather in Oslo' }), call('p', 'get_weather', { city: 'Lima' })] };
    };
    // `p` is refused while the nested loop's first event is still being written.
    const admitTool: NonNullable<AgentHost['admitTool']> = async (request) => {
      if (request.callId !== 'p') return { end: () => Promise.resolve() };
      await new Promise((resolve) => setTimeout(resolve, 5));
      throw new BudgetError({ code: 'BUDGET_EXCEEDED', message: 'no room', details: {} });
    };
    const { host, runInput } = runInputOf({ script: twoCalls, admitTool }, { tools: ['delegate', 'get_weather'] });
    // Each write is durable (in the journal) 30 ms after it was asked for.
    const written: AgentEventInput[] = [];
    host.emit = (event) => new Promise((resolve) => setTimeout(() => resolve(void written.push(event)), 30));
    const error: unknown = await runner.run(runInput).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(BudgetError.isInstance(error) && error.code).toBe('BUDGET_EXCEEDED');
    const atRejection = written.map(shape);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(written.map(shape)).toEqual(atRejection);
    expect(atRejection).toContain('agent.step step=1 depth=1 parent=d1');
  });

  it("asks a nested approval under the calling call's step and id (`1:d1/n1`), so it never collides with the parent's questions", async () => {
    const { runner, executed } = setup({ approval: true });
    const asked: AgentInputRequest[] = [];
    const { runInput } = runInputOf({
      script,
      awaitInput: (request) => {
        asked.push(request);
        return Promise.resolve({ decision: 'approve' });
      },
    });
    await runner.run(runInput);
    expect(asked).toEqual([{ kind: 'approval', step: 1, callId: '1:d1/n1', tool: 'get_weather', arguments: '{"city":"Oslo"}' }]);
    expect(executed).toEqual(['Oslo']);
  });

  it("keys nested questions apart when the model reuses a call id in another step (the calling call's step is in the key)", async () => {
    const { runner } = setup({ approval: true });
    // Some OpenAI-compatible servers number call ids per answer: both steps delegate under id `c`.
    const reused: Script = (messages) => {
      const task = messages[0]?.content ?? '';
      if (task.startsWith('weather in ')) {
        return stepOf(messages) === 1 ? { toolCalls: [call('n', 'get_weather', { city: task.slice('weather in '.length) })] } : { output: toolResults(messages).join('') };
      }
      const step = stepOf(messages);
      if (step === 1) return { toolCalls: [call('c', 'delegate', { task: 'weather in Oslo' })] };
      if (step === 2) return { toolCalls: [call('c', 'delegate', { task: 'weather in Lima' })] };
      return { output: toolResults(messages).join(' | ') };
    };
    const asked: AgentInputRequest[] = [];
    const { runInput } = runInputOf({
      script: reused,
      awaitInput: (request) => {
        asked.push(request);
        return Promise.resolve({ decision: 'approve' });
      },
    });
    await expect(runner.run(runInput)).resolves.toMatchObject({ output: 'sunny in Oslo | sunny in Lima' });
    expect(asked.map((request) => request.arguments)).toEqual(['{"city":"Oslo"}', '{"city":"Lima"}']);
    // The host keys a question by step, kind and call id: two different questions, two keys.
    const keys = new Set(asked.map((request) => `${request.step}|${request.kind}|${request.callId ?? ''}`));
    expect(keys.size).toBe(2);
  });

  it('a nested loop waiting for a human is not cut by the default tool deadline (30 s): the sub-agent call has none of its own', async () => {
    vi.useFakeTimers();
    try {
      const { runner, executed } = setup({ approval: true });
      let approve: () => void = () => undefined;
      const { runInput } = runInputOf({
        script,
        awaitInput: () =>
          new Promise((resolve) => {
            approve = () => resolve({ decision: 'approve' });
          }),
      });
      const running = runner.run(runInput);
      await vi.advanceTimersByTimeAsync(31_000);
      approve();
      await expect(running).resolves.toMatchObject({ output: 'parent(nested(sunny in Oslo))' });
      expect(executed).toEqual(['Oslo']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a sub-agent call keeps the deadline it is given (timeoutMs), nested human waits included', async () => {
    const weather = defineTool({ name: 'get_weather', description: 'Weather.', input: z.object({ city: z.string() }), requiresApproval: true, execute: ({ city }) => Promise.resolve(`sunny in ${city}`) });
    const registry = createToolRegistry([weather]);
    const runner = createAgentRunner({ registry });
    registry.register(subAgentTool({ name: 'delegate', description: 'Delegates.', runner, tools: ['get_weather'], timeoutMs: 30 }));
    const { runInput } = runInputOf({ script, awaitInput: () => new Promise(() => undefined) });
    await expect(runner.run(runInput)).resolves.toMatchObject({ output: expect.stringContaining('TOOL_TIMEOUT') as unknown });
  });

  it('replays only depth-0 events: nested events in the history never become steps or calls of the parent', () => {
    const history: AgentEventInput[] = [
      { type: 'agent.step', taskId: asTaskId('agent'), attempt: 1, step: 1, kind: 'tool_calls', toolCalls: 1, usage: { ...EMPTY_USAGE, costUsd: 0 }, costUsd: 0 },
      { type: 'tool.called', taskId: asTaskId('agent'), step: 1, callId: 'd1', tool: 'delegate', arguments: '{}' },
      { type: 'agent.step', taskId: asTaskId('agent'), attempt: 1, step: 1, kind: 'tool_calls', toolCalls: 2, usage: { ...EMPTY_USAGE, costUsd: 0 }, costUsd: 0, depth: 1, parentCallId: 'd1' },
      { type: 'tool.called', taskId: asTaskId('agent'), step: 1, callId: 'n1', tool: 'get_weather', arguments: '{}', depth: 1, parentCallId: 'd1' },
      { type: 'tool.completed', taskId: asTaskId('agent'), step: 1, callId: 'd1', tool: 'delegate', result: 'nested', durationMs: 1, costUsd: 0, depth: 1, parentCallId: 'd1' },
    ];
    const replay = replayHistory(history);
    expect(replay.steps).toHaveLength(1);
    expect(replay.steps[0]?.calls.map((entry) => entry.id)).toEqual(['d1']);
    // The depth-1 `tool.completed` of a (colliding) id `d1` is not the parent's result.
    expect(replay.steps[0]?.outcomes.size).toBe(0);
  });

  it('resumes a parent whose nested loop crashed mid-way: the nested loop runs again from scratch, the answer is unchanged', async () => {
    const { runner, executed } = setup();
    const expected = await runner.run(runInputOf({ script }).runInput);
    executed.length = 0;
    // Crash right after the nested tool.completed (event 5): d1 never completed at depth 0.
    const first = runInputOf({ script, crashAfter: 5 });
    await expect(runner.run(first.runInput)).rejects.toBeInstanceOf(Crash);
    expect(first.host.journal).toHaveLength(5);
    const second = runInputOf({ script, history: first.host.journal }, { attempt: 2 });
    await expect(runner.run(second.runInput)).resolves.toMatchObject({ output: expected.output });
    expect(executed).toEqual(['Oslo', 'Oslo']);
    expect(second.host.journal.map(shape)).toEqual([
      'agent.step step=1 depth=1 parent=d1',
      'tool.called step=1 n1 depth=1 parent=d1',
      'tool.completed step=1 n1 depth=1 parent=d1',
      'agent.step step=2 depth=1 parent=d1',
      'tool.completed step=1 d1',
      'agent.step step=2',
    ]);
    // Once d1 completed at depth 0, a resume never starts the nested loop again.
    executed.length = 0;
    const third = runInputOf({ script, history: [...first.host.journal, ...second.host.journal.slice(0, 5)] }, { attempt: 3 });
    await expect(runner.run(third.runInput)).resolves.toMatchObject({ output: expected.output });
    expect(executed).toEqual([]);
    expect(third.host.requests).toHaveLength(1);
  });
});
