/**
 * Property, on the real parts (createRuntime with the real agent runner, a Redis ledger): random
 * agent tasks (steps of parallel tool calls, priced and free tools), random budgets and faults
 * (failing tools, a run aborted while tools run). Whatever happens, the run's ledger scope never
 * spends past its limit, nothing stays reserved, the ledger's spend equals the journaled task costs
 * and the usage tracker's total, and no priced tool ran without its price charged.
 */
import { createRequire } from 'node:module';
import { defineTool } from '@runtime/agent';
import { moneyToUsd, usd, type LlmCallOptions, type LlmClient, type LlmRequest, type LlmResult, type Money, type Tool, type Usage } from '@runtime/contracts';
import { createModelCatalog } from '@runtime/cost';
import { createRedisBudgetLedger } from '@runtime/cost/redis';
import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createRuntime, OFFLINE_CATALOG, type Runtime } from '../src/index.js';

// ioredis is a dependency of @runtime/cost (its optional peer); the stack resolves it from there.
const requireFromCost = createRequire(createRequire(import.meta.url).resolve('@runtime/cost/package.json'));
const { Redis: RedisClient } = requireFromCost('ioredis') as { Redis: new (url: string, options: object) => Redis };

const redis = new RedisClient('redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
const prefix = `agent-host-books:${process.pid}:${Date.now()}:`;
afterAll(async () => {
  try {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    await redis.quit();
  }
});

const USAGE: Usage = { inputTokens: 100, outputTokens: 20, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };
const catalog = createModelCatalog({ builtin: false, catalogs: [OFFLINE_CATALOG] });
const TOOLS = ['t0', 't1', 't2'] as const;

interface Call {
  readonly tool: number;
  readonly fails: boolean;
}
interface Plan {
  /** Per agent task: its steps, each the tool calls the model asks for at once. */
  readonly agents: readonly (readonly (readonly Call[])[])[];
  /** Price of each tool in step costs (0: free). */
  readonly prices: readonly number[];
  /** The run's budget in step costs. */
  readonly budget: number;
  /** Abort the run when this many tools have started (never when 0). */
  readonly abortAt: number;
}

const callArb: fc.Arbitrary<Call> = fc.record({ tool: fc.integer({ min: 0, max: 2 }), fails: fc.boolean() });
const planArb: fc.Arbitrary<Plan> = fc.record({
  agents: fc.array(fc.array(fc.array(callArb, { minLength: 1, maxLength: 3 }), { maxLength: 3 }), { minLength: 1, maxLength: 3 }),
  prices: fc.tuple(fc.constant(0), fc.double({ min: 0.01, max: 3, noNaN: true }), fc.double({ min: 0.5, max: 6, noNaN: true })),
  budget: fc.double({ min: 2, max: 20, noNaN: true }),
  abortAt: fc.integer({ min: 0, max: 6 }),
});

/** The model of agent `a<i>`: step n asks for the plan's n-th calls, then answers. */
function planLlm(plan: Plan): LlmClient {
  return {
    provider: 'scripted',
    complete(request: LlmRequest, options?: LlmCallOptions): Promise<LlmResult> {
      const index = Number(String(options?.context?.taskId ?? 'a0').slice(1));
      const steps = plan.agents[index] ?? [];
      const done = request.messages.filter((message) => message.role === 'assistant' && (message.toolCalls?.length ?? 0) > 0).length;
      const calls = steps[done];
      if (calls === undefined) return Promise.resolve({ output: `answer ${index}`, usage: USAGE, finishReason: 'stop' });
      const toolCalls = calls.map((call, position) => ({ id: `c${done + 1}_${position}`, name: TOOLS[call.tool] as string, arguments: JSON.stringify({ fails: call.fails }) }));
      return Promise.resolve({ output: '', toolCalls, usage: USAGE, finishReason: 'tool_calls' });
    },
  };
}

/** USD amounts the ledger takes exactly (nano-dollars). */
const nanoUsd = (amount: number): number => Math.round(amount * 1e9) / 1e9;

async function runScenario(plan: Plan, round: number): Promise<void> {
  const stepCost = moneyToUsd(createRuntime({ catalog, tracing: false }).costs.cost(catalog.defaultModel().id, USAGE));
  const started: { runtime?: Runtime; runId?: string } = {};
  let ranTools = 0;
  const tools: Tool[] = TOOLS.map((name, index) =>
    defineTool({
      name,
      description: `Tool ${name}.`,
      input: z.object({ fails: z.boolean() }),
      ...((plan.prices[index] ?? 0) > 0 ? { costUsd: nanoUsd((plan.prices[index] ?? 0) * stepCost) } : {}),
      execute: ({ fails }) => {
        ranTools += 1;
        if (ranTools === plan.abortAt && started.runtime !== undefined && started.runId !== undefined) {
          // Not awaited: the abort ends the run, which waits for this very call.
          started.runtime.orchestrator.abort(started.runId as never).catch(() => undefined);
        }
        return fails ? Promise.reject(new Error(`${name} broke`)) : Promise.resolve(`${name} ok`);
      },
    }),
  );
  const ledger = createRedisBudgetLedger({ redis, keyPrefix: `${prefix}${round}:` });
  const rt = createRuntime({ catalog, llm: planLlm(plan), ledger, tools, tracing: false });
  started.runtime = rt;
  const tasks = plan.agents.map((_steps, index) => ({ id: `a${index}`, prompt: `Agent ${index}.`, maxOutputTokens: 30, agent: { tools: [...TOOLS] } }));
  const run = await rt.start({ tasks, policy: { budgetUsd: nanoUsd(plan.budget * stepCost), failurePolicy: 'continue' } });
  started.runId = run.id;
  const final = await rt.orchestrator.wait(run.id);
  expect(['completed', 'failed', 'aborted']).toContain(final.state);
  const snapshot = await ledger.snapshot(`run:${run.id}`);
  expect(snapshot.limit).not.toBeNull();
  expect(snapshot.spent).toBeLessThanOrEqual(snapshot.limit as Money);
  expect(snapshot.reserved).toBe(0n);
  const events = await rt.store.readEvents(run.id, 0, 100_000);
  // The journaled task costs (every settle the journal holds) are the ledger's spend, exactly.
  const settled = events.reduce((sum, event) => (event.type === 'budget.settled' ? sum + usd(event.costUsd) : sum), 0n);
  expect(settled).toBe(snapshot.spent);
  const taskCosts = final.tasks.reduce((sum, task) => sum + task.usage.costUsd, 0);
  expect(taskCosts).toBeCloseTo(moneyToUsd(snapshot.spent), 12);
  expect(rt.usage.totals({ runId: run.id }).cost).toBe(snapshot.spent);
  // Every priced tool that returned was charged once: one settle per priced tool.completed.
  const pricedDone = events.filter((event) => event.type === 'tool.completed' && event.costUsd > 0).length;
  const toolSettles = events.filter((event) => event.type === 'budget.settled' && event.reservationId.includes('/tool.')).length;
  expect(toolSettles).toBe(pricedDone);
  await rt.orchestrator.close();
}

describe('agent books on Redis: random agents, prices, budgets and faults', () => {
  it('property: spent ≤ limit, nothing reserved, ledger = journaled task costs = usage tracker (fails loudly without Redis)', { timeout: 120_000 }, async () => {
    expect(await redis.ping()).toBe('PONG');
    let round = 0;
    await fc.assert(
      fc.asyncProperty(planArb, async (plan) => {
        round += 1;
        await runScenario(plan, round);
      }),
      { numRuns: 60 },
    );
  });
});
