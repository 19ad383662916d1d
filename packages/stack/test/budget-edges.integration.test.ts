/**
 * Issue 11, loop side: budgets that hold at the edges — every answered call billed once, overruns
 * reported and stopping admission, budget-aware admission, output caps sent, deduplicated calls free.
 */
import { createBudgetLedger } from '@runtime/cost';
import {
  InternalError,
  normalizeUsage,
  type BudgetLedger,
  type PolicyEnforcer,
  type Run,
  type RunId,
  type RunStore,
  type RuntimeEvent,
  type TaskSpec,
  type Usage,
} from '@runtime/contracts';
import { createMemoryRunStore } from '@runtime/orchestration';
import { createScriptedLlm } from '@runtime/orchestration/testing';
import { describe, expect, it, vi } from 'vitest';
import { budgetRuntime, collectEvents, ledgerWith } from './support/budget-runtime.js';

const task = (id: string, deps: string[] = [], extra: Partial<TaskSpec> = {}): TaskSpec => ({ id, prompt: `Please do ${id}.`, deps, ...extra }) as TaskSpec;

type Built = ReturnType<typeof budgetRuntime>;

const runtimeCost = (runtime: Built, usage: Usage): bigint => runtime.costs.cost('mock-balanced', usage);

/** Ledger spend, run usage and billing report of a run, which must agree. */
async function books(runtime: Built, run: Run): Promise<{ ledger: bigint; tasks: bigint; report: bigint; reserved: bigint }> {
  const snapshot = await runtime.ledger.snapshot(`run:${run.id}`);
  const stored = await runtime.orchestrator.get(run.id);
  const tasks = (stored?.tasks ?? []).reduce((sum, t) => sum + BigInt(Math.round(t.usage.costUsd * 1e9)), 0n);
  return {
    ledger: snapshot.spent,
    tasks: tasks * 1_000_000n,
    report: runtime.usage.report({ runId: run.id }).total.cost,
    reserved: snapshot.reserved,
  };
}

function expectBooksEqual(b: { ledger: bigint; report: bigint; reserved: bigint }, expected: bigint): void {
  expect(b.reserved).toBe(0n);
  expect(b.ledger).toBe(expected);
  expect(b.report).toBe(expected);
}

const usageOf = (input: number, output: number, extra: Partial<Usage> = {}): Usage => ({
  inputTokens: input,
  outputTokens: output,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  reasoningTokens: 0,
  ...extra,
});

describe('bill once: an answered call is charged exactly once (item 3)', () => {
  it('usage with subsets larger than their totals is clamped, charged and marked usageAdjusted', async () => {
    const reported = usageOf(20, 5, { cacheReadTokens: 30, reasoningTokens: 9 });
    const llm = createScriptedLlm({ usage: () => reported });
    const runtime = budgetRuntime(llm);
    const run = await runtime.orchestrator.wait((await runtime.orchestrator.start({ tasks: [task('a')], policy: { budgetUsd: 1 } })).id);
    expect(run.state).toBe('completed');
    const normalized = normalizeUsage(reported).usage;
    const expected = runtime.costs.cost(run.tasks[0]?.model ?? '', normalized);
    expect(expected > 0n).toBe(true);
    expect(run.tasks[0]?.usageAdjusted?.map((change) => change.field).sort()).toEqual(['cacheReadTokens', 'reasoningTokens']);
    expect(run.tasks[0]?.usage.cacheReadTokens).toBe(20);
    expectBooksEqual(await books(runtime, run), expected);
    expect(runtime.usage.report({ runId: run.id }).total.calls).toBe(1);
  });

  it('a settle that fails with a retryable STORE_ERROR is retried and charged once', async () => {
    const inner = createBudgetLedger();
    let failures = 1;
    const ledger: BudgetLedger = ledgerWith(inner, {
      settle: async (id, actual) => {
        if (failures > 0) {
          failures -= 1;
          throw new InternalError({ code: 'STORE_ERROR', message: 'blip', details: {}, isRetryable: true });
        }
        return inner.settle(id, actual);
      },
    });
    const llm = createScriptedLlm();
    const runtime = budgetRuntime(llm, { ledger });
    const run = await runtime.orchestrator.wait((await runtime.orchestrator.start({ tasks: [task('a')], policy: { budgetUsd: 1 } })).id);
    expect(run.state).toBe('completed');
    const expected = runtime.costs.cost(run.tasks[0]?.model ?? '', llm.requests.length === 1 ? usageOf(11, 5) : usageOf(0, 0));
    expectBooksEqual(await books(runtime, run), expected);
  });

  it('a reservation whose lease expired during a slow call is charged late, in run usage and report too', async () => {
    const llm = createScriptedLlm({ latency: () => 60 });
    const runtime = budgetRuntime(llm, { reservationLeaseMs: 10 });
    const run = await runtime.orchestrator.wait((await runtime.orchestrator.start({ tasks: [task('a')], policy: { budgetUsd: 1 } })).id);
    expect(run.state).toBe('completed');
    const expected = runtime.costs.cost(run.tasks[0]?.model ?? '', usageOf(11, 5));
    expectBooksEqual(await books(runtime, run), expected);
  });

  it('a reservation released under the call (taken over) is still charged once', async () => {
    const inner = createBudgetLedger();
    let taken = false;
    const ledger: BudgetLedger = {
      setLimit: (scope, limit) => inner.setLimit(scope, limit),
      reserve: (scopes, amount, options) => inner.reserve(scopes, amount, options),
      release: (id) => inner.release(id),
      releaseHolder: (holder) => inner.releaseHolder(holder),
      snapshot: (scope) => inner.snapshot(scope),
      renew: (id, leaseMs) => inner.renew(id, leaseMs),
      lookup: (id) => inner.lookup(id),
      settle: async (id, actual, settleOptions) => {
        if (!taken) {
          taken = true;
          await inner.release(id); // another owner released it while the call ran
        }
        return inner.settle(id, actual, settleOptions);
      },
    };
    const llm = createScriptedLlm();
    const runtime = budgetRuntime(llm, { ledger });
    const run = await runtime.orchestrator.wait((await runtime.orchestrator.start({ tasks: [task('a')], policy: { budgetUsd: 1 } })).id);
    expect(run.state).toBe('completed');
    const expected = runtime.costs.cost(run.tasks[0]?.model ?? '', usageOf(11, 5));
    expectBooksEqual(await books(runtime, run), expected);
  });
});

describe('over-settle (item 2)', () => {
  it('actual above the reservation is debited, reported as budget.overrun, and stops admission', async () => {
    // a reports far more output than its cap of 50 (a provider ignoring the cap).
    const llm = createScriptedLlm({ usage: (id) => (id === 'a' ? usageOf(20, 20_000) : usageOf(20, 5)) });
    const runtime = budgetRuntime(llm);
    const started = await runtime.orchestrator.start({
      tasks: [task('a', [], { maxOutputTokens: 50 }), task('b', ['a'], { maxOutputTokens: 50 })],
      policy: { budgetUsd: 0.001 },
    });
    const run = await runtime.orchestrator.wait(started.id);
    const events = await collectEvents(runtime.orchestrator, run.id);
    const overrun = events.find((event): event is Extract<RuntimeEvent, { type: 'budget.overrun' }> => event.type === 'budget.overrun');
    const actual = runtime.costs.cost('mock-balanced', usageOf(20, 20_000));
    expect(overrun?.actualUsd).toBeGreaterThan(overrun?.reservedUsd ?? Number.POSITIVE_INFINITY);
    expect(run.state).toBe('failed');
    expect(run.error?.code).toBe('BUDGET_EXCEEDED');
    expect(llm.calls.get('b')).toBeUndefined();
    expectBooksEqual(await books(runtime, run), actual);
  });
});

describe('budget-aware admission (item 8)', () => {
  const thirty = Array.from({ length: 30 }, (_, index) => task(`t${String(index).padStart(2, '0')}`, [], { maxOutputTokens: 400 }));

  it('30 tasks under $0.0035 complete at parallelism 8 exactly as at parallelism 1', async () => {
    const outcomes: { state: string; spent: bigint; calls: number }[] = [];
    for (const maxParallelism of [1, 8]) {
      const llm = createScriptedLlm({ latency: () => 3 });
      const runtime = budgetRuntime(llm);
      const run = await runtime.orchestrator.wait((await runtime.orchestrator.start({ tasks: thirty, policy: { budgetUsd: 0.0035, maxParallelism } })).id);
      const b = await books(runtime, run);
      expect(b.ledger).toBe(b.report);
      expect(b.reserved).toBe(0n);
      outcomes.push({ state: run.state, spent: b.ledger, calls: llm.requests.length });
      if (maxParallelism === 8) {
        const events = await collectEvents(runtime.orchestrator, run.id);
        expect(events.some((event) => event.type === 'task.waiting' && event.reason === 'budget')).toBe(true);
        expect(llm.maxActive).toBeGreaterThan(1);
      }
    }
    expect(outcomes[0]).toEqual({ state: 'completed', spent: outcomes[0]?.spent, calls: 30 });
    expect(outcomes[1]).toEqual(outcomes[0]);
  });

  it('fails BUDGET_EXCEEDED only when spent + the task’s own worst case exceeds the limit with nothing in flight', async () => {
    const llm = createScriptedLlm({ usage: () => usageOf(20, 390) });
    const runtime = budgetRuntime(llm);
    const run = await runtime.orchestrator.wait(
      (await runtime.orchestrator.start({ tasks: thirty.slice(0, 10), policy: { budgetUsd: 0.0035, maxParallelism: 8 } })).id,
    );
    expect(run.state).toBe('failed');
    expect(run.error?.code).toBe('BUDGET_EXCEEDED');
    const b = await books(runtime, run);
    const limit = 3_500_000_000_000n;
    expect(b.ledger <= limit).toBe(true);
    const worst = runtime.costs.worstCase('mock-balanced', 20, 400);
    expect(b.ledger + worst > limit).toBe(true);
    expect(b.reserved).toBe(0n);
    expect(b.report).toBe(b.ledger);
  });
});

describe('rate limits are visible (item 8)', () => {
  it('a task held by a rate rule emits task.throttled and waits with reason rateLimit', async () => {
    let refusals = 1;
    const policy: PolicyEnforcer = {
      check: () => {
        if (refusals > 0) {
          refusals -= 1;
          return Promise.resolve({ decision: 'RATE_LIMITED', rule: 'rpm', limit: 1, observed: 2, retryAfterMs: 5, message: 'slow down' });
        }
        return Promise.resolve({ decision: 'CONTINUE' });
      },
      settle: () => Promise.resolve(),
    };
    const llm = createScriptedLlm();
    const runtime = budgetRuntime(llm, { policy });
    const run = await runtime.orchestrator.wait((await runtime.orchestrator.start({ tasks: [task('a')] })).id);
    expect(run.state).toBe('completed');
    const events = await collectEvents(runtime.orchestrator, run.id);
    const throttled = events.find((event) => event.type === 'task.throttled');
    expect(throttled).toMatchObject({ taskId: 'a', rule: 'rpm', retryAfterMs: 5 });
    expect(events.find((event) => event.type === 'task.waiting')).toMatchObject({ taskId: 'a', reason: 'rateLimit' });
  });
});

describe('output cap and prompt limit (item 10)', () => {
  it('the output cap is sent: 4096 by default, the policy default, the task cap', async () => {
    const llm = createScriptedLlm();
    const runtime = budgetRuntime(llm);
    await runtime.orchestrator.wait((await runtime.orchestrator.start({ tasks: [task('a'), task('b', [], { maxOutputTokens: 77 })] })).id);
    await runtime.orchestrator.wait(
      (await runtime.orchestrator.start({ tasks: [task('c'), task('d', [], { maxOutputTokens: 77 })], policy: { defaultMaxOutputTokens: 300 } })).id,
    );
    expect(llm.requests.map((request) => request.maxOutputTokens)).toEqual([4096, 77, 300, 77]);
  });

  it('the reservation is the worst case of the cap that is sent', async () => {
    const llm = createScriptedLlm();
    const runtime = budgetRuntime(llm);
    const run = await runtime.orchestrator.wait((await runtime.orchestrator.start({ tasks: [task('a')], policy: { budgetUsd: 1, defaultMaxOutputTokens: 300 } })).id);
    const events = await collectEvents(runtime.orchestrator, run.id);
    const reserved = events.find((event): event is Extract<RuntimeEvent, { type: 'budget.reserved' }> => event.type === 'budget.reserved');
    const output = runtime.costs.worstCase('mock-balanced', 0, 300);
    const input = runtime.costs.worstCase('mock-balanced', 1, 0);
    expect(reserved?.amountUsd).toBeGreaterThan(Number(output) / 1e15);
    expect(reserved?.amountUsd).toBeLessThan(Number(output + input * 200n) / 1e15);
  });
});

describe('prompt limit (item 10, issue 12 item 9)', () => {
  // A prompt limit of 1,000 tokens inside a 1,200-token window.
  const windowed = {
    models: [
      {
        id: 'windowed',
        provider: 'mock',
        role: 'balanced' as const,
        maxInputTokens: 1_000,
        contextWindow: 1_200,
        maxOutputTokens: 600,
        encoding: 'o200k_base' as const,
        pricing: { inputPerMTok: 0.4, outputPerMTok: 1.6 },
      },
    ],
    defaultModel: 'windowed',
  };
  const prompt = 'word '.repeat(800); // ≈ 800 tokens: fits 1,000, not 1,200 − 500

  it('a prompt gets min(maxInputTokens, contextWindow − output cap), and context.maxTokens never widens it', async () => {
    const llm = createScriptedLlm();
    const runtime = budgetRuntime(llm, { catalog: windowed });
    const small = await runtime.orchestrator.wait((await runtime.orchestrator.start({ tasks: [{ id: 'a', prompt, maxOutputTokens: 100 }] })).id);
    expect(small.state).toBe('completed');
    const large = await runtime.orchestrator.wait((await runtime.orchestrator.start({ tasks: [{ id: 'a', prompt, maxOutputTokens: 500 }] })).id);
    expect(large.tasks[0]?.error?.code).toBe('CONTEXT_TOO_LARGE');
    const widened = await runtime.orchestrator.wait(
      (await runtime.orchestrator.start({ tasks: [{ id: 'a', prompt, maxOutputTokens: 500 }], policy: { context: { maxTokens: 5_000 } } })).id,
    );
    expect(widened.tasks[0]?.error?.code).toBe('CONTEXT_TOO_LARGE');
    expect(llm.requests).toHaveLength(1);
  });
});

describe('deduplicated results (item 9)', () => {
  it('a dedup result costs nothing, adds no tokens and shows its source', async () => {
    const llm = createScriptedLlm({ respond: (id) => (id === 'b' ? { source: 'dedup' } : {}) });
    const runtime = budgetRuntime(llm);
    const run = await runtime.orchestrator.wait((await runtime.orchestrator.start({ tasks: [task('a'), task('b')], policy: { budgetUsd: 1 } })).id);
    expect(run.state).toBe('completed');
    const b = run.tasks.find((t) => t.id === 'b');
    expect(b?.source).toBe('dedup');
    expect(b?.usage.costUsd).toBe(0);
    expect(b?.usage.inputTokens).toBe(0);
    expect(run.usage.inputTokens).toBe(11);
    const expected = runtime.costs.cost('mock-balanced', usageOf(11, 5));
    expectBooksEqual(await books(runtime, run), expected);
  });
});

describe('reservation ids (item 4)', () => {
  it('a run resumed after a crash between reserve and task.started reserves a new id and is charged once', async () => {
    const ledger = createBudgetLedger();
    const store = createMemoryRunStore();
    let broken = true;
    const failing: RunStore = new Proxy(store, {
      get(target, property, receiver) {
        if (property === 'commit') {
          return (runId: RunId, commit: Parameters<RunStore['commit']>[1]) => {
            if (broken && commit.events?.some((event) => event.type === 'task.started') === true) {
              return Promise.reject(new InternalError({ code: 'STORE_ERROR', message: 'disk gone', details: {}, isRetryable: false }));
            }
            return target.commit(runId, commit);
          };
        }
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const llm = createScriptedLlm();
    const errors: unknown[] = [];
    const first = budgetRuntime(llm, { ledger, store: failing, owner: 'dead', onBackgroundError: (error) => errors.push(error) });
    const started = await first.orchestrator.start({ tasks: [task('a')], policy: { budgetUsd: 1 } });
    await vi.waitFor(() => expect(errors.length).toBeGreaterThan(0), { timeout: 2_000, interval: 5 });
    await first.orchestrator.close();
    expect(llm.requests).toHaveLength(0);
    broken = false;
    const second = budgetRuntime(llm, { ledger, store, owner: 'alive' });
    await second.orchestrator.resume(started.id);
    const run = await second.orchestrator.wait(started.id);
    expect(run.state).toBe('completed');
    const snapshot = await ledger.snapshot(`run:${run.id}`);
    expect(snapshot.reserved).toBe(0n);
    expect(snapshot.spent).toBe(runtimeCost(second, usageOf(11, 5)));
    await second.orchestrator.close();
  });

  it('carry the owner’s lease epoch', async () => {
    const llm = createScriptedLlm();
    const runtime = budgetRuntime(llm);
    const run = await runtime.orchestrator.wait((await runtime.orchestrator.start({ tasks: [task('a')], policy: { budgetUsd: 1 } })).id);
    const events = await collectEvents(runtime.orchestrator, run.id);
    const reserved = events.find((event): event is Extract<RuntimeEvent, { type: 'budget.reserved' }> => event.type === 'budget.reserved');
    expect(reserved?.reservationId.startsWith(`${run.id}/a/1@1.`)).toBe(true);
  });
});
