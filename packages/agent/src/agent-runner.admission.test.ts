/**
 * Tool admission (`AgentHost.admitTool`) and the approver's note (`{ decision: 'approve', message }`).
 */
import { BudgetError, PolicyError, RuntimeError, asModelId, asRunId, asTaskId } from '@runtime/contracts';
import type { AgentHost, AgentInputResponse, AgentRunInput, AgentToolRequest, Message, Tool, ToolContext } from '@runtime/contracts';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { Crash, call, createScriptedHost, stepOf } from '../test/scripted-host.js';
import type { Script, ScriptedHostOptions } from '../test/scripted-host.js';
import { createAgentRunner } from './agent-runner.js';
import { defineTool } from './define-tool.js';
import { createToolCallTally } from './tool-call-tally.js';
import { createToolRegistry } from './tool-registry.js';

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new Error('aborted'));
    });
  });
}

function toolResults(messages: readonly Message[]): string[] {
  return messages.filter((message) => message.role === 'tool').map((message) => message.content);
}

async function failureOf(promise: Promise<unknown>): Promise<RuntimeError> {
  const reason: unknown = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!RuntimeError.isInstance(reason)) throw new Error(`expected a RuntimeError, got ${String(reason)}`);
  return reason;
}

/** A log shared by the tools, the host's admission, its permits and its journal. */
function admissionLog() {
  const log: string[] = [];
  const requests: AgentToolRequest[] = [];
  const admitTool: NonNullable<AgentHost['admitTool']> = (request) => {
    requests.push(request);
    log.push(`admit:${request.callId}`);
    return Promise.resolve({
      end: (charged: boolean) => {
        log.push(`end:${request.callId}:${charged}`);
        return Promise.resolve();
      },
    });
  };
  return { log, requests, admitTool };
}

function tool(name: string, execute: (args: { n: number }, context: ToolContext) => Promise<string>, extra: { requiresApproval?: boolean; costUsd?: number; timeoutMs?: number } = {}): Tool {
  return defineTool({ name, description: `${name}.`, input: z.object({ n: z.number() }), execute, ...extra });
}

function runInputOf(options: ScriptedHostOptions, tools: readonly string[], overrides: Partial<AgentRunInput> = {}) {
  const host = createScriptedHost(options);
  const runInput: AgentRunInput = {
    runId: asRunId('run_a'),
    taskId: asTaskId('agent'),
    model: asModelId('gpt-4o-mini'),
    maxOutputTokens: 128,
    messages: [{ role: 'user', content: 'go' }],
    tools,
    host,
    ...overrides,
  };
  return { host, runInput };
}

/** The journal's event types pushed into the log as they are written. */
function journalInto(log: string[], host: AgentHost): void {
  const emit = host.emit.bind(host);
  host.emit = (event) => {
    log.push(`${event.type}${'callId' in event ? `:${event.callId}` : ''}`);
    return emit(event);
  };
}

describe('tool admission (AgentHost.admitTool)', () => {
  it('admits a call after its approval and right before it runs; ends the permit charged before tool.completed is journaled', async () => {
    const { log, requests, admitTool } = admissionLog();
    const wire = tool(
      'wire',
      ({ n }) => {
        log.push('run:w');
        return Promise.resolve(`sent ${n}`);
      },
      { requiresApproval: true, costUsd: 0.5 },
    );
    const runner = createAgentRunner({ registry: createToolRegistry([wire]) });
    const script: Script = (messages) => (stepOf(messages) === 1 ? { toolCalls: [call('w', 'wire', { n: 3 })] } : { output: toolResults(messages).join('') });
    const { host, runInput } = runInputOf(
      {
        script,
        admitTool,
        awaitInput: () => {
          log.push('ask:w');
          return Promise.resolve({ decision: 'approve' });
        },
      },
      ['wire'],
    );
    journalInto(log, host);
    await expect(runner.run(runInput)).resolves.toMatchObject({ output: 'sent 3' });
    expect(log).toEqual(['agent.step', 'tool.called:w', 'ask:w', 'admit:w', 'run:w', 'end:w:true', 'tool.completed:w', 'agent.step']);
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ step: 1, depth: 0, callId: 'w', tool: 'wire', toolCallsBefore: 0, costUsd: 0.5 });
    expect(requests[0]?.signal).toBeInstanceOf(AbortSignal);
  });

  it('numbers toolCallsBefore per call: a 3-call step then a 1-call step, on top of the run tally', async () => {
    const { requests, admitTool } = admissionLog();
    const echo = tool('echo', ({ n }) => Promise.resolve(`e${n}`));
    const runner = createAgentRunner({ registry: createToolRegistry([echo]) });
    const script: Script = (messages) => {
      const step = stepOf(messages);
      if (step === 1) return { toolCalls: [call('a', 'echo', { n: 1 }), call('b', 'echo', { n: 2 }), call('c', 'echo', { n: 3 })] };
      if (step === 2) return { toolCalls: [call('d', 'echo', { n: 4 })] };
      return { output: 'done' };
    };
    const fresh = runInputOf({ script, admitTool }, ['echo']);
    await runner.run(fresh.runInput);
    expect(requests.map((request) => [request.callId, request.step, request.toolCallsBefore, request.costUsd])).toEqual([
      ['a', 1, 0, 0],
      ['b', 1, 1, 0],
      ['c', 1, 2, 0],
      ['d', 2, 3, 0],
    ]);
    requests.length = 0;
    const shared = runInputOf({ script, admitTool }, ['echo'], { toolCalls: createToolCallTally(5) });
    await runner.run(shared.runInput);
    expect(requests.map((request) => request.toolCallsBefore)).toEqual([5, 6, 7, 8]);
  });

  it('numbers a call re-run by a resumed loop by its place in the journal', async () => {
    const { requests, admitTool } = admissionLog();
    const echo = tool('echo', ({ n }) => Promise.resolve(`e${n}`));
    const runner = createAgentRunner({ registry: createToolRegistry([echo]) });
    const script: Script = (messages) =>
      stepOf(messages) === 1 ? { toolCalls: [call('a', 'echo', { n: 1 }), call('b', 'echo', { n: 2 }), call('c', 'echo', { n: 3 })] } : { output: toolResults(messages).join(',') };
    const done = await runner.run(runInputOf({ script }, ['echo']).runInput);
    // agent.step, tool.called ×3, then only b's result is durable: a and c run again.
    const first = runInputOf({ script }, ['echo']);
    await runner.run(first.runInput);
    const history = first.host.journal.filter((event) => event.type !== 'tool.completed' || event.callId === 'b').slice(0, 5);
    const resumed = runInputOf({ script, admitTool, history }, ['echo'], { attempt: 2 });
    await expect(runner.run(resumed.runInput)).resolves.toMatchObject({ output: done.output });
    expect(requests.map((request) => [request.callId, request.toolCallsBefore])).toEqual([
      ['a', 0],
      ['c', 2],
    ]);
  });

  it.each([
    ['BudgetError', () => new BudgetError({ code: 'BUDGET_EXCEEDED', message: 'tool price does not fit', details: { tool: 'priced' } })],
    ['PolicyError', () => new PolicyError({ code: 'POLICY_VIOLATION', message: 'too many tool calls', details: { rule: 'toolCalls' } })],
  ])('a refusal (%s) stops the loop with the typed error: the refused tool never runs, a running sibling is aborted and its permit ended uncharged', async (_name, refusal) => {
    const ran: string[] = [];
    let slowSignal: AbortSignal | undefined;
    const slow = tool('slow', async (_args, context) => {
      slowSignal = context.signal;
      ran.push('slow');
      await sleep(5_000, context.signal);
      return 'late';
    });
    const priced = tool(
      'priced',
      () => {
        ran.push('priced');
        return Promise.resolve('paid');
      },
      { costUsd: 9 },
    );
    const runner = createAgentRunner({ registry: createToolRegistry([slow, priced]) });
    const ends: string[] = [];
    const admitTool: NonNullable<AgentHost['admitTool']> = async (request) => {
      if (request.tool === 'priced') {
        // Let the slow sibling start first.
        await sleep(20);
        throw refusal();
      }
      return { end: (charged) => Promise.resolve(void ends.push(`${request.callId}:${charged}`)) };
    };
    const script: Script = (messages) =>
      stepOf(messages) === 1 ? { toolCalls: [call('s', 'slow', { n: 1 }), call('p', 'priced', { n: 2 })] } : { output: 'never' };
    const { host, runInput } = runInputOf({ script, admitTool }, ['slow', 'priced']);
    const started = performance.now();
    const error = await failureOf(runner.run(runInput));
    expect(error.code).toBe(refusal().code);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(ran).toEqual(['slow']);
    expect(slowSignal?.aborted).toBe(true);
    // The loop rejects only once every call of the step has ended its permit.
    expect(ends).toEqual(['s:false']);
    expect(host.requests).toHaveLength(1);
    expect(host.journal.map((event) => event.type)).toEqual(['agent.step', 'tool.called', 'tool.called']);
  });

  it('ends each permit once: charged when the tool returned; uncharged when it threw or timed out; a human answer, a rejection or bad arguments are never admitted', async () => {
    const { log, requests, admitTool } = admissionLog();
    const ok = tool('ok', () => Promise.resolve('fine'));
    const broken = tool('broken', () => Promise.reject(new Error('boom')));
    const slow = tool('slow', async (_args, context) => {
      await sleep(5_000, context.signal);
      return 'late';
    }, { timeoutMs: 20 });
    const asked = tool('asked', () => Promise.resolve('ran'), { requiresApproval: true });
    const runner = createAgentRunner({ registry: createToolRegistry([ok, broken, slow, asked]) });
    const replies: Record<string, AgentInputResponse> = { h: { decision: 'answer', text: 'a human says 4' }, r: { decision: 'reject', reason: 'no' } };
    const script: Script = (messages) =>
      stepOf(messages) === 1
        ? {
            toolCalls: [
              call('o', 'ok', { n: 1 }),
              call('b', 'broken', { n: 2 }),
              call('t', 'slow', { n: 3 }),
              call('h', 'asked', { n: 4 }),
              call('r', 'asked', { n: 5 }),
              call('i', 'ok', { n: 'six' }),
            ],
          }
        : { output: toolResults(messages).join(' | ') };
    const { host, runInput } = runInputOf(
      { script, admitTool, awaitInput: (request) => Promise.resolve(replies[request.callId ?? ''] ?? { decision: 'approve' }) },
      ['ok', 'broken', 'slow', 'asked'],
    );
    journalInto(log, host);
    const result = await runner.run(runInput);
    expect(result.output).toContain('a human says 4');
    expect(requests.map((request) => request.callId).sort()).toEqual(['b', 'o', 't']);
    const ends = log.filter((entry) => entry.startsWith('end:'));
    expect(ends.sort()).toEqual(['end:b:false', 'end:o:true', 'end:t:false']);
    // Each permit ends before its call's terminal event is journaled.
    for (const [id, terminal] of [
      ['o', 'tool.completed'],
      ['b', 'tool.failed'],
      ['t', 'tool.failed'],
    ] as const) {
      expect(log.indexOf(`end:${id}:${id === 'o'}`)).toBeLessThan(log.indexOf(`${terminal}:${id}`));
      expect(log.indexOf(`${terminal}:${id}`)).toBeGreaterThan(-1);
    }
  });

  it('ends the permit uncharged when the task aborts mid-call', async () => {
    const { log, admitTool } = admissionLog();
    const controller = new AbortController();
    const slow = tool('slow', async (_args, context) => {
      setTimeout(() => controller.abort(new Error('user abort')), 10);
      await sleep(5_000, context.signal);
      return 'late';
    });
    const runner = createAgentRunner({ registry: createToolRegistry([slow]) });
    const script: Script = () => ({ toolCalls: [call('s', 'slow', { n: 1 })] });
    const { runInput } = runInputOf({ script, admitTool }, ['slow'], { signal: controller.signal });
    expect((await failureOf(runner.run(runInput))).code).toBe('RUN_ABORTED');
    await vi.waitFor(() => expect(log).toEqual(['admit:s', 'end:s:false']));
  });

  it('stops the loop when ending a permit fails (the charge is not durable): the call is not journaled as completed', async () => {
    const ok = tool('ok', () => Promise.resolve('fine'), { costUsd: 0.25 });
    const runner = createAgentRunner({ registry: createToolRegistry([ok]) });
    const script: Script = (messages) => (stepOf(messages) === 1 ? { toolCalls: [call('o', 'ok', { n: 1 })] } : { output: 'never' });
    const ledgerDown = new Error('ledger unavailable');
    const { host, runInput } = runInputOf({ script, admitTool: () => Promise.resolve({ end: () => Promise.reject(ledgerDown) }) }, ['ok']);
    await expect(runner.run(runInput)).rejects.toBe(ledgerDown);
    expect(host.journal.map((event) => event.type)).toEqual(['agent.step', 'tool.called']);
    expect(host.requests).toHaveLength(1);
  });

  it('a host without admitTool runs calls as before', async () => {
    const ok = tool('ok', () => Promise.resolve('fine'), { costUsd: 0.25 });
    const runner = createAgentRunner({ registry: createToolRegistry([ok]) });
    const script: Script = (messages) => (stepOf(messages) === 1 ? { toolCalls: [call('o', 'ok', { n: 1 })] } : { output: toolResults(messages).join('') });
    const { runInput } = runInputOf({ script }, ['ok']);
    await expect(runner.run(runInput)).resolves.toMatchObject({ output: 'fine', toolCostUsd: 0.25 });
  });
});

describe("the approver's note", () => {
  const wire = tool('wire', ({ n }) => Promise.resolve(`sent ${n}`), { requiresApproval: true });
  const script: Script = (messages) => (stepOf(messages) === 1 ? { toolCalls: [call('w', 'wire', { n: 7 })] } : { output: `model saw: ${toolResults(messages).join('')}` });
  const expected = 'sent 7\n\n[approved with note: only this once]';

  it('reaches the model after the tool result, is journaled with it, and a resume replays the same text', async () => {
    const runner = createAgentRunner({ registry: createToolRegistry([wire]) });
    let asked = 0;
    const awaitInput = () => {
      asked += 1;
      return Promise.resolve({ decision: 'approve' as const, message: 'only this once' });
    };
    const first = runInputOf({ script, awaitInput, crashAfter: 3 }, ['wire']);
    await expect(runner.run(first.runInput)).rejects.toBeInstanceOf(Crash);
    expect(first.host.journal.at(-1)).toMatchObject({ type: 'tool.completed', callId: 'w', result: expected });
    const second = runInputOf({ script, awaitInput, history: first.host.journal }, ['wire'], { attempt: 2 });
    await expect(runner.run(second.runInput)).resolves.toMatchObject({ output: `model saw: ${expected}` });
    expect(asked).toBe(1);
    expect(second.host.requests[0]?.messages.at(-1)).toEqual({ role: 'tool', toolCallId: 'w', content: expected });
  });

  it('adds nothing for an approval without a note (or a blank one)', async () => {
    const runner = createAgentRunner({ registry: createToolRegistry([wire]) });
    for (const reply of [{ decision: 'approve' as const }, { decision: 'approve' as const, message: '  ' }]) {
      const { runInput } = runInputOf({ script, awaitInput: () => Promise.resolve(reply) }, ['wire']);
      await expect(runner.run(runInput)).resolves.toMatchObject({ output: 'model saw: sent 7' });
    }
  });
});
