/**
 * Agent tasks inside the DAG, with the real parts (createRuntime: cost, context, orchestration,
 * @runtime/agent): the final answer routed to a dependent, each step reserved and billed like a
 * task's call, limits, approvals through provideInput (also across a restart on SQLite), crash
 * mid-loop + resume without repeating a completed tool call, unknown tools refused at submission.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAgentRunner, createToolRegistry, defineTool, subAgentTool } from '@runtime/agent';
import { asTaskId, moneyToUsd, usd, type LlmCallOptions, type PolicyCheckInput, type PolicyEnforcer, type LlmClient, type LlmRequest, type LlmResult, type RunId, type RuntimeEvent, type Tool, type Usage } from '@runtime/contracts';
import { createSqliteRunStore } from '@runtime/orchestration/sqlite';
import { createOpenAiCompatibleClient } from '@runtime/providers';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createRuntime, type Runtime, type RuntimeOptions } from '../src/index.js';
import { fakeServer, json } from './support/agent-ledger-host.js';

const folder = mkdtempSync(join(tmpdir(), 'stack-agent-dag-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const STEP_USAGE: Usage = { inputTokens: 100, outputTokens: 20, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };

interface AgentLlm extends LlmClient {
  /** Model calls per task id. */
  readonly calls: Map<string, number>;
  readonly requests: LlmRequest[];
}

/**
 * A model that behaves like one: with tools and no tool result yet it asks for `get_weather`
 * (always, when `loop`), otherwise it answers with what it was given. `hang(task, step)` holds a call
 * until it is aborted (a process that dies mid-call).
 */
function agentLlm(
  options: { readonly loop?: boolean; readonly hang?: (task: string, step: number) => boolean; readonly gate?: (task: string) => Promise<void> | undefined } = {},
): AgentLlm {
  const calls = new Map<string, number>();
  const requests: LlmRequest[] = [];
  return {
    provider: 'scripted',
    calls,
    requests,
    complete(request: LlmRequest, callOptions?: LlmCallOptions): Promise<LlmResult> {
      const task = String(callOptions?.context?.taskId ?? '?');
      const step = (calls.get(task) ?? 0) + 1;
      calls.set(task, step);
      requests.push(request);
      if (options.hang?.(task, step) === true) {
        return new Promise((_resolve, reject) => {
          callOptions?.signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
        });
      }
      const gate = options.gate?.(task);
      if (gate !== undefined) return gate.then(() => ({ output: `done ${task}`, usage: STEP_USAGE, finishReason: 'stop' as const }));
      const results = request.messages.filter((message) => message.role === 'tool');
      if ((request.tools?.length ?? 0) > 0 && (results.length === 0 || options.loop === true)) {
        return Promise.resolve({
          output: '',
          toolCalls: [{ id: `call_${step}`, name: 'get_weather', arguments: '{"city":"Paris"}' }],
          usage: STEP_USAGE,
          finishReason: 'tool_calls',
        });
      }
      const last = results.at(-1)?.content ?? request.messages.at(-1)?.content ?? '';
      return Promise.resolve({ output: `answer(${last})`, usage: STEP_USAGE, finishReason: 'stop' });
    },
  };
}

function weatherTool(ran: string[], requiresApproval = false, costUsd?: number): Tool {
  return defineTool({
    name: 'get_weather',
    description: 'Current weather of a city.',
    input: z.object({ city: z.string() }),
    requiresApproval,
    ...(costUsd === undefined ? {} : { costUsd }),
    execute: ({ city }) => {
      ran.push(city);
      return Promise.resolve(`sunny in ${city}`);
    },
  });
}

function runtime(llm: LlmClient, options: Omit<RuntimeOptions, 'llm'> = {}): Runtime {
  return createRuntime({ ...options, llm, tracing: false });
}

async function events(rt: Runtime, runId: RunId): Promise<RuntimeEvent[]> {
  return [...(await rt.store.readEvents(runId, 0, 10_000))];
}

const researchTask = { id: 'research', prompt: 'Weather in Paris?', agent: { tools: ['get_weather'] } } as const;

describe('agent tasks in the DAG', () => {
  it('runs model → tool → final answer, routes the answer to a dependent, and bills every step once', async () => {
    const ran: string[] = [];
    const llm = agentLlm();
    const rt = runtime(llm, { tools: [weatherTool(ran)] });
    const run = await rt.run({
      tasks: [researchTask, { id: 'report', prompt: 'Write the report.', deps: ['research'] }],
      policy: { budgetUsd: 1 },
    });
    expect(run.state).toBe('completed');
    const research = run.tasks.find((task) => task.id === 'research');
    expect(research?.output).toBe('answer(sunny in Paris)');
    expect(ran).toEqual(['Paris']);
    expect(llm.calls.get('research')).toBe(2);
    // The dependent got the final answer in its prompt.
    const reportRequest = llm.requests.find((request) => (request.tools?.length ?? 0) === 0);
    expect(reportRequest?.messages.some((message) => message.content.includes('answer(sunny in Paris)'))).toBe(true);
    // Two steps, each reserved and settled under its own id; the task's usage is their sum.
    const journal = await events(rt, run.id);
    const ofResearch = journal.filter((event) => 'taskId' in event && event.taskId === 'research').map((event) => event.type);
    expect(ofResearch).toEqual([
      'task.ready',
      'task.started',
      'budget.reserved',
      'budget.settled',
      'agent.step',
      'tool.called',
      'tool.completed',
      'budget.reserved',
      'budget.settled',
      'agent.step',
      'task.completed',
    ]);
    const reserved = journal.flatMap((event) => (event.type === 'budget.reserved' && event.taskId === 'research' ? [event.reservationId] : []));
    expect(new Set(reserved).size).toBe(2);
    expect(reserved.every((id, index) => id.endsWith(`/s${index + 1}`))).toBe(true);
    expect(research?.usage.inputTokens).toBe(2 * STEP_USAGE.inputTokens);
    const stepCost = rt.costs.cost(research?.model ?? '', STEP_USAGE);
    const snapshot = await rt.ledger.snapshot(`run:${run.id}`);
    expect(snapshot.reserved).toBe(0n);
    expect(snapshot.spent).toBe(3n * stepCost); // two agent steps + the dependent's call
    await rt.orchestrator.close();
  });

  it('over a fake OpenAI server: tools and tool_choice on the wire, the tool result sent back, the answer routed, usage as reported', async () => {
    const server = await fakeServer((call, _index, response) => {
      const messages = call.body.messages as { role: string; content: string | null; tool_call_id?: string }[];
      const result = messages.find((message) => message.role === 'tool');
      const usage = { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 };
      if (call.body.tools !== undefined && result === undefined) {
        json(response, {
          id: 'c1',
          model: 'gpt-4o-mini',
          choices: [{ index: 0, finish_reason: 'tool_calls', message: { role: 'assistant', content: null, tool_calls: [{ id: 'call_w', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }] } }],
          usage,
        });
        return;
      }
      const text = result === undefined ? `report on: ${messages.at(-1)?.content ?? ''}` : `final(${result.tool_call_id ?? ''}=${result.content ?? ''})`;
      json(response, { id: 'c2', model: 'gpt-4o-mini', choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: text } }], usage });
    });
    try {
      const ran: string[] = [];
      const rt = createRuntime({
        clients: { openai: createOpenAiCompatibleClient({ baseUrl: `${server.url}/v1`, apiKey: 'sk-test' }) },
        resilience: false,
        tracing: false,
        tools: [weatherTool(ran)],
      });
      const run = await rt.run({
        tasks: [
          { id: 'research', model: 'gpt-4o-mini', prompt: 'Weather in Oslo?', agent: { tools: ['get_weather'], toolChoice: 'required' } },
          { id: 'report', model: 'gpt-4o-mini', prompt: 'Report.', deps: ['research'] },
        ],
        policy: { budgetUsd: 1 },
      });
      expect(run.state).toBe('completed');
      expect(ran).toEqual(['Oslo']);
      expect(run.tasks[0]?.output).toBe('final(call_w=sunny in Oslo)');
      const [first, second, third] = server.calls;
      expect(first?.body).toMatchObject({ tool_choice: 'required', tools: [{ type: 'function', function: { name: 'get_weather' } }] });
      expect(second?.body.messages).toEqual(
        expect.arrayContaining([expect.objectContaining({ role: 'tool', tool_call_id: 'call_w', content: 'sunny in Oslo' })]),
      );
      expect(third?.body.tools).toBeUndefined();
      expect(JSON.stringify(third?.body.messages)).toContain('final(call_w=sunny in Oslo)');
      expect(run.tasks[0]?.usage).toMatchObject({ inputTokens: 200, outputTokens: 40 });
      const snapshot = await rt.ledger.snapshot(`run:${run.id}`);
      expect(snapshot.reserved).toBe(0n);
      expect(snapshot.spent).toBe(run.tasks.reduce((sum, task) => sum + rt.costs.cost(task.model, task.usage), 0n));
      await rt.orchestrator.close();
    } finally {
      await server.close();
    }
  });

  it("charges a priced tool's declared price to the run and the task's cost, once per call", async () => {
    const ran: string[] = [];
    const rt = runtime(agentLlm(), { tools: [weatherTool(ran, false, 0.001)] });
    const run = await rt.run({ tasks: [researchTask], policy: { budgetUsd: 1 } });
    expect(run.state).toBe('completed');
    const task = run.tasks[0];
    const stepCost = rt.costs.cost(task?.model ?? '', STEP_USAGE);
    const price = usd(0.001);
    expect(rt.costs.cost(task?.model ?? '', task?.usage ?? STEP_USAGE)).toBe(2n * stepCost);
    const snapshot = await rt.ledger.snapshot(`run:${run.id}`);
    expect(snapshot.spent).toBe(2n * stepCost + price);
    expect(snapshot.reserved).toBe(0n);
    expect(task?.usage.costUsd).toBe(moneyToUsd((2n * stepCost + price) as typeof price));
    const journal = await events(rt, run.id);
    const completed = journal.findIndex((event) => event.type === 'tool.completed');
    // The price was held before the tool ran and is settled before its result is journaled.
    expect(journal[completed - 1]).toMatchObject({ type: 'budget.settled', costUsd: 0.001 });
    expect(journal.filter((event) => event.type === 'budget.reserved' && event.amountUsd === 0.001)).toHaveLength(1);
    await rt.orchestrator.close();
  });

  it('a nested agent (a tool that starts a sub-agent) bills its steps through the task, each under its own hold; the policy sees its depth', async () => {
    const ran: string[] = [];
    const registry = createToolRegistry([weatherTool(ran)]);
    registry.register(subAgentTool({ name: 'delegate', description: 'Delegates a sub-task.', runner: createAgentRunner({ registry }), tools: ['get_weather'] }));
    const depths: number[] = [];
    const toolChecks: string[] = [];
    const policy: PolicyEnforcer = {
      check: (input: PolicyCheckInput) => {
        if (input.kind === 'tool') toolChecks.push(`${input.tool ?? ''}@${input.depth}`);
        else depths.push(input.depth);
        return Promise.resolve({ decision: 'CONTINUE' });
      },
      settle: () => Promise.resolve(),
    };
    // depth 0: step 1 delegates, step 2 answers; depth 1: step 1 asks the weather, step 2 answers.
    const llm: LlmClient = {
      provider: 'scripted',
      complete(request: LlmRequest): Promise<LlmResult> {
        const names = (request.tools ?? []).map((tool) => tool.name);
        const results = request.messages.filter((message) => message.role === 'tool');
        if (results.length === 0) {
          const call = names.includes('delegate')
            ? { id: 'call_d', name: 'delegate', arguments: '{"task":"Find the weather in Paris."}' }
            : { id: 'call_w', name: 'get_weather', arguments: '{"city":"Paris"}' };
          return Promise.resolve({ output: '', toolCalls: [call], usage: STEP_USAGE, finishReason: 'tool_calls' });
        }
        return Promise.resolve({ output: `answer(${results.at(-1)?.content ?? ''})`, usage: STEP_USAGE, finishReason: 'stop' });
      },
    };
    const rt = runtime(llm, { tools: registry, policy });
    const run = await rt.run({ tasks: [{ id: 'boss', prompt: 'Weather?', agent: { tools: ['delegate'] } }], policy: { budgetUsd: 1 } });
    expect(run.tasks[0]?.error).toBeUndefined();
    expect(run.tasks[0]?.output).toBe('answer(answer(sunny in Paris))');
    expect(ran).toEqual(['Paris']);
    expect(depths).toEqual([0, 1, 1, 0]);
    // Each tool call is admitted by the policy at its loop's depth, the nested one included.
    expect(toolChecks).toEqual(['delegate@0', 'get_weather@1']);
    const journal = await events(rt, run.id);
    const holds = journal.flatMap((event) => (event.type === 'budget.reserved' ? [event.reservationId] : []));
    expect(holds).toHaveLength(4);
    expect(new Set(holds).size).toBe(4);
    const stepCost = rt.costs.cost(run.tasks[0]?.model ?? '', STEP_USAGE);
    const snapshot = await rt.ledger.snapshot(`run:${run.id}`);
    expect(snapshot.spent).toBe(4n * stepCost);
    expect(snapshot.reserved).toBe(0n);
    await rt.orchestrator.close();
  });

  it('a step admitted just as the run is aborted gives its rate-limit permit back (before: the permit was never settled)', async () => {
    const permits: string[] = [];
    const settled: string[] = [];
    const created: { runtime?: Runtime } = {};
    let aborting: Promise<unknown> | undefined;
    const policy: PolicyEnforcer = {
      async check(input: PolicyCheckInput) {
        const permitId = `p${permits.length + 1}`;
        permits.push(permitId);
        // The abort lands while the check is in flight (awaiting it here would wait for this task).
        aborting = created.runtime?.orchestrator.abort(input.runId, 'stop');
        await Promise.resolve();
        return { decision: 'CONTINUE', permitId };
      },
      settle: (permitId: string) => {
        settled.push(permitId);
        return Promise.resolve();
      },
    };
    const llm = agentLlm();
    const rt = runtime(llm, { tools: [weatherTool([])], policy });
    created.runtime = rt;
    const run = await rt.run({ tasks: [researchTask], policy: { budgetUsd: 1 } });
    await aborting;
    expect(run.state).toBe('aborted');
    expect(llm.calls.size).toBe(0);
    expect(permits).toEqual(['p1']);
    expect(settled).toEqual(['p1']);
    await rt.orchestrator.close();
  });

  it('refuses unknown tool names at start and addTasks, naming task and tool (before: accepted, never checked)', async () => {
    const rt = runtime(agentLlm(), { tools: [weatherTool([])] });
    await expect(rt.start({ tasks: [{ id: 'a', prompt: 'x', agent: { tools: ['get_weather', 'launch_rockets'] } }] })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { task: 'a', tool: 'launch_rockets' },
    });
    await expect(rt.start({ tasks: [{ id: 'plain', prompt: 'x', tools: ['get_wether'] }] })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { task: 'plain', tool: 'get_wether' },
    });
    const llm = agentLlm({ hang: (task) => task === 'slow' });
    const hanging = runtime(llm, { tools: [weatherTool([])] });
    const started = await hanging.start({ tasks: [{ id: 'slow', prompt: 'wait' }] });
    await expect(hanging.orchestrator.addTasks(started.id, [{ id: 'b', prompt: 'x', agent: { tools: ['nope'] } }])).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { task: 'b', tool: 'nope' },
    });
    await hanging.orchestrator.abort(started.id);
    await hanging.orchestrator.close();
    await rt.orchestrator.close();
  });

  it('stops the loop when the next step does not fit the budget: BUDGET_EXCEEDED, spend exact, nothing reserved', async () => {
    const ran: string[] = [];
    const llm = agentLlm();
    const rt = runtime(llm, { tools: [weatherTool(ran)] });
    // Step 1's worst case (1000 output tokens) fits; step 1's spend + step 2's worst case does not.
    const run = await rt.run({ tasks: [{ ...researchTask, maxOutputTokens: 1000 }], policy: { budgetUsd: 0.00165 } });
    expect(run.state).toBe('failed');
    const task = run.tasks[0];
    expect(task?.state).toBe('failed');
    expect(task?.error?.code).toBe('BUDGET_EXCEEDED');
    expect(llm.calls.get('research')).toBe(1);
    expect(ran).toEqual(['Paris']);
    const stepCost = rt.costs.cost(task?.model ?? '', STEP_USAGE);
    const snapshot = await rt.ledger.snapshot(`run:${run.id}`);
    expect(snapshot.spent).toBe(stepCost);
    expect(snapshot.reserved).toBe(0n);
    expect(task?.usage.inputTokens).toBe(STEP_USAGE.inputTokens);
    const journal = await events(rt, run.id);
    expect(journal.some((event) => event.type === 'budget.exceeded')).toBe(true);
    await rt.orchestrator.close();
  });

  it('a step that fits the budget only once another task settles waits for it (reason budget), then goes on', async () => {
    const ran: string[] = [];
    let open: () => void = () => undefined;
    const slowDone = new Promise<void>((resolve) => {
      open = resolve;
    });
    const llm = agentLlm({ gate: (task) => (task === 'slow' ? slowDone : undefined) });
    const rt = runtime(llm, { tools: [weatherTool(ran)] });
    // Both first worst cases fit together; step 2's worst case fits beside the spend, not beside slow's hold.
    const started = await rt.start({
      tasks: [{ ...researchTask, maxOutputTokens: 1000 }, { id: 'slow', prompt: 'Take your time.', maxOutputTokens: 16_000 }],
      policy: { budgetUsd: 0.02726, maxParallelism: 2 },
    });
    await vi.waitFor(async () => expect((await rt.orchestrator.get(started.id))?.tasks[0]?.waiting?.reason).toBe('budget'));
    expect(llm.calls.get('research')).toBe(1);
    open();
    const run = await rt.orchestrator.wait(started.id);
    expect(run.state).toBe('completed');
    expect(run.tasks[0]?.output).toBe('answer(sunny in Paris)');
    expect(llm.calls.get('research')).toBe(2);
    const snapshot = await rt.ledger.snapshot(`run:${run.id}`);
    expect(snapshot.reserved).toBe(0n);
    expect(snapshot.spent).toBe(run.tasks.reduce((sum, task) => sum + rt.costs.cost(task.model, task.usage), 0n));
    await rt.orchestrator.close();
  });

  it('fails with AGENT_MAX_STEPS after maxSteps model calls without a final answer', async () => {
    const llm = agentLlm({ loop: true });
    const rt = runtime(llm, { tools: [weatherTool([])] });
    const run = await rt.run({ tasks: [{ ...researchTask, agent: { tools: ['get_weather'], maxSteps: 2 } }], policy: { budgetUsd: 1 } });
    expect(run.tasks[0]?.error?.code).toBe('AGENT_MAX_STEPS');
    expect(llm.calls.get('research')).toBe(2);
    expect((await rt.ledger.snapshot(`run:${run.id}`)).reserved).toBe(0n);
    await rt.orchestrator.close();
  });

  it('waits for approval (state waiting, reason input) and goes on when provideInput approves or rejects', async () => {
    for (const decision of ['approve', 'reject'] as const) {
      const ran: string[] = [];
      const llm = agentLlm();
      const rt = runtime(llm, { tools: [weatherTool(ran, true)] });
      const started = await rt.start({ tasks: [researchTask], policy: { budgetUsd: 1 } });
      await vi.waitFor(async () => expect((await rt.orchestrator.get(started.id))?.tasks[0]?.waiting?.reason).toBe('input'));
      const waiting = await rt.orchestrator.get(started.id);
      expect(waiting?.tasks[0]?.state).toBe('waiting');
      expect(waiting?.tasks[0]?.waiting?.details).toMatchObject({ request: { kind: 'approval', tool: 'get_weather', callId: 'call_1' } });
      expect((await events(rt, started.id)).some((event) => event.type === 'task.input_required' && event.tool === 'get_weather')).toBe(true);
      expect(ran).toEqual([]);
      // A text answer to an approval is refused.
      await expect(rt.orchestrator.provideInput(started.id, asTaskId('research'), { decision: 'answer', text: 'hi' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      const task = await rt.orchestrator.provideInput(started.id, asTaskId('research'), decision === 'approve' ? { decision } : { decision, reason: 'not now' });
      expect(task.id).toBe('research');
      const run = await rt.orchestrator.wait(started.id);
      expect(run.state).toBe('completed');
      if (decision === 'approve') {
        expect(ran).toEqual(['Paris']);
        expect(run.tasks[0]?.output).toBe('answer(sunny in Paris)');
      } else {
        expect(ran).toEqual([]);
        expect(run.tasks[0]?.output).toContain('TOOL_REJECTED');
      }
      // Not waiting any more.
      await expect(rt.orchestrator.provideInput(started.id, asTaskId('research'), { decision: 'approve' })).rejects.toMatchObject({ code: 'RUN_NOT_RUNNING' });
      await rt.orchestrator.close();
    }
  });

  it('two calls needing approval in one step are asked one after the other, and both run once approved (before: the second replaced the first, which waited forever)', async () => {
    const ran: string[] = [];
    const llm: LlmClient = {
      provider: 'scripted',
      complete(request: LlmRequest): Promise<LlmResult> {
        const results = request.messages.filter((message) => message.role === 'tool');
        if (results.length === 0) {
          const toolCalls = ['Paris', 'Rome'].map((city, index) => ({ id: `call_${index + 1}`, name: 'get_weather', arguments: JSON.stringify({ city }) }));
          return Promise.resolve({ output: '', toolCalls, usage: STEP_USAGE, finishReason: 'tool_calls' });
        }
        return Promise.resolve({ output: results.map((message) => message.content).join(' / '), usage: STEP_USAGE, finishReason: 'stop' });
      },
    };
    const rt = runtime(llm, { tools: [weatherTool(ran, true)] });
    const started = await rt.start({ tasks: [researchTask], policy: { budgetUsd: 1 } });
    const asked: string[] = [];
    for (let round = 0; round < 2; round += 1) {
      await vi.waitFor(async () => {
        const waiting = (await rt.orchestrator.get(started.id))?.tasks[0]?.waiting;
        expect(waiting?.reason).toBe('input');
        const callId = (waiting?.details as { request?: { callId?: string } } | undefined)?.request?.callId ?? '';
        expect(asked).not.toContain(callId);
        asked.push(callId);
      });
      await rt.orchestrator.provideInput(started.id, asTaskId('research'), { decision: 'approve' });
    }
    const run = await rt.orchestrator.wait(started.id);
    expect(run.state).toBe('completed');
    expect(asked.sort()).toEqual(['call_1', 'call_2']);
    expect(ran.sort()).toEqual(['Paris', 'Rome']);
    expect(run.tasks[0]?.output).toBe('sunny in Paris / sunny in Rome');
    await rt.orchestrator.close();
  });

  it('provideInput refuses an unknown run (RUN_NOT_FOUND), an unknown task (VALIDATION_FAILED) and a task that does not wait (RUN_NOT_RUNNING)', async () => {
    const llm = agentLlm({ hang: (task) => task === 'slow' });
    const rt = runtime(llm, { tools: [weatherTool([])] });
    await expect(rt.orchestrator.provideInput('missing' as RunId, asTaskId('a'), { decision: 'approve' })).rejects.toMatchObject({ code: 'RUN_NOT_FOUND' });
    const started = await rt.start({ tasks: [{ id: 'slow', prompt: 'wait' }] });
    await expect(rt.orchestrator.provideInput(started.id, asTaskId('nope'), { decision: 'approve' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', details: { task: 'nope' } });
    await expect(rt.orchestrator.provideInput(started.id, asTaskId('slow'), { decision: 'approve' })).rejects.toMatchObject({ code: 'RUN_NOT_RUNNING', details: { task: 'slow' } });
    await rt.orchestrator.abort(started.id);
    await rt.orchestrator.close();
  });

  it('an approval wait survives a restart on SQLite: the resumed task waits again and a later provideInput continues it', { timeout: 20_000 }, async () => {
    const path = join(folder, 'approval.db');
    const ran: string[] = [];
    const first = runtime(agentLlm(), { store: createSqliteRunStore({ path }), owner: 'first', leaseTtlMs: 2_000, tools: [weatherTool(ran, true)] });
    const started = await first.start({ tasks: [researchTask, { id: 'report', prompt: 'Report.', deps: ['research'] }], policy: { budgetUsd: 1 } });
    await vi.waitFor(async () => expect((await first.orchestrator.get(started.id))?.tasks[0]?.waiting?.reason).toBe('input'));
    await first.store.close(); // the crash: no graceful hand-over

    const llm = agentLlm();
    const second = runtime(llm, { store: createSqliteRunStore({ path }), owner: 'second', tools: [weatherTool(ran, true)] });
    await vi.waitFor(async () => expect((await second.store.findResumableRuns(Date.now())).map((record) => record.id)).toEqual([started.id]), { timeout: 10_000, interval: 50 });
    await second.orchestrator.resume(started.id);
    await vi.waitFor(async () => expect((await second.orchestrator.get(started.id))?.tasks[0]?.waiting?.reason).toBe('input'));
    expect(ran).toEqual([]);
    await second.orchestrator.provideInput(started.id, asTaskId('research'), { decision: 'approve' });
    const run = await second.orchestrator.wait(started.id);
    expect(run.state).toBe('completed');
    expect(ran).toEqual(['Paris']);
    // Step 1 was journaled by the first process: the resumed loop only makes step 2.
    expect(llm.calls.get('research')).toBe(1);
    expect(run.tasks.find((task) => task.id === 'report')?.state).toBe('completed');
    await second.orchestrator.close();
    await second.close();
    await first.orchestrator.close();
  });

  it('a crash mid-loop, then a resume on SQLite, repeats no completed tool call and loses no spend', { timeout: 20_000 }, async () => {
    const path = join(folder, 'crash.db');
    const ran: string[] = [];
    const dying = agentLlm({ hang: (task, step) => task === 'research' && step === 2 });
    const first = runtime(dying, { store: createSqliteRunStore({ path }), owner: 'first', leaseTtlMs: 2_000, tools: [weatherTool(ran)] });
    const started = await first.start({ tasks: [researchTask], policy: { budgetUsd: 1 } });
    await vi.waitFor(() => expect(dying.calls.get('research')).toBe(2));
    expect(ran).toEqual(['Paris']);
    await first.store.close();

    const llm = agentLlm();
    const second = runtime(llm, { store: createSqliteRunStore({ path }), owner: 'second', tools: [weatherTool(ran)] });
    await vi.waitFor(async () => expect((await second.store.findResumableRuns(Date.now())).map((record) => record.id)).toEqual([started.id]), { timeout: 10_000, interval: 50 });
    await second.orchestrator.resume(started.id);
    const run = await second.orchestrator.wait(started.id);
    expect(run.state).toBe('completed');
    expect(run.tasks[0]?.output).toBe('answer(sunny in Paris)');
    expect(ran).toEqual(['Paris']); // the completed call was replayed from the journal, not run again
    expect(llm.calls.get('research')).toBe(1);
    const stepCost = second.costs.cost(run.tasks[0]?.model ?? '', STEP_USAGE);
    expect(run.tasks[0]?.usage.inputTokens).toBe(2 * STEP_USAGE.inputTokens); // step 1 (first process) + step 2
    const snapshot = await second.ledger.snapshot(`run:${started.id}`);
    expect(snapshot.spent).toBe(2n * stepCost);
    expect(snapshot.reserved).toBe(0n);
    await second.orchestrator.close();
    await second.close();
    await first.orchestrator.close();
  });
});
