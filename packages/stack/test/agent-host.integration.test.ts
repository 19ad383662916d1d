/**
 * The orchestrator as the agent loop's host, on the real parts (createRuntime with the real
 * @runtime/agent runner, the real @runtime/policy enforcer and tiers, a Redis ledger for money):
 * each tenant's tier limits apply per run to tool calls (allowlist, tool calls per run, also across
 * a crash and resume), a priced tool reserves its price before it runs (never overspends), an
 * input-waiting task gives its parallelism slot back, and an approval carries a note.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAgentRunner, createToolRegistry, defineTool, subAgentTool } from '@runtime/agent';
import {
  asTaskId,
  moneyToUsd,
  usd,
  type LlmCallOptions,
  type LlmClient,
  type LlmRequest,
  type LlmResult,
  type Money,
  type RunId,
  type RuntimeEvent,
  type TierPolicy,
  type Tool,
  type Usage,
} from '@runtime/contracts';
import { createModelCatalog } from '@runtime/cost';
import { createRedisBudgetLedger } from '@runtime/cost/redis';
import { createSqliteRunStore } from '@runtime/orchestration/sqlite';
import { createPolicyEnforcer, createTierResolver } from '@runtime/policy';
import type { Redis } from 'ioredis';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createRuntime, OFFLINE_CATALOG, type Runtime, type RuntimeOptions } from '../src/index.js';

// ioredis is a dependency of @runtime/cost (its optional peer); the stack resolves it from there.
const requireFromCost = createRequire(createRequire(import.meta.url).resolve('@runtime/cost/package.json'));
const { Redis: RedisClient } = requireFromCost('ioredis') as { Redis: new (url: string, options: object) => Redis };

const folder = mkdtempSync(join(tmpdir(), 'stack-agent-host-'));
const redis = new RedisClient('redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
const prefix = `agent-host-test:${process.pid}:${Date.now()}:`;
afterAll(async () => {
  rmSync(folder, { recursive: true, force: true });
  try {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    await redis.quit();
  }
});

const STEP_USAGE: Usage = { inputTokens: 100, outputTokens: 20, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };
const catalog = createModelCatalog({ builtin: false, catalogs: [OFFLINE_CATALOG] });

/** A tier as generous as `pro` except for what the test sets. */
function tier(name: string, limits: Partial<TierPolicy>): TierPolicy {
  const pro = createTierResolver().get('pro');
  return { ...pro, rpm: 10_000, rph: 100_000, tpm: 100_000_000, maxBudgetUsdPerRun: 100, ...limits, name };
}

function enforcer(tiers: Record<string, TierPolicy>, assignments: Record<string, string>) {
  return createPolicyEnforcer({ catalog, resolver: createTierResolver({ tiers, assignments, fallback: Object.keys(tiers)[0] as string }) });
}

/**
 * A model that asks for `calls` tool calls (`tool`, one step, in parallel) until it has tool results,
 * then answers with them. `gate(task)` holds a task's call until it resolves; `hang(task, n)` holds
 * the task's n-th call until it is aborted (a process that dies mid-call).
 */
function toolLlm(
  options: { readonly tool?: string; readonly calls?: (task: string) => number; readonly hang?: (task: string, call: number) => boolean } = {},
): LlmClient & { readonly calls: Map<string, number>; readonly requests: LlmRequest[] } {
  const calls = new Map<string, number>();
  const requests: LlmRequest[] = [];
  return {
    provider: 'scripted',
    calls,
    requests,
    complete(request: LlmRequest, callOptions?: LlmCallOptions): Promise<LlmResult> {
      const task = String(callOptions?.context?.taskId ?? '?');
      const call = (calls.get(task) ?? 0) + 1;
      calls.set(task, call);
      requests.push(request);
      if (options.hang?.(task, call) === true) {
        return new Promise((_resolve, reject) => callOptions?.signal?.addEventListener('abort', () => reject(new Error('process stopped')), { once: true }));
      }
      const results = request.messages.filter((message) => message.role === 'tool');
      if ((request.tools?.length ?? 0) > 0 && results.length === 0) {
        const count = options.calls?.(task) ?? 1;
        const toolCalls = Array.from({ length: count }, (_, index) => ({ id: `call_${index + 1}`, name: options.tool ?? 'lookup', arguments: `{"n":${index + 1}}` }));
        return Promise.resolve({ output: '', toolCalls, usage: STEP_USAGE, finishReason: 'tool_calls' });
      }
      const last = results.map((message) => message.content).join(' / ');
      return Promise.resolve({ output: `answer(${last === '' ? (request.messages.at(-1)?.content ?? '') : last})`, usage: STEP_USAGE, finishReason: 'stop' });
    },
  };
}

function lookupTool(ran: number[], options: { readonly costUsd?: number; readonly requiresApproval?: boolean; readonly fail?: (n: number) => boolean } = {}): Tool {
  return defineTool({
    name: 'lookup',
    description: 'Looks a number up.',
    input: z.object({ n: z.number() }),
    ...(options.costUsd === undefined ? {} : { costUsd: options.costUsd }),
    ...(options.requiresApproval === undefined ? {} : { requiresApproval: options.requiresApproval }),
    execute: ({ n }) => {
      ran.push(n);
      if (options.fail?.(n) === true) return Promise.reject(new Error(`lookup ${n} broke`));
      return Promise.resolve(`r${n}`);
    },
  });
}

function runtime(llm: LlmClient, options: Omit<RuntimeOptions, 'llm'> = {}): Runtime {
  return createRuntime({ catalog, ...options, llm, tracing: false });
}

async function journal(rt: Runtime, runId: RunId): Promise<RuntimeEvent[]> {
  return [...(await rt.store.readEvents(runId, 0, 100_000))];
}

function redisLedger(name: string) {
  return createRedisBudgetLedger({ redis, keyPrefix: `${prefix}${name}:` });
}

describe('tenant tier limits on tool calls (the real policy enforcer)', () => {
  it("fails the agent task with POLICY_VIOLATION toolAllowlist when the tenant's tier lacks the tool; the tool never runs", async () => {
    const ran: number[] = [];
    const policy = enforcer({ basic: tier('basic', { allowedTools: ['search'] }), full: tier('full', { allowedTools: ['*'] }) }, { acme: 'basic', globex: 'full' });
    const rt = runtime(toolLlm(), { tools: [lookupTool(ran)], policy });
    const spec = { tasks: [{ id: 'agent', prompt: 'Look it up.', agent: { tools: ['lookup'] } }], policy: { budgetUsd: 1 } };
    const refused = await rt.run(spec, { tenant: 'acme' });
    expect(refused.state).toBe('failed');
    expect(refused.tasks[0]?.error).toMatchObject({ code: 'POLICY_VIOLATION', details: { rule: 'toolAllowlist', limit: 'search', observed: 'lookup' } });
    expect(ran).toEqual([]);
    // Another tenant on a tier with the tool runs it.
    const allowed = await rt.run(spec, { tenant: 'globex' });
    expect(allowed.state).toBe('completed');
    expect(ran).toEqual([1]);
    await rt.orchestrator.close();
  });

  it("counts the tier's maxToolCallsPerRun across the run's agent tasks: 2 allowed, the third refused before it runs", async () => {
    const ran: number[] = [];
    const policy = enforcer({ tight: tier('tight', { maxToolCallsPerRun: 2 }) }, { acme: 'tight' });
    const rt = runtime(toolLlm({ calls: (task) => (task === 'first' ? 2 : 1) }), { tools: [lookupTool(ran)], policy });
    const run = await rt.run(
      {
        tasks: [
          { id: 'first', prompt: 'Two lookups.', agent: { tools: ['lookup'] } },
          { id: 'second', prompt: 'One lookup.', deps: ['first'], agent: { tools: ['lookup'] } },
        ],
        policy: { budgetUsd: 1 },
      },
      { tenant: 'acme' },
    );
    expect(run.tasks.find((task) => task.id === 'first')?.state).toBe('completed');
    expect(run.tasks.find((task) => task.id === 'second')?.error).toMatchObject({ code: 'POLICY_VIOLATION', details: { rule: 'toolCalls', limit: 2, observed: 2 } });
    expect(ran).toEqual([1, 2]);
    await rt.orchestrator.close();
  });

  it('keeps maxToolCallsPerRun across a crash and resume on SQLite (the run-wide tally is rebuilt from the journal)', { timeout: 20_000 }, async () => {
    const path = join(folder, 'tally.db');
    const ran: number[] = [];
    const policy = () => enforcer({ tight: tier('tight', { maxToolCallsPerRun: 2 }) }, { acme: 'tight' });
    const spec = {
      tasks: [
        { id: 'first', prompt: 'Two lookups.', agent: { tools: ['lookup'] } },
        { id: 'second', prompt: 'One lookup.', deps: ['first'], agent: { tools: ['lookup'] } },
      ],
      policy: { budgetUsd: 1 },
    };
    const dying = toolLlm({ calls: (task) => (task === 'first' ? 2 : 1), hang: (task) => task === 'second' });
    const first = runtime(dying, { store: createSqliteRunStore({ path }), owner: 'first', leaseTtlMs: 2_000, tools: [lookupTool(ran)], policy: policy() });
    const started = await first.start(spec, { tenant: 'acme' });
    await vi.waitFor(() => expect(dying.calls.get('second')).toBe(1));
    expect(ran).toEqual([1, 2]);
    await first.store.close(); // the crash

    const second = runtime(toolLlm({ calls: () => 1 }), { store: createSqliteRunStore({ path }), owner: 'second', tools: [lookupTool(ran)], policy: policy() });
    await vi.waitFor(async () => expect((await second.store.findResumableRuns(Date.now())).map((record) => record.id)).toEqual([started.id]), { timeout: 10_000, interval: 50 });
    await second.orchestrator.resume(started.id);
    const run = await second.orchestrator.wait(started.id);
    expect(run.tasks.find((task) => task.id === 'second')?.error).toMatchObject({ code: 'POLICY_VIOLATION', details: { rule: 'toolCalls', limit: 2, observed: 2 } });
    expect(ran).toEqual([1, 2]);
    await second.orchestrator.close();
    await second.close();
    await first.orchestrator.close();
  });
});

describe('priced tools on the Redis ledger', () => {
  it('reserves the price before the tool runs: when it does not fit, BUDGET_EXCEEDED and the tool never runs; spent ≤ limit', async () => {
    expect(await redis.ping()).toBe('PONG');
    const ran: number[] = [];
    const ledger = redisLedger('nearly-spent');
    const rt = runtime(toolLlm(), { tools: [lookupTool(ran, { costUsd: 0.01 })], ledger });
    const run = await rt.run({ tasks: [{ id: 'agent', prompt: 'Look it up.', maxOutputTokens: 50, agent: { tools: ['lookup'] } }], policy: { budgetUsd: 0.01 } });
    expect(run.state).toBe('failed');
    expect(run.tasks[0]?.error).toMatchObject({ code: 'BUDGET_EXCEEDED' });
    expect(ran).toEqual([]);
    const snapshot = await ledger.snapshot(`run:${run.id}`);
    expect(snapshot.spent).toBeLessThanOrEqual(snapshot.limit as Money);
    expect(snapshot.reserved).toBe(0n);
    const stepCost = rt.costs.cost(run.tasks[0]?.model ?? '', STEP_USAGE);
    expect(snapshot.spent).toBe(stepCost); // step 1 only
    await rt.orchestrator.close();
  });

  it('a priced tool that ran is charged its price once (held before, settled after), into the task cost and the usage tracker', async () => {
    const ran: number[] = [];
    const ledger = redisLedger('charged');
    const rt = runtime(toolLlm({ calls: () => 2 }), { tools: [lookupTool(ran, { costUsd: 0.001 })], ledger });
    const run = await rt.run({ tasks: [{ id: 'agent', prompt: 'Look it up.', agent: { tools: ['lookup'] } }], policy: { budgetUsd: 1 } });
    expect(run.state).toBe('completed');
    const stepCost = rt.costs.cost(run.tasks[0]?.model ?? '', STEP_USAGE);
    const price = usd(0.001);
    const snapshot = await ledger.snapshot(`run:${run.id}`);
    expect(snapshot.spent).toBe(2n * stepCost + 2n * price);
    expect(snapshot.reserved).toBe(0n);
    expect(run.tasks[0]?.usage.costUsd).toBe(moneyToUsd((2n * stepCost + 2n * price) as Money));
    const events = await journal(rt, run.id);
    const holds = events.filter((event) => event.type === 'budget.reserved' && event.reservationId.includes('/tool.'));
    expect(holds.map((event) => (event.type === 'budget.reserved' ? event.amountUsd : 0))).toEqual([0.001, 0.001]);
    // Each hold is reserved before its tool.completed and settled to the price.
    for (const hold of holds) {
      if (hold.type !== 'budget.reserved') continue;
      const settled = events.find((event) => event.type === 'budget.settled' && event.reservationId === hold.reservationId);
      expect(settled).toMatchObject({ costUsd: 0.001 });
    }
    expect(rt.usage.totals({ runId: run.id }).cost).toBe(2n * stepCost + 2n * price);
    await rt.orchestrator.close();
  });

  it('a failed priced tool gives its hold back (released, not charged)', async () => {
    const ran: number[] = [];
    const ledger = redisLedger('failed-tool');
    const rt = runtime(toolLlm(), { tools: [lookupTool(ran, { costUsd: 0.002, fail: () => true })], ledger });
    const run = await rt.run({ tasks: [{ id: 'agent', prompt: 'Look it up.', agent: { tools: ['lookup'] } }], policy: { budgetUsd: 1 } });
    expect(run.state).toBe('completed');
    expect(ran).toEqual([1]);
    const stepCost = rt.costs.cost(run.tasks[0]?.model ?? '', STEP_USAGE);
    const snapshot = await ledger.snapshot(`run:${run.id}`);
    expect(snapshot.spent).toBe(2n * stepCost);
    expect(snapshot.reserved).toBe(0n);
    const events = await journal(rt, run.id);
    expect(events.some((event) => event.type === 'budget.released' && event.reservationId.includes('/tool.call_1'))).toBe(true);
    await rt.orchestrator.close();
  });

  it('a priced tool of a nested agent is held under its own id (depth suffix) and charged once; nested events carry depth and parentCallId', async () => {
    const ran: number[] = [];
    const registry = createToolRegistry([lookupTool(ran, { costUsd: 0.001 })]);
    registry.register(subAgentTool({ name: 'delegate', description: 'Delegates a sub-task.', runner: createAgentRunner({ registry }), tools: ['lookup'] }));
    const llm: LlmClient = {
      provider: 'scripted',
      complete(request: LlmRequest): Promise<LlmResult> {
        const names = (request.tools ?? []).map((tool) => tool.name);
        const results = request.messages.filter((message) => message.role === 'tool');
        if (results.length === 0) {
          const call = names.includes('delegate') ? { id: 'call_1', name: 'delegate', arguments: '{"task":"Look 1 up."}' } : { id: 'call_1', name: 'lookup', arguments: '{"n":1}' };
          return Promise.resolve({ output: '', toolCalls: [call], usage: STEP_USAGE, finishReason: 'tool_calls' });
        }
        return Promise.resolve({ output: `answer(${results.at(-1)?.content ?? ''})`, usage: STEP_USAGE, finishReason: 'stop' });
      },
    };
    const ledger = redisLedger('nested');
    const rt = runtime(llm, { tools: registry, ledger });
    const run = await rt.run({ tasks: [{ id: 'boss', prompt: 'Delegate.', agent: { tools: ['delegate'] } }], policy: { budgetUsd: 1 } });
    expect(run.tasks[0]?.error).toBeUndefined();
    expect(ran).toEqual([1]);
    const events = await journal(rt, run.id);
    const holds = events.flatMap((event) => (event.type === 'budget.reserved' ? [event.reservationId] : []));
    expect(new Set(holds).size).toBe(holds.length);
    expect(holds.filter((id) => id.includes('/tool.'))).toHaveLength(1);
    expect(events.find((event) => event.type === 'tool.completed' && event.tool === 'lookup')).toMatchObject({ depth: 1, parentCallId: 'call_1' });
    const stepCost = rt.costs.cost(run.tasks[0]?.model ?? '', STEP_USAGE);
    const snapshot = await ledger.snapshot(`run:${run.id}`);
    expect(snapshot.spent).toBe(4n * stepCost + usd(0.001));
    expect(snapshot.reserved).toBe(0n);
    await rt.orchestrator.close();
  });
});

describe('nested loops across a crash', () => {
  it('a resume reads the nested events back without taking them as the task loop\'s own; they stay journaled; the priced nested tool is charged per run of it, under distinct holds', { timeout: 20_000 }, async () => {
    const path = join(folder, 'nested.db');
    const ran: number[] = [];
    const registry = createToolRegistry([lookupTool(ran, { costUsd: 0.001 })]);
    registry.register(subAgentTool({ name: 'delegate', description: 'Delegates a sub-task.', runner: createAgentRunner({ registry }), tools: ['lookup'] }));
    // depth 0: step 1 delegates, step 2 answers; depth 1: step 1 looks up, step 2 answers.
    const nestedLlm = (hangNestedAnswer: boolean): LlmClient & { nestedAnswers: number } => {
      const client = {
        provider: 'scripted',
        nestedAnswers: 0,
        complete(request: LlmRequest, callOptions?: LlmCallOptions): Promise<LlmResult> {
          const names = (request.tools ?? []).map((tool) => tool.name);
          const results = request.messages.filter((message) => message.role === 'tool');
          if (results.length === 0) {
            const call = names.includes('delegate') ? { id: 'call_1', name: 'delegate', arguments: '{"task":"Look 1 up."}' } : { id: 'call_1', name: 'lookup', arguments: '{"n":1}' };
            return Promise.resolve({ output: '', toolCalls: [call], usage: STEP_USAGE, finishReason: 'tool_calls' });
          }
          if (!names.includes('delegate')) {
            client.nestedAnswers += 1;
            if (hangNestedAnswer) {
              return new Promise((_resolve, reject) => callOptions?.signal?.addEventListener('abort', () => reject(new Error('process stopped')), { once: true }));
            }
          }
          return Promise.resolve({ output: `answer(${results.at(-1)?.content ?? ''})`, usage: STEP_USAGE, finishReason: 'stop' });
        },
      };
      return client;
    };
    const dying = nestedLlm(true);
    const first = runtime(dying, { store: createSqliteRunStore({ path }), owner: 'first', leaseTtlMs: 2_000, tools: registry });
    const started = await first.start({ tasks: [{ id: 'boss', prompt: 'Delegate.', agent: { tools: ['delegate'] } }], policy: { budgetUsd: 1 } });
    await vi.waitFor(() => expect(dying.nestedAnswers).toBe(1));
    expect(ran).toEqual([1]);
    await first.store.close(); // the crash, inside the nested loop

    const second = runtime(nestedLlm(false), { store: createSqliteRunStore({ path }), owner: 'second', tools: registry });
    await vi.waitFor(async () => expect((await second.store.findResumableRuns(Date.now())).map((record) => record.id)).toEqual([started.id]), { timeout: 10_000, interval: 50 });
    await second.orchestrator.resume(started.id);
    const run = await second.orchestrator.wait(started.id);
    expect(run.tasks[0]?.error).toBeUndefined();
    expect(run.tasks[0]?.output).toBe('answer(answer(r1))');
    // The nested loop had not answered: it ran again from scratch (documented by @runtime/agent).
    expect(ran).toEqual([1, 1]);
    const events = await journal(second, run.id);
    const nested = events.filter((event) => 'depth' in event && event.depth === 1);
    expect(nested.filter((event) => event.type === 'tool.completed')).toHaveLength(2);
    expect(nested.every((event) => 'parentCallId' in event && event.parentCallId === 'call_1')).toBe(true);
    // Only one delegate call at depth 0: nested events never became the task loop's steps.
    expect(events.filter((event) => event.type === 'tool.called' && event.tool === 'delegate')).toHaveLength(1);
    const toolHolds = events.flatMap((event) => (event.type === 'budget.reserved' && event.reservationId.includes('/tool.') ? [event.reservationId] : []));
    expect(new Set(toolHolds).size).toBe(2);
    const snapshot = await second.ledger.snapshot(`run:${started.id}`);
    const stepCost = second.costs.cost(run.tasks[0]?.model ?? '', STEP_USAGE);
    // Steps: first process d0 s1, d1 s1 (d1 s2 never answered); second process d1 s1, d1 s2, d0 s2; two lookups.
    expect(snapshot.spent).toBe(5n * stepCost + 2n * usd(0.001));
    expect(snapshot.reserved).toBe(0n);
    await second.orchestrator.close();
    await second.close();
    await first.orchestrator.close();
  });
});

describe('an input-waiting task and the parallelism slots', () => {
  it('gives its slot back while it waits for approval: an independent task completes meanwhile; approved, it completes', async () => {
    const ran: number[] = [];
    const rt = runtime(toolLlm(), { tools: [lookupTool(ran, { requiresApproval: true })] });
    const started = await rt.start({
      tasks: [
        { id: 'agent', prompt: 'Look it up.', agent: { tools: ['lookup'] } },
        { id: 'plain', prompt: 'Say hi.' },
      ],
      policy: { budgetUsd: 1, maxParallelism: 1 },
    });
    await vi.waitFor(async () => expect((await rt.orchestrator.get(started.id))?.tasks[0]?.waiting?.reason).toBe('input'));
    await vi.waitFor(async () => expect((await rt.orchestrator.get(started.id))?.tasks[1]?.state).toBe('completed'), { timeout: 3_000 });
    // The run neither finished nor declared a deadlock while the agent task waits.
    const waiting = await rt.orchestrator.get(started.id);
    expect(waiting?.state).toBe('running');
    expect(waiting?.tasks[0]?.state).toBe('waiting');
    await rt.orchestrator.provideInput(started.id, asTaskId('agent'), { decision: 'approve' });
    const run = await rt.orchestrator.wait(started.id);
    expect(run.state).toBe('completed');
    expect(run.tasks[0]?.output).toBe('answer(r1)');
    expect(ran).toEqual([1]);
    await rt.orchestrator.close();
  });

  it('an answered task waits for a free slot (FIFO) before it goes on', async () => {
    const ran: number[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const base = toolLlm();
    const llm: LlmClient = {
      provider: 'scripted',
      complete: (request, callOptions) => (String(callOptions?.context?.taskId) === 'slow' ? gate.then(() => base.complete(request, callOptions)) : base.complete(request, callOptions)),
    };
    const rt = runtime(llm, { tools: [lookupTool(ran, { requiresApproval: true })] });
    const started = await rt.start({
      tasks: [
        { id: 'agent', prompt: 'Look it up.', agent: { tools: ['lookup'] } },
        { id: 'slow', prompt: 'Take your time.' },
      ],
      policy: { budgetUsd: 1, maxParallelism: 1 },
    });
    await vi.waitFor(async () => expect((await rt.orchestrator.get(started.id))?.tasks[0]?.waiting?.reason).toBe('input'));
    await vi.waitFor(() => expect(base.calls.get('slow')).toBeUndefined());
    await rt.orchestrator.provideInput(started.id, asTaskId('agent'), { decision: 'approve' });
    // The slot is the slow task's: the approved call does not run before it ends.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(ran).toEqual([]);
    release();
    const run = await rt.orchestrator.wait(started.id);
    expect(run.state).toBe('completed');
    expect(ran).toEqual([1]);
    await rt.orchestrator.close();
  });
});

describe('a run stopped by a budget refusal while a task waits for approval', () => {
  it('ends the waiting task (RUN_ABORTED, runStopped) and the run fails at once, without waiting for a human', async () => {
    const ran: number[] = [];
    const priceyRan: number[] = [];
    const llm: LlmClient = {
      provider: 'scripted',
      async complete(request: LlmRequest, callOptions?: LlmCallOptions): Promise<LlmResult> {
        const task = String(callOptions?.context?.taskId ?? '?');
        if (request.messages.some((message) => message.role === 'tool')) return { output: 'done', usage: STEP_USAGE, finishReason: 'stop' };
        // The spender asks for its tool once the asker waits for approval.
        if (task === 'spender') await new Promise((resolve) => setTimeout(resolve, 150));
        const name = task === 'spender' ? 'pricey' : 'lookup';
        return { output: '', toolCalls: [{ id: 'call_1', name, arguments: '{"n":1}' }], usage: STEP_USAGE, finishReason: 'tool_calls' };
      },
    };
    const pricey = defineTool({
      name: 'pricey',
      description: 'Costs more than the run may spend.',
      input: z.object({ n: z.number() }),
      costUsd: 5,
      execute: ({ n }) => {
        priceyRan.push(n);
        return Promise.resolve('paid');
      },
    });
    const rt = runtime(llm, { tools: [lookupTool(ran, { requiresApproval: true }), pricey], ledger: redisLedger('stop-ends-input') });
    const started = await rt.start({
      tasks: [
        { id: 'asker', prompt: 'Look it up.', agent: { tools: ['lookup'] } },
        { id: 'spender', prompt: 'Buy it.', agent: { tools: ['pricey'] } },
      ],
      policy: { budgetUsd: 1, maxParallelism: 2 },
    });
    const run = await rt.orchestrator.wait(started.id);
    expect(run.state).toBe('failed');
    expect(run.tasks[1]?.error).toMatchObject({ code: 'BUDGET_EXCEEDED' });
    expect(run.tasks[0]).toMatchObject({ state: 'failed', error: { code: 'RUN_ABORTED', details: { reason: 'runStopped' } } });
    expect(ran).toEqual([]);
    expect(priceyRan).toEqual([]);
    const snapshot = await rt.ledger.snapshot(`run:${run.id}`);
    expect(snapshot.reserved).toBe(0n);
    await rt.orchestrator.close();
  });
});

describe('approval note', () => {
  it('journals the approval message with the reply and refuses a message that is not text (VALIDATION_FAILED)', async () => {
    const ran: number[] = [];
    const llm = toolLlm();
    const rt = runtime(llm, { tools: [lookupTool(ran, { requiresApproval: true })] });
    const started = await rt.start({ tasks: [{ id: 'agent', prompt: 'Look it up.', agent: { tools: ['lookup'] } }], policy: { budgetUsd: 1 } });
    await vi.waitFor(async () => expect((await rt.orchestrator.get(started.id))?.tasks[0]?.waiting?.reason).toBe('input'));
    await expect(rt.orchestrator.provideInput(started.id, asTaskId('agent'), { decision: 'approve', message: 42 } as never)).rejects.toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'message' } });
    await rt.orchestrator.provideInput(started.id, asTaskId('agent'), { decision: 'approve', message: 'only the public records' });
    const run = await rt.orchestrator.wait(started.id);
    expect(run.state).toBe('completed');
    const events = await journal(rt, run.id);
    const reply = events.find((event) => event.type === 'task.waiting' && (event.details as { response?: unknown } | undefined)?.response !== undefined);
    expect(reply).toMatchObject({ details: { response: { decision: 'approve', message: 'only the public records' } } });
    expect(llm.requests.at(-1)?.messages.some((message) => message.content.includes('only the public records'))).toBe(true);
    await rt.orchestrator.close();
  });
});
