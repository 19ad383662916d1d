import { BudgetError, ExecutionError, PolicyError, RuntimeError, asModelId, asRunId, asTaskId } from '@runtime/contracts';
import type { AgentRunInput, Message, Tool } from '@runtime/contracts';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { call, createScriptedHost, stepOf } from '../test/scripted-host.js';
import type { Script, ScriptedHostOptions } from '../test/scripted-host.js';
import { createAgentRunner } from './agent-runner.js';
import { defineTool } from './define-tool.js';
import { subAgentTool } from './sub-agent-tool.js';
import { createToolCallTally } from './tool-call-tally.js';
import { createToolRegistry } from './tool-registry.js';

const executed: string[] = [];
const weather = defineTool({
  name: 'get_weather',
  description: 'Weather of a city.',
  input: z.object({ city: z.string() }),
  costUsd: 0.002,
  execute: ({ city }) => {
    executed.push(`weather:${city}`);
    return Promise.resolve(`sunny in ${city}`);
  },
});
const time = defineTool({
  name: 'get_time',
  description: 'Time in a city.',
  input: z.object({ city: z.string() }),
  execute: ({ city }) => {
    executed.push(`time:${city}`);
    return Promise.resolve(`noon in ${city}`);
  },
});

function toolResults(messages: readonly Message[]): string[] {
  return messages.filter((message) => message.role === 'tool').map((message) => message.content);
}

/** Step 1: two parallel calls; step 2: one call; step 3: final answer quoting every result. */
const threeSteps: Script = (messages) => {
  const step = stepOf(messages);
  if (step === 1) return { toolCalls: [call('c1', 'get_weather', { city: 'Paris' }), call('c2', 'get_time', { city: 'Paris' })] };
  if (step === 2) return { output: 'checking Rome too', toolCalls: [call('c3', 'get_weather', { city: 'Rome' })] };
  return { output: `final: ${toolResults(messages).join(' | ')}` };
};

function setup(tools: readonly Tool[] = [weather, time]) {
  const registry = createToolRegistry(tools);
  return { registry, runner: createAgentRunner({ registry }) };
}

function input(options: ScriptedHostOptions, overrides: Partial<AgentRunInput> = {}) {
  const host = createScriptedHost(options);
  const runInput: AgentRunInput = {
    runId: asRunId('run_1'),
    taskId: asTaskId('agent'),
    model: asModelId('gpt-4o-mini'),
    maxOutputTokens: 256,
    messages: [{ role: 'user', content: 'Weather and time in Paris?' }],
    tools: ['get_weather', 'get_time'],
    host,
    ...overrides,
  };
  return { host, runInput };
}

async function failureOf(promise: Promise<unknown>): Promise<RuntimeError> {
  const reason: unknown = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!RuntimeError.isInstance(reason)) throw new Error(`expected a RuntimeError, got ${String(reason)}`);
  return reason;
}

describe('createAgentRunner', () => {
  it('loops model → tools → model to a final answer, journaling events in order', async () => {
    executed.length = 0;
    const { runner } = setup();
    const { host, runInput } = input({ script: threeSteps });
    const result = await runner.run(runInput);
    expect(result.output).toBe('final: sunny in Paris | noon in Paris | sunny in Rome');
    expect(result).toMatchObject({ steps: 3, toolCalls: 3, costUsd: 0.003, toolCostUsd: 0.004 });
    expect(result.usage).toMatchObject({ inputTokens: 30, outputTokens: 15 });
    expect(executed.sort()).toEqual(['time:Paris', 'weather:Paris', 'weather:Rome']);
    const kinds = host.journal.map((event) => `${event.type}${'step' in event ? `@${event.step}` : ''}`);
    expect(kinds.slice(0, 3)).toEqual(['agent.step@1', 'tool.called@1', 'tool.called@1']);
    expect(kinds.slice(3, 5).sort()).toEqual(['tool.completed@1', 'tool.completed@1']);
    expect(kinds.slice(5)).toEqual(['agent.step@2', 'tool.called@2', 'tool.completed@2', 'agent.step@3']);
    expect(host.journal[0]).toMatchObject({ type: 'agent.step', kind: 'tool_calls', toolCalls: 2, attempt: 1, costUsd: 0.001, usage: { costUsd: 0.001 } });
    expect(host.journal.at(-1)).toMatchObject({ type: 'agent.step', kind: 'final_answer', toolCalls: 0 });
    // The tools' results went back paired with their calls, in call order.
    const second = host.requests[1]?.messages ?? [];
    expect(second.slice(1).map((message) => [message.role, message.toolCallId ?? message.toolCalls?.map((c) => c.id).join(',')])).toEqual([
      ['assistant', 'c1,c2'],
      ['tool', 'c1'],
      ['tool', 'c2'],
    ]);
    expect(host.requests[0]?.tools?.map((tool) => tool.name)).toEqual(['get_weather', 'get_time']);
    expect(result.messages.at(-1)).toEqual({ role: 'assistant', content: result.output });
  });

  it('gives calls with a missing or repeated id an id of their own, so each result pairs with one call', async () => {
    const { runner } = setup();
    const script: Script = (messages) =>
      stepOf(messages) === 1
        ? { toolCalls: [call('', 'get_weather', { city: 'Bern' }), call('dup', 'get_time', { city: 'Bern' }), call('dup', 'get_weather', { city: 'Genf' })] }
        : { output: toolResults(messages).join(' | ') };
    const { host, runInput } = input({ script });
    const result = await runner.run(runInput);
    expect(result.output).toBe('sunny in Bern | noon in Bern | sunny in Genf');
    const ids = host.journal.flatMap((event) => (event.type === 'tool.called' ? [event.callId] : []));
    expect(ids).toEqual(['call_1_0', 'dup', 'call_1_2']);
    const sent = host.requests[1]?.messages ?? [];
    expect(sent.filter((message) => message.role === 'tool').map((message) => message.toolCallId)).toEqual(ids);
  });

  it('refuses an empty opening conversation with VALIDATION_FAILED', async () => {
    const { runner } = setup();
    const { runInput } = input({ script: threeSteps }, { messages: [] });
    expect((await failureOf(runner.run(runInput))).code).toBe('VALIDATION_FAILED');
  });

  it('passes toolChoice to every request', async () => {
    const { runner } = setup();
    const { host, runInput } = input({ script: threeSteps }, { toolChoice: 'required' });
    await runner.run(runInput);
    expect(host.requests.map((request) => request.toolChoice)).toEqual(['required', 'required', 'required']);
  });

  it('sends invalid arguments back to the model as TOOL_INVALID_ARGUMENTS and carries on', async () => {
    const { runner } = setup();
    const script: Script = (messages) =>
      stepOf(messages) === 1 ? { toolCalls: [call('bad', 'get_weather', { town: 'Paris' })] } : { output: toolResults(messages).join('') };
    const { host, runInput } = input({ script });
    const result = await runner.run(runInput);
    expect(JSON.parse(result.output)).toMatchObject({ error: { code: 'TOOL_INVALID_ARGUMENTS' } });
    expect(host.journal.find((event) => event.type === 'tool.failed')).toMatchObject({ callId: 'bad', error: { code: 'TOOL_INVALID_ARGUMENTS', details: { tool: 'get_weather' } } });
  });

  it('stops after maxSteps model calls with AGENT_MAX_STEPS', async () => {
    const { runner } = setup();
    let n = 0;
    const forever: Script = () => ({ toolCalls: [call(`c${(n += 1)}`, 'get_time', { city: 'Oslo' })] });
    const { host, runInput } = input({ script: forever }, { limits: { maxSteps: 3 } });
    const error = await failureOf(runner.run(runInput));
    expect(ExecutionError.isInstance(error) && error.code).toBe('AGENT_MAX_STEPS');
    expect(error.details).toMatchObject({ maxSteps: 3, task: 'agent' });
    expect(host.requests).toHaveLength(3);
    // Nothing lost: every step and tool result is journaled.
    expect(host.journal.filter((event) => event.type === 'tool.completed')).toHaveLength(3);
  });

  it('refuses the step that would pass maxToolCallsPerRun with POLICY_VIOLATION (rule toolCalls), after journaling the step', async () => {
    const { runner } = setup();
    const tally = createToolCallTally(1);
    const { host, runInput } = input({ script: threeSteps }, { limits: { maxToolCallsPerRun: 2 }, toolCalls: tally });
    const error = await failureOf(runner.run(runInput));
    expect(PolicyError.isInstance(error) && error.code).toBe('POLICY_VIOLATION');
    expect(error.details).toMatchObject({ rule: 'toolCalls', limit: 2, observed: 3 });
    expect(host.journal.map((event) => event.type)).toEqual(['agent.step']);
    expect(tally.count).toBe(1);
  });

  it('stops with the host’s BUDGET_EXCEEDED before the refused call, keeping every earlier result', async () => {
    executed.length = 0;
    const { runner } = setup();
    const refusal = new BudgetError({ code: 'BUDGET_EXCEEDED', message: 'no room', details: { scope: 'run' } });
    const { host, runInput } = input({ script: threeSteps, refuseAt: (_request, modelCall) => (modelCall.step === 2 ? refusal : undefined) });
    const error = await failureOf(runner.run(runInput));
    expect(error).toBe(refusal);
    expect(host.requests).toHaveLength(1);
    expect(host.journal.filter((event) => event.type === 'tool.completed')).toHaveLength(2);
    expect(executed).toHaveLength(2);
  });

  it('refuses an unknown tool name with VALIDATION_FAILED naming task and tool, before any call', async () => {
    const { runner } = setup();
    const { host, runInput } = input({ script: threeSteps }, { tools: ['get_weather', 'search'] });
    const error = await failureOf(runner.run(runInput));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.details).toMatchObject({ task: 'agent', tool: 'search' });
    expect(host.requests).toHaveLength(0);
  });

  it("enforces the tier's tool allowlist (rule toolAllowlist)", async () => {
    const { runner } = setup();
    const { runInput } = input({ script: threeSteps }, { limits: { allowedTools: ['get_weather'] } });
    expect((await failureOf(runner.run(runInput))).details).toMatchObject({ rule: 'toolAllowlist', observed: 'get_time' });
    const everything = input({ script: threeSteps }, { limits: { allowedTools: ['*'] } });
    await expect(runner.run(everything.runInput)).resolves.toMatchObject({ steps: 3 });
  });

  it('compacts between steps (not before the first) and refuses a compaction that splits a call from its result', async () => {
    const { runner } = setup();
    const seen: number[] = [];
    const keepAll = input({
      script: threeSteps,
      compact: ({ messages, step }) => {
        seen.push(step);
        return Promise.resolve(messages);
      },
    });
    await runner.run(keepAll.runInput);
    expect(seen).toEqual([2, 3]);
    const splitting = input({
      script: threeSteps,
      compact: ({ messages }) => Promise.resolve(messages.filter((message) => message.role !== 'tool')),
    });
    const error = await failureOf(runner.run(splitting.runInput));
    expect(error.code).toBe('INTERNAL');
    expect(error.message).toContain('without its result');
  });

  it('asks the host for approval of a tool that requires it; a rejection goes back as TOOL_REJECTED', async () => {
    let wired = 0;
    const wire = defineTool({
      name: 'wire_money',
      description: 'Sends money.',
      input: z.object({ amount: z.number() }),
      requiresApproval: true,
      execute: () => {
        wired += 1;
        return Promise.resolve('sent');
      },
    });
    const { runner } = setup([wire]);
    const script: Script = (messages) =>
      stepOf(messages) === 1 ? { toolCalls: [call('w', 'wire_money', { amount: 9 })] } : { output: toolResults(messages).join('') };
    const asked: unknown[] = [];
    const { runInput } = input(
      {
        script,
        awaitInput: (request) => {
          asked.push(request);
          return Promise.resolve({ decision: 'reject', reason: 'not today' });
        },
      },
      { tools: ['wire_money'] },
    );
    const result = await runner.run(runInput);
    expect(asked).toEqual([{ kind: 'approval', step: 1, callId: 'w', tool: 'wire_money', arguments: '{"amount":9}' }]);
    expect(JSON.parse(result.output)).toMatchObject({ error: { code: 'TOOL_REJECTED' } });
    expect(wired).toBe(0);
  });

  it('asks again for an approval a crash interrupted, and the recorded reply runs the call once', async () => {
    let wired = 0;
    const wire = defineTool({
      name: 'wire_money',
      description: 'Sends money.',
      input: z.object({ amount: z.number() }),
      requiresApproval: true,
      execute: () => {
        wired += 1;
        return Promise.resolve('sent');
      },
    });
    const { runner } = setup([wire]);
    const script: Script = (messages) =>
      stepOf(messages) === 1 ? { toolCalls: [call('w', 'wire_money', { amount: 9 })] } : { output: `done: ${toolResults(messages).join('')}` };
    // Attempt 1: the human has not answered when the process stops (the task is aborted).
    const controller = new AbortController();
    const first = input(
      {
        script,
        awaitInput: () => {
          controller.abort(new Error('process stopping'));
          return new Promise(() => undefined);
        },
      },
      { tools: ['wire_money'], signal: controller.signal },
    );
    expect((await failureOf(runner.run(first.runInput))).code).toBe('RUN_ABORTED');
    expect(first.host.journal.map((event) => event.type)).toEqual(['agent.step', 'tool.called']);
    // Attempt 2: the host's durable wait already holds the reply for this call id.
    const recorded = new Map([['w', { decision: 'approve' as const }]]);
    const asked: string[] = [];
    const second = input(
      {
        script,
        history: first.host.journal,
        awaitInput: (request) => {
          asked.push(request.callId ?? '');
          return Promise.resolve(recorded.get(request.callId ?? '') ?? { decision: 'reject' });
        },
      },
      { tools: ['wire_money'], attempt: 2 },
    );
    await expect(runner.run(second.runInput)).resolves.toMatchObject({ output: 'done: sent', steps: 2 });
    expect(asked).toEqual(['w']);
    expect(wired).toBe(1);
    expect(second.host.requests).toHaveLength(1);
  });

  it('a resumed loop sends the model exactly the conversation it sent before: text said beside tool calls included', async () => {
    const { runner } = setup();
    // Like an Anthropic model: a text block before its tool_use blocks.
    const script: Script = (messages) =>
      stepOf(messages) === 1 ? { output: 'Let me check the weather.', toolCalls: [call('c1', 'get_weather', { city: 'Oslo' })] } : { output: `done: ${messages.length}` };
    const first = input({ script, crashAfter: 3 });
    await expect(runner.run(first.runInput)).rejects.toThrow('crash after event 3');
    const second = input({ script, history: first.host.journal }, { attempt: 2 });
    await runner.run(second.runInput);
    const full = input({ script });
    await runner.run(full.runInput);
    expect(second.host.requests.at(-1)?.messages).toEqual(full.host.requests.at(-1)?.messages);
    expect(first.host.journal[0]).toMatchObject({ type: 'agent.step', kind: 'tool_calls', output: 'Let me check the weather.' });
  });

  it('asks the model again for a final answer that was journaled but not delivered', async () => {
    const { runner } = setup();
    const first = input({ script: threeSteps });
    const done = await runner.run(first.runInput);
    const second = input({ script: threeSteps, history: first.host.journal }, { attempt: 2 });
    await expect(runner.run(second.runInput)).resolves.toMatchObject({ output: done.output, steps: 3 });
    expect(second.host.requests).toHaveLength(1);
    expect(second.host.journal.map((event) => event.type)).toEqual(['agent.step']);
  });

  it('counts depth for nested agents and stops runaway recursion with POLICY_VIOLATION (rule depth)', async () => {
    const registry = createToolRegistry([weather]);
    const runner = createAgentRunner({ registry });
    registry.register(subAgentTool({ name: 'delegate', description: 'Delegates a sub-task.', runner, tools: ['delegate', 'get_weather'] }));
    // Every model delegates once, then answers with what it got back.
    const script: Script = (messages) => {
      const last = messages.at(-1);
      if (last?.role === 'tool') return { output: `got(${last.content})` };
      return { toolCalls: [call(`d${messages.length}`, 'delegate', { task: 'go deeper' })] };
    };
    const limited = input({ script }, { tools: ['delegate'], limits: { maxDepth: 2 } });
    const error = await failureOf(runner.run(limited.runInput));
    expect(PolicyError.isInstance(error) && error.details).toMatchObject({ rule: 'depth', limit: 2, observed: 3 });
    expect(limited.host.calls.map((modelCall) => modelCall.depth)).toEqual([0, 1, 2]);

    // A nested loop that answers returns its output as the tool result.
    const shallow: Script = (messages) => {
      const last = messages.at(-1);
      if (last?.role === 'tool') return { output: `got(${last.content})` };
      if (messages.some((message) => message.content === 'go deeper')) return { output: 'leaf answer' };
      return { toolCalls: [call('d1', 'delegate', { task: 'go deeper' })] };
    };
    const tally = createToolCallTally();
    const ok = input({ script: shallow }, { tools: ['delegate'], limits: { maxDepth: 2 }, toolCalls: tally });
    await expect(runner.run(ok.runInput)).resolves.toMatchObject({ output: 'got(leaf answer)' });
    expect(ok.host.journal.filter((event) => event.type === 'tool.completed')).toHaveLength(1);
    expect(tally.count).toBe(1);
  });

  it("counts a nested agent's tool calls against the run's maxToolCallsPerRun", async () => {
    const registry = createToolRegistry([weather]);
    const runner = createAgentRunner({ registry });
    registry.register(subAgentTool({ name: 'delegate', description: 'Delegates.', runner, tools: ['get_weather'] }));
    // The parent delegates (1 call); the nested loop asks for 2 weather calls: 3 > 2.
    const script: Script = (messages) => {
      const last = messages.at(-1);
      if (last?.role === 'tool') return { output: 'never' };
      if (messages.some((message) => message.content === 'two cities')) return { toolCalls: [call('n1', 'get_weather', { city: 'A' }), call('n2', 'get_weather', { city: 'B' })] };
      return { toolCalls: [call('d', 'delegate', { task: 'two cities' })] };
    };
    const tally = createToolCallTally();
    const { runInput } = input({ script }, { tools: ['delegate'], limits: { maxToolCallsPerRun: 2 }, toolCalls: tally });
    const error = await failureOf(runner.run(runInput));
    expect(error.details).toMatchObject({ rule: 'toolCalls', limit: 2, observed: 3 });
    expect(tally.count).toBe(1);
  });

  it('aborts with RUN_ABORTED when the task signal aborts', async () => {
    const { runner } = setup();
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    const { runInput } = input({ script: threeSteps }, { signal: controller.signal });
    expect((await failureOf(runner.run(runInput))).code).toBe('RUN_ABORTED');
  });
});
