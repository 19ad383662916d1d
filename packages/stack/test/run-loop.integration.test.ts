/**
 * The run loop with the real cost and context implementations (tokenizer, calculator, ledger,
 * builder, compactor, router) and a scripted LLM — not mocks of the orchestrator's own parts.
 */
import { createContextBuilder, createContextCompactor, createContextRouter } from '@runtime/context';
import { createBudgetLedger, createCostCalculator, createModelCatalog, createTokenEstimator } from '@runtime/cost';
import type { Dag, RuntimeEvent, TaskSpec } from '@runtime/contracts';
import { createMemoryRunStore, createOrchestrator } from '@runtime/orchestration';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { OFFLINE_CATALOG } from '../src/index.js';
import { createScriptedLlm, providerError } from '@runtime/orchestration/testing';
import { realRuntime } from './support/real-runtime.js';

const task = (id: string, deps: string[] = [], extra: Partial<TaskSpec> = {}): TaskSpec => ({ id, prompt: `Please do ${id}.`, deps, ...extra }) as TaskSpec;

async function events(runtime: ReturnType<typeof realRuntime>, runId: string): Promise<RuntimeEvent[]> {
  const out: RuntimeEvent[] = [];
  for await (const event of runtime.orchestrator.events(runId as never)) out.push(event);
  return out;
}

function startOrder(llm: ReturnType<typeof createScriptedLlm>): string[] {
  return llm.log.filter((entry) => entry.type === 'start').map((entry) => entry.taskId);
}

describe('run loop with real cost + context', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('linear chain: each task starts after the previous one, output routed forward, cost exact', async () => {
    const llm = createScriptedLlm();
    const runtime = realRuntime(llm);
    const run = await runtime.run({ tasks: [task('a'), task('b', ['a']), task('c', ['b'])] });
    expect(run.state).toBe('completed');
    expect(startOrder(llm)).toEqual(['a', 'b', 'c']);
    const cRequest = llm.requests[2];
    expect(cRequest?.messages.some((message) => message.content.includes('output of b'))).toBe(true);
    expect(cRequest?.messages.some((message) => message.content.includes('output of a'))).toBe(false);
    const expected = run.tasks.reduce((sum, t) => sum + runtime.costs.cost(t.model, t.usage), 0n);
    const snapshot = await runtime.ledger.snapshot(`run:${run.id}`);
    expect(snapshot.spent).toBe(expected);
    expect(snapshot.reserved).toBe(0n);
    expect(runtime.usage.totals({ runId: run.id }).cost).toBe(expected);
  });

  it('fan-out / fan-in: siblings run in parallel, the join gets every output once', async () => {
    const llm = createScriptedLlm({ latency: () => 5 });
    const runtime = realRuntime(llm);
    const leaves = ['l1', 'l2', 'l3', 'l4'];
    const run = await runtime.run({
      tasks: [task('root'), ...leaves.map((id) => task(id, ['root'])), task('join', leaves)],
      policy: { maxParallelism: 4 },
    });
    expect(run.state).toBe('completed');
    expect(llm.maxActive).toBe(4);
    const join = llm.requests.at(-1);
    for (const leaf of leaves) {
      expect(join?.messages.filter((message) => message.content.includes(`output of ${leaf}`))).toHaveLength(1);
    }
  });

  it('diamond: the join starts only after both branches', async () => {
    const llm = createScriptedLlm({ latency: (id) => (id === 'left' ? 20 : 1) });
    const runtime = realRuntime(llm);
    const run = await runtime.run({ tasks: [task('top'), task('left', ['top']), task('right', ['top']), task('bottom', ['left', 'right'])] });
    expect(run.state).toBe('completed');
    const log = llm.log.map((entry) => `${entry.type}:${entry.taskId}`);
    expect(log.indexOf('start:bottom')).toBeGreaterThan(log.indexOf('end:left'));
    expect(log.indexOf('start:bottom')).toBeGreaterThan(log.indexOf('end:right'));
  });

  it('dynamic enqueue: tasks added mid-run, depending on completed and running tasks', async () => {
    const llm = createScriptedLlm({ latency: (id) => (id === 'slow' ? 300 : 0) });
    const runtime = realRuntime(llm);
    const started = await runtime.orchestrator.start({ tasks: [task('first'), task('slow')], policy: { maxParallelism: 2 } });
    await vi.waitFor(async () => expect((await runtime.orchestrator.get(started.id))?.tasks[0]?.state).toBe('completed'), { interval: 2 });
    await runtime.orchestrator.addTasks(started.id, [task('late', ['first']), task('later', ['late', 'slow'])]);
    const run = await runtime.orchestrator.wait(started.id);
    expect(run.state).toBe('completed');
    expect(run.tasks.map((t) => t.id)).toEqual(['first', 'slow', 'late', 'later']);
    expect(llm.requests.at(-1)?.messages.some((message) => message.content.includes('output of slow'))).toBe(true);
    const log = await events(runtime, started.id);
    expect(log.filter((event) => event.type === 'task.added').map((event) => ('taskId' in event ? event.taskId : ''))).toEqual(['late', 'later']);
  });

  it('failure with failFast: in-flight calls aborted, rest skipped, reservations released', async () => {
    const llm = createScriptedLlm({ latency: (id) => (id === 'bad' ? 2 : 5_000), fail: (id) => (id === 'bad' ? providerError(400) : undefined) });
    const runtime = realRuntime(llm);
    const run = await runtime.run({ tasks: [task('bad'), task('long'), task('next', ['long'])], policy: { maxParallelism: 2 } });
    expect(run.state).toBe('failed');
    expect(run.error?.code).toBe('PROVIDER_ERROR');
    expect(run.tasks.map((t) => [t.id, t.state, t.error?.code])).toEqual([
      ['bad', 'failed', 'PROVIDER_ERROR'],
      ['long', 'failed', 'RUN_ABORTED'],
      ['next', 'skipped', undefined],
    ]);
    expect(llm.aborted).toEqual(['long']);
    expect((await runtime.ledger.snapshot(`run:${run.id}`)).reserved).toBe(0n);
  });

  it('failure with continue: independent branches finish, downstream is skipped', async () => {
    const llm = createScriptedLlm({ fail: (id) => (id === 'bad' ? providerError(400) : undefined) });
    const runtime = realRuntime(llm);
    const run = await runtime.run({
      tasks: [task('bad'), task('down', ['bad']), task('deeper', ['down']), task('ok'), task('ok2', ['ok'])],
      policy: { failurePolicy: 'continue' },
    });
    expect(run.state).toBe('failed');
    expect(run.tasks.map((t) => t.state)).toEqual(['failed', 'skipped', 'skipped', 'completed', 'completed']);
  });

  it('abort mid-run: running → failed RUN_ABORTED, not started → skipped, idempotent', async () => {
    const llm = createScriptedLlm({ latency: () => 60_000 });
    const runtime = realRuntime(llm);
    const started = await runtime.orchestrator.start({ tasks: [task('a'), task('b'), task('c', ['a'])], policy: { maxParallelism: 2 } });
    await vi.waitFor(() => expect(llm.active).toBe(2));
    const aborted = await runtime.orchestrator.abort(started.id, 'operator');
    const again = await runtime.orchestrator.abort(started.id, 'twice');
    expect(aborted.state).toBe('aborted');
    expect(again).toMatchObject({ state: 'aborted', error: aborted.error });
    expect(aborted.tasks.map((t) => [t.state, t.error?.code])).toEqual([
      ['failed', 'RUN_ABORTED'],
      ['failed', 'RUN_ABORTED'],
      ['skipped', undefined],
    ]);
    expect(llm.active).toBe(0);
    expect((await runtime.ledger.snapshot(`run:${started.id}`)).reserved).toBe(0n);
  });

  it('task timeout: the slow call is aborted with TASK_TIMEOUT', async () => {
    const llm = createScriptedLlm({ latency: (id) => (id === 'slow' ? 60_000 : 0) });
    const runtime = realRuntime(llm);
    vi.useFakeTimers();
    const started = await runtime.orchestrator.start({ tasks: [task('slow'), task('fine')], policy: { taskTimeoutMs: 1_000, failurePolicy: 'continue' } });
    const done = runtime.orchestrator.wait(started.id);
    await vi.advanceTimersByTimeAsync(1_000);
    const run = await done;
    expect(run.tasks.map((t) => [t.state, t.error?.code])).toEqual([
      ['failed', 'TASK_TIMEOUT'],
      ['completed', undefined],
    ]);
    expect(llm.aborted).toEqual(['slow']);
  });

  it('run timeout: the run fails RUN_TIMEOUT and nothing is left reserved', async () => {
    const llm = createScriptedLlm({ latency: () => 60_000 });
    const runtime = realRuntime(llm);
    vi.useFakeTimers();
    const started = await runtime.orchestrator.start({ tasks: [task('a'), task('b', ['a'])], policy: { timeoutMs: 2_000 } });
    const done = runtime.orchestrator.wait(started.id);
    await vi.advanceTimersByTimeAsync(2_000);
    const run = await done;
    expect(run.error).toMatchObject({ code: 'RUN_TIMEOUT' });
    expect(run.tasks.map((t) => t.state)).toEqual(['failed', 'skipped']);
    expect((await runtime.ledger.snapshot(`run:${started.id}`)).reserved).toBe(0n);
  });

  it('budget refusal mid-run: BUDGET_EXCEEDED, spent ≤ limit, no reservation left', async () => {
    const llm = createScriptedLlm({
      latency: () => 1,
      usage: () => ({ inputTokens: 20, outputTokens: 300, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 }),
    });
    const runtime = realRuntime(llm, { defaultMaxOutputTokens: 1_000 });
    const tasks = Array.from({ length: 30 }, (_, index) => task(`t${index}`, index < 2 ? [] : [`t${index - 2}`]));
    // mock-balanced: worst case ≈ 1000 × 1.6 USD/MTok = 0.0016 USD per task; actual ≈ 0.00049, so the
    // spend itself soon leaves no room for a worst case (a refusal that only in-flight reservations
    // caused would wait instead: budget-aware admission).
    const run = await runtime.run({ tasks, policy: { budgetUsd: 0.002, maxParallelism: 2 } });
    expect(run.state).toBe('failed');
    expect(run.error?.code).toBe('BUDGET_EXCEEDED');
    const snapshot = await runtime.ledger.snapshot(`run:${run.id}`);
    expect(snapshot.reserved).toBe(0n);
    expect(snapshot.spent <= (snapshot.limit ?? 0n)).toBe(true);
    expect(run.tasks.some((t) => t.state === 'completed')).toBe(true);
    expect(run.tasks.some((t) => t.state === 'skipped')).toBe(true);
    const log = await events(runtime, run.id);
    expect(log.some((event) => event.type === 'budget.exceeded')).toBe(true);
    expect(log.at(-1)).toMatchObject({ type: 'run.failed', error: { code: 'BUDGET_EXCEEDED' } });
  });

  it('deadlock: a graph that can never progress fails DEADLOCK instead of hanging', async () => {
    const catalog = createModelCatalog({ builtin: false, catalogs: [OFFLINE_CATALOG] });
    const estimator = createTokenEstimator({ catalog });
    const stuck: Dag = {
      nodes: new Map([
        ['a' as never, { id: 'a' as never, deps: ['b' as never], dependents: ['b' as never], criticalPath: 2 }],
        ['b' as never, { id: 'b' as never, deps: ['a' as never], dependents: ['a' as never], criticalPath: 2 }],
      ]),
      order: ['a' as never, 'b' as never],
      roots: [],
    };
    const orchestrator = createOrchestrator({
      catalog,
      estimator,
      costs: createCostCalculator({ catalog }),
      ledger: createBudgetLedger(),
      builder: createContextBuilder({ estimator }),
      compactor: createContextCompactor({ estimator }),
      router: createContextRouter({ estimator }),
      llm: createScriptedLlm(),
      store: createMemoryRunStore(),
      resolver: { resolve: () => stuck },
    });
    const started = await orchestrator.start({ tasks: [task('a'), task('b')] });
    const run = await orchestrator.wait(started.id);
    expect(run.error).toMatchObject({ code: 'DEADLOCK', details: { pending: ['a', 'b'] } });
  });

  it('compacts a context that does not fit and reports it', async () => {
    const llm = createScriptedLlm();
    const runtime = realRuntime(llm);
    const messages = Array.from({ length: 40 }, (_, index) => ({ role: 'user' as const, content: `Message ${index}: ${'lorem ipsum '.repeat(20)}` }));
    const run = await runtime.run({
      tasks: [{ id: 'long', messages, maxOutputTokens: 100 }],
      policy: { context: { maxTokens: 400, strategy: 'truncate' } },
    });
    expect(run.state).toBe('completed');
    const log = await events(runtime, run.id);
    const compacted = log.find((event) => event.type === 'context.compacted');
    expect(compacted).toMatchObject({ strategy: 'truncate' });
    expect(compacted && 'tokensAfter' in compacted ? compacted.tokensAfter : Infinity).toBeLessThanOrEqual(400);
  });

  it('summarizes through the runtime\'s own client and bills the summary call to the task', async () => {
    const llm = createScriptedLlm();
    const runtime = realRuntime(llm);
    const messages = Array.from({ length: 40 }, (_, index) => ({ role: 'user' as const, content: `Message ${index}: ${'lorem ipsum '.repeat(20)}` }));
    const run = await runtime.run({
      tasks: [{ id: 'long', messages, maxOutputTokens: 100 }],
      policy: { context: { maxTokens: 600, strategy: 'summarize' } },
    });
    expect(run.state).toBe('completed');
    const log = await events(runtime, run.id);
    const compacted = log.find((event) => event.type === 'context.compacted');
    expect(compacted).toMatchObject({ strategy: 'summarize' });
    expect(compacted && 'summarizedMessages' in compacted ? compacted.summarizedMessages : 0).toBeGreaterThan(0);
    // One summary call and the task's own call, both billed to the task.
    expect(llm.requests).toHaveLength(2);
    const [summaryRequest, taskRequest] = llm.requests;
    expect(taskRequest?.messages.length).toBeLessThan(messages.length);
    expect(summaryRequest?.messages.length).toBeGreaterThan(0);
    const usage = run.tasks[0]?.usage;
    expect(usage?.inputTokens).toBe(2 * (10 + 'long'.length));
    expect(usage?.outputTokens).toBe(2 * 5);
  });
});
