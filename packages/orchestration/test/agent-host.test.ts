/**
 * The orchestrator as an agent loop's host, with a scripted runner (no @runtime/agent here): the
 * parallelism slot of a task waiting for a human goes to other tasks and comes back first come
 * first served; a priced tool's price is held before it runs and never overspends; nested
 * admissions never reuse a hold id.
 */
import {
  EMPTY_USAGE,
  asTaskId,
  usd,
  type AgentHost,
  type AgentResult,
  type AgentRunInput,
  type AgentRunner,
  type AgentToolPermit,
  type Clock,
  type LlmClient,
  type Tool,
  type ToolRegistry,
} from '@runtime/contracts';
import { describe, expect, it, vi } from 'vitest';
import type { OrchestratorOptions } from '../src/orchestrator-options.js';
import { createScriptedLlm } from '../src/testing.js';
import { FaultyStore } from './support/faulty-store.js';
import { createMemoryRunStore } from '../src/memory-run-store.js';
import { fakeLedger } from './support/fakes.js';
import { harness } from './support/setup.js';

type Script = (input: AgentRunInput, host: AgentHost) => Promise<string>;

/** A runner whose loop for each task is a script over the host. */
function scriptedRunner(scripts: Record<string, Script>): AgentRunner {
  return {
    async run(input: AgentRunInput): Promise<AgentResult> {
      const script = scripts[input.taskId];
      if (script === undefined) throw new Error(`no script for ${input.taskId}`);
      const output = await script(input, input.host);
      return { output, steps: 1, toolCalls: 0, usage: EMPTY_USAGE, costUsd: 0, toolCostUsd: 0, messages: [] };
    },
  };
}

/** A registry knowing every tool name (the scripts never run tools through it). */
function anyTools(): ToolRegistry {
  return {
    register: () => undefined,
    get: (name: string) => ({ name }) as unknown as Tool,
    has: () => true,
    list: () => [],
    check: () => undefined,
  };
}

function agents(scripts: Record<string, Script>): Pick<OrchestratorOptions, 'agents'> {
  return { agents: { runner: scriptedRunner(scripts), tools: anyTools() } };
}

const agentTask = (id: string) => ({ id, prompt: `${id}?`, maxOutputTokens: 10, agent: { tools: ['lookup'] } });

function gate(): { readonly opened: Promise<void>; open: () => void } {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/** A client whose answer for task `held` waits for `until`. */
function heldLlm(held: string, until: Promise<void>): LlmClient {
  const inner = createScriptedLlm();
  return {
    provider: 'scripted',
    complete: (request, options) => (options?.context?.taskId === held ? until.then(() => inner.complete(request, options)) : inner.complete(request, options)),
  };
}

describe('a task waiting for input and the parallelism slots', () => {
  it('gives the slot to an independent task; an abort while it waits ends the run aborted (nothing left in flight)', async () => {
    const { orchestrator } = harness(createScriptedLlm(), agents({ asker: async (_input, host) => `got ${JSON.stringify(await host.awaitInput?.({ kind: 'answer', step: 1, prompt: 'Which city?' }))}` }));
    const started = await orchestrator.start({ tasks: [agentTask('asker'), { id: 'plain', prompt: 'Hi.' }], policy: { budgetUsd: 1, maxParallelism: 1 } });
    await vi.waitFor(async () => expect((await orchestrator.get(started.id))?.tasks[1]?.state).toBe('completed'), { timeout: 3_000 });
    const waiting = await orchestrator.get(started.id);
    expect(waiting?.state).toBe('running');
    expect(waiting?.tasks[0]?.waiting?.reason).toBe('input');
    await orchestrator.abort(started.id);
    const run = await orchestrator.wait(started.id);
    expect(run.state).toBe('aborted');
    expect(run.tasks[0]?.state).toBe('failed');
    expect(run.tasks[0]?.error).toMatchObject({ code: 'RUN_ABORTED' });
    await orchestrator.close();
  });

  it('an abort while the question is being journaled ends the run aborted and leaves no unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      // The commit of the question is slow: the abort lands while it is written.
      const store = new FaultyStore(createMemoryRunStore(), (_index, _runId, commit) =>
        commit.events?.some((event) => event.type === 'task.input_required') === true ? { delayMs: 200 } : 'ok',
      );
      const { orchestrator } = harness(createScriptedLlm(), { store, ...agents({ asker: async (_input, host) => `got ${JSON.stringify(await host.awaitInput?.({ kind: 'answer', step: 1, prompt: 'Which city?' }))}` }) });
      const started = await orchestrator.start({ tasks: [agentTask('asker')], policy: { budgetUsd: 1 } });
      await vi.waitFor(() => expect(store.commits).toBeGreaterThan(1));
      await new Promise((resolve) => setTimeout(resolve, 50));
      await orchestrator.abort(started.id);
      const run = await orchestrator.wait(started.id);
      expect(run.state).toBe('aborted');
      expect(run.tasks[0]?.error).toMatchObject({ code: 'RUN_ABORTED' });
      await new Promise((resolve) => setTimeout(resolve, 50));
      await orchestrator.close();
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('a run stopped by another task\'s budget refusal does not wait for a human: the task waiting for input ends and the run fails', async () => {
    const { orchestrator } = harness(
      createScriptedLlm(),
      agents({
        asker: async (_input, host) => `got ${JSON.stringify(await host.awaitInput?.({ kind: 'answer', step: 1, prompt: 'Which city?' }))}`,
        spender: async (_input, host) => {
          // Waits until the asker waits, then asks for a price over the run's budget.
          await new Promise((resolve) => setTimeout(resolve, 100));
          await host.admitTool?.({ step: 1, depth: 0, callId: 'big', tool: 'lookup', toolCallsBefore: 0, costUsd: 5 });
          return 'unreachable';
        },
      }),
    );
    const started = await orchestrator.start({ tasks: [agentTask('asker'), agentTask('spender')], policy: { budgetUsd: 1, maxParallelism: 2 } });
    await vi.waitFor(async () => expect((await orchestrator.get(started.id))?.state).toBe('failed'), { timeout: 3_000 });
    const run = await orchestrator.wait(started.id);
    expect(run.tasks[1]?.error).toMatchObject({ code: 'BUDGET_EXCEEDED' });
    expect(run.tasks[0]?.state).toBe('failed');
    expect(run.tasks[0]?.error).toMatchObject({ code: 'RUN_ABORTED', details: { reason: 'runStopped' } });
    await orchestrator.close();
  });

  it('a nested loop calling the model while a sibling call waits for approval leaves the task shown as waiting for input', async () => {
    let nestedDone = false;
    const { orchestrator, store } = harness(
      createScriptedLlm(),
      agents({
        agent: async (input, host) => {
          const asking = host.awaitInput?.({ kind: 'approval', step: 1, callId: 'c1', tool: 'lookup' });
          await new Promise((resolve) => setTimeout(resolve, 50));
          // The step's other call runs a nested loop meanwhile.
          await host.callModel({ model: input.model, messages: input.messages, maxOutputTokens: 10 }, { step: 1, depth: 1 });
          nestedDone = true;
          const reply = await asking;
          return reply?.decision ?? 'none';
        },
      }),
    );
    const started = await orchestrator.start({ tasks: [agentTask('agent')], policy: { budgetUsd: 1 } });
    await vi.waitFor(() => expect(nestedDone).toBe(true));
    const waiting = await orchestrator.get(started.id);
    expect(waiting?.tasks[0]?.state).toBe('waiting');
    expect(waiting?.tasks[0]?.waiting?.reason).toBe('input');
    const [journaled] = await store.getTasks(started.id);
    expect(journaled?.state).toBe('waiting');
    await orchestrator.provideInput(started.id, asTaskId('agent'), { decision: 'approve' });
    const run = await orchestrator.wait(started.id);
    expect(run.state).toBe('completed');
    expect(run.tasks[0]?.output).toBe('approve');
    await orchestrator.close();
  });

  it('answered tasks take a slot again first come first served, once one is free', async () => {
    const order: string[] = [];
    const ask: Script = async (input, host) => {
      const reply = await host.awaitInput?.({ kind: 'answer', step: 1, prompt: 'Go?' });
      order.push(input.taskId);
      return reply?.decision === 'answer' ? reply.text : '';
    };
    const slow = gate();
    const { orchestrator } = harness(heldLlm('slow', slow.opened), agents({ first: ask, second: ask }));
    const started = await orchestrator.start({
      tasks: [agentTask('first'), agentTask('second'), { id: 'slow', prompt: 'Slowly.' }],
      policy: { budgetUsd: 1, maxParallelism: 1 },
    });
    // Both agents ask (each gave its slot to the next task), then the slow task holds the slot.
    await vi.waitFor(async () => {
      const tasks = (await orchestrator.get(started.id))?.tasks ?? [];
      expect(tasks.map((task) => task.state)).toEqual(['waiting', 'waiting', 'running']);
    });
    await orchestrator.provideInput(started.id, asTaskId('second'), { decision: 'answer', text: 'two' });
    await orchestrator.provideInput(started.id, asTaskId('first'), { decision: 'answer', text: 'one' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(order).toEqual([]); // the slot is still the slow task's
    slow.open();
    const run = await orchestrator.wait(started.id);
    expect(run.state).toBe('completed');
    expect(order).toEqual(['second', 'first']);
    expect(run.tasks.map((task) => task.output)).toEqual(['one', 'two', expect.any(String)]);
    await orchestrator.close();
  });
});

describe('admitTool: priced tools', () => {
  it('holds each price before the tool runs, charges it once, refuses the one that does not fit (BUDGET_EXCEEDED): spent never passes the limit', async () => {
    const ended: string[] = [];
    const script: Script = async (_input, host) => {
      for (const callId of ['a', 'b', 'c']) {
        const permit = await host.admitTool?.({ step: 1, depth: 0, callId, tool: 'lookup', toolCallsBefore: 0, costUsd: 0.0004 });
        ended.push(callId);
        await permit?.end(true);
      }
      return 'done';
    };
    const { orchestrator, ledger } = harness(createScriptedLlm(), agents({ agent: script }));
    const run = await orchestrator.wait((await orchestrator.start({ tasks: [agentTask('agent')], policy: { budgetUsd: 0.001 } })).id);
    expect(run.tasks[0]?.error).toMatchObject({ code: 'BUDGET_EXCEEDED' });
    expect(ended).toEqual(['a', 'b']);
    const snapshot = await ledger.snapshot(`run:${run.id}`);
    expect(snapshot.spent).toBe(2n * usd(0.0004));
    expect(snapshot.reserved).toBe(0n);
    expect(run.tasks[0]?.usage.costUsd).toBe(0.0008);
    expect(ledger.open()).toBe(0);
    await orchestrator.close();
  });

  it('every open hold of the task is renewed while its tool runs, not only the last one (two priced tools in parallel)', async () => {
    const script: Script = async (_input, host) => {
      const admit = (callId: string): Promise<AgentToolPermit> => {
        if (host.admitTool === undefined) throw new Error('the host admits no tools');
        return host.admitTool({ step: 1, depth: 0, callId, tool: 'lookup', toolCallsBefore: 0, costUsd: 0.0001 });
      };
      const [first, second] = await Promise.all([admit('a'), admit('b')]);
      // Both tools run for several reservation leases.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await first.end(true);
      await second.end(true);
      return 'done';
    };
    const ledger = fakeLedger();
    const renewed = new Set<string>();
    const renew = ledger.renew.bind(ledger);
    ledger.renew = (id, leaseMs) => {
      renewed.add(id);
      return renew(id, leaseMs);
    };
    const { orchestrator, store } = harness(createScriptedLlm(), { ledger, leaseTtlMs: 300, reservationLeaseMs: 300, ...agents({ agent: script }) });
    const run = await orchestrator.wait((await orchestrator.start({ tasks: [agentTask('agent')], policy: { budgetUsd: 0.01 } })).id);
    expect(run.state).toBe('completed');
    const events = await store.readEvents(run.id, 0, 1000);
    const holds = events.flatMap((event) => (event.type === 'budget.reserved' ? [event.reservationId] : []));
    expect(holds).toHaveLength(2);
    for (const hold of holds) expect(renewed).toContain(hold);
    expect((await ledger.snapshot(`run:${run.id}`)).spent).toBe(2n * usd(0.0001));
    await orchestrator.close();
  });

  it('a permit ended uncharged gives the price back; nested admissions of the same step and call id get distinct holds', async () => {
    const script: Script = async (_input, host) => {
      for (const depth of [1, 1, 2]) {
        const permit = await host.admitTool?.({ step: 1, depth, callId: 'call_1', tool: 'lookup', toolCallsBefore: 0, costUsd: 0.0004 });
        await permit?.end(false);
        await permit?.end(true); // once only: a second end does nothing
      }
      return 'done';
    };
    const { orchestrator, ledger, store } = harness(createScriptedLlm(), agents({ agent: script }));
    const run = await orchestrator.wait((await orchestrator.start({ tasks: [agentTask('agent')], policy: { budgetUsd: 0.001 } })).id);
    expect(run.state).toBe('completed');
    const events = await store.readEvents(run.id, 0, 1000);
    const holds = events.flatMap((event) => (event.type === 'budget.reserved' ? [event.reservationId] : []));
    expect(holds).toHaveLength(3);
    expect(new Set(holds).size).toBe(3);
    expect(events.filter((event) => event.type === 'budget.released')).toHaveLength(3);
    const snapshot = await ledger.snapshot(`run:${run.id}`);
    expect(snapshot.spent).toBe(0n);
    expect(snapshot.reserved).toBe(0n);
    await orchestrator.close();
  });

  it('a crash after a priced tool was charged but before its settle was journaled: the resume finds the charge although the task named another open hold', async () => {
    const ledger = fakeLedger();
    let failed = false;
    // The settle of tool "a" reaches the ledger; from its journal commit on the owner writes nothing
    // more (it crashed).
    const store = new FaultyStore(createMemoryRunStore(), (_index, _runId, commit) => {
      failed ||= commit.events?.some((event) => event.type === 'budget.settled' && event.reservationId.endsWith('/tool.a')) === true;
      return failed ? 'terminal' : 'ok';
    });
    const admit = (host: AgentHost, callId: string): Promise<AgentToolPermit> => {
      if (host.admitTool === undefined) throw new Error('the host admits no tools');
      return host.admitTool({ step: 1, depth: 0, callId, tool: 'lookup', toolCallsBefore: 0, costUsd: 0.0001 });
    };
    const first = harness(createScriptedLlm(), {
      store,
      ledger,
      owner: 'crashing',
      onBackgroundError: () => undefined,
      ...agents({
        agent: async (_input, host) => {
          const a = await admit(host, 'a');
          await admit(host, 'b'); // still open: the task record now names b's hold
          await a.end(true);
          return 'unreachable';
        },
      }),
    }).orchestrator;
    const started = await first.start({ tasks: [agentTask('agent')], policy: { budgetUsd: 0.01 } });
    await vi.waitFor(() => expect(failed).toBe(true));
    // Another process, once the crashed owner's lease expired, resumes the run; its loop needs no tools.
    const later: Clock = { now: () => Date.now() + 3_600_000 };
    store.fault = () => 'ok';
    const second = harness(createScriptedLlm(), { store, ledger, owner: 'resuming', clock: later, ...agents({ agent: () => Promise.resolve('done') }) }).orchestrator;
    await second.resumeAll();
    const run = await second.wait(started.id);
    expect(run.state).toBe('completed');
    const snapshot = await ledger.snapshot(`run:${run.id}`);
    expect(snapshot.spent).toBe(usd(0.0001));
    expect(snapshot.reserved).toBe(0n);
    // The journal's books match the ledger: tool a's price is the task's cost.
    expect(run.tasks[0]?.usage.costUsd).toBe(0.0001);
    await first.close();
    await second.close();
  });

  it('an attempt that ends with open permits gives every hold back in the ledger, also when journaling a release fails', async () => {
    const ledger = fakeLedger();
    // The first release's journal commit fails for good.
    let failedOnce = false;
    const store = new FaultyStore(createMemoryRunStore(), (_index, _runId, commit) => {
      if (failedOnce || commit.events?.some((event) => event.type === 'budget.released') !== true) return 'ok';
      failedOnce = true;
      return 'terminal';
    });
    const admit = (host: AgentHost, callId: string): Promise<AgentToolPermit> => {
      if (host.admitTool === undefined) throw new Error('the host admits no tools');
      return host.admitTool({ step: 1, depth: 0, callId, tool: 'lookup', toolCallsBefore: 0, costUsd: 0.0001 });
    };
    const { orchestrator } = harness(createScriptedLlm(), {
      store,
      ledger,
      onBackgroundError: () => undefined,
      ...agents({
        agent: async (_input, host) => {
          await admit(host, 'a');
          await admit(host, 'b');
          throw new Error('the runner stopped with both permits open');
        },
      }),
    });
    const started = await orchestrator.start({ tasks: [agentTask('agent')], policy: { budgetUsd: 0.01 } });
    await vi.waitFor(() => expect(failedOnce).toBe(true));
    await orchestrator.wait(started.id).catch(() => undefined);
    await vi.waitFor(async () => expect((await ledger.snapshot(`run:${started.id}`)).reserved).toBe(0n));
    expect(ledger.open()).toBe(0);
    await orchestrator.close();
  });
});
