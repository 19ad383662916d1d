/**
 * Issue 11, the last two gaps: (a) a call the dead owner answered and charged but never journaled
 * is recovered into the run's usage (and the resuming process's billing report, as `recovered`)
 * when the run is resumed — a compaction summary call too; (b) the heartbeat renews the
 * reservations of calls in flight, so a call slower than the reservation lease keeps its hold;
 * (c) a frozen owner's call that is charged after the take-over is in the run's usage when it ends.
 */
import { createRequire } from 'node:module';
import { createBudgetLedger } from '@runtime/cost';
import { createRedisBudgetLedger } from '@runtime/cost/redis';
import { asRunId, type BudgetLedger, type LlmClient, type LlmResult, type Run, type RunPolicy, type RunStore, type TaskSpec, type Usage } from '@runtime/contracts';
import { createMemoryRunStore } from '@runtime/orchestration';
import { createScriptedLlm } from '@runtime/orchestration/testing';
import type { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { budgetRuntime, collectEvents, ledgerWith } from './support/budget-runtime.js';

// ioredis is a dependency of @runtime/cost (its optional peer); the stack resolves it from there.
const requireFromCost = createRequire(createRequire(import.meta.url).resolve('@runtime/cost/package.json'));
const { Redis: RedisClient } = requireFromCost('ioredis') as { Redis: new (url: string, options: object) => Redis };

type Built = ReturnType<typeof budgetRuntime>;

const task = (id: string, deps: string[] = [], extra: Partial<TaskSpec> = {}): TaskSpec => ({ id, prompt: `Please do ${id}.`, deps, ...extra }) as TaskSpec;

const usageOf = (input: number, output: number): Usage => ({ inputTokens: input, outputTokens: output, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 });

interface Crash {
  readonly first: Built;
  readonly second: Built;
  readonly run: Run;
  readonly inner: BudgetLedger;
}

/**
 * Runs `tasks` in a first process that "crashes" (closes: nothing more is journaled) right after the
 * ledger call `crashAfter` picks returned, then resumes the run in a second process on the same
 * store and ledger.
 */
async function crashAndResume(
  tasks: readonly TaskSpec[],
  wrap: (inner: BudgetLedger, crash: () => Promise<void>) => BudgetLedger,
  extra: { readonly reservationLeaseMs?: number; readonly latency?: number; readonly policy?: RunPolicy } = {},
): Promise<Crash> {
  const inner = createBudgetLedger();
  const store = createMemoryRunStore();
  let crash: () => Promise<void> = () => Promise.resolve();
  const ledger = wrap(inner, () => crash());
  const llm = createScriptedLlm({ usage: (taskId) => (taskId === 'a' ? usageOf(1_000, 400) : usageOf(30, 7)), latency: () => extra.latency ?? 1 });
  const options = { ledger, store, leaseTtlMs: 60_000, ...(extra.reservationLeaseMs === undefined ? {} : { reservationLeaseMs: extra.reservationLeaseMs }) };
  const first = budgetRuntime(llm, { ...options, owner: 'owner-a' });
  crash = () => first.orchestrator.close();
  const started = await first.orchestrator.start({ tasks: [...tasks], policy: { budgetUsd: 1, ...extra.policy } });
  await first.orchestrator.wait(started.id).catch(() => undefined);
  expect((await store.getRun(started.id))?.state).toBe('running');
  // The resuming process uses the plain ledger: the crash hook belongs to the dead process.
  const second = budgetRuntime(llm, { ...options, ledger: inner, owner: 'owner-b' });
  await second.orchestrator.resume(started.id);
  const run = await second.orchestrator.wait(started.id);
  await second.orchestrator.close();
  return { first, second, run, inner };
}

/** Ledger spend, journaled run usage, and the two processes' reports all equal `expected`. */
async function expectOnce(crash: Crash, expected: bigint): Promise<void> {
  const { first, second, run, inner } = crash;
  const snapshot = await inner.snapshot(`run:${run.id}`);
  const stored = (await second.orchestrator.get(run.id))?.tasks ?? [];
  const journaled = stored.reduce((sum, view) => sum + BigInt(Math.round(view.usage.costUsd * 1e9)) * 1_000_000n, 0n);
  const report = first.usage.report({ runId: run.id }).total.cost + second.usage.report({ runId: run.id }).total.cost;
  expect(run.state).toBe('completed');
  expect(snapshot.reserved).toBe(0n);
  expect({ ledger: snapshot.spent, journaled, report }).toEqual({ ledger: expected, journaled: expected, report: expected });
}

describe('resume reconciliation: a call charged but never journaled is recovered once (issue 11 a)', () => {
  it('settled, then the owner crashed before the commit: the resumed run has its usage; the report shows it once, as recovered', async () => {
    let crashed = false;
    const crash = await crashAndResume([task('a')], (inner, stop) =>
      ledgerWith(inner, {
        settle: async (id, actual, options) => {
          const settlement = await inner.settle(id, actual, options);
          if (!crashed) {
            crashed = true;
            await stop(); // the process dies between the settle and the journal commit
          }
          return settlement;
        },
      }),
    );
    const { first, second, run } = crash;
    const model = run.tasks[0]?.model ?? '';
    const paid = first.costs.cost(model, usageOf(1_000, 400));
    // Two answered calls: the dead owner's (recovered) and the new attempt's.
    await expectOnce(crash, paid * 2n);
    expect(run.tasks[0]?.usage).toMatchObject({ inputTokens: 2_000, outputTokens: 800 });
    expect(first.usage.report({ runId: run.id }).total.calls).toBe(0);
    const report = second.usage.report({ runId: run.id });
    expect(report.byPhase['recovered']).toMatchObject({ cost: paid, calls: 1, usage: { inputTokens: 1_000, outputTokens: 400 } });
    const settled = (await collectEvents(second.orchestrator, run.id)).filter((event) => event.type === 'budget.settled');
    expect(settled).toHaveLength(2);
  });

  it('charged through a late hold (its reservation released under the call): the resume finds <id>/late', async () => {
    let taken = false;
    let crashed = false;
    const crash = await crashAndResume([task('a')], (inner, stop) =>
      ledgerWith(inner, {
        settle: async (id, actual, options) => {
          if (!taken) {
            taken = true;
            await inner.release(id); // another owner's sweep released it while the call ran
          }
          const settlement = await inner.settle(id, actual, options);
          if (String(id).endsWith('/late') && !crashed) {
            crashed = true;
            await stop();
          }
          return settlement;
        },
      }),
    );
    const paid = crash.first.costs.cost(crash.run.tasks[0]?.model ?? '', usageOf(1_000, 400));
    await expectOnce(crash, paid * 2n);
    expect(crash.second.usage.report({ runId: crash.run.id }).byPhase['recovered']?.cost).toBe(paid);
  });

  it('charged late after its lease expired under a slow call: the resume finds the late charge on the expired reservation', async () => {
    let crashed = false;
    const crash = await crashAndResume(
      [task('a')],
      (inner, stop) =>
        ledgerWith(inner, {
          settle: async (id, actual, options) => {
            try {
              return await inner.settle(id, actual, options);
            } finally {
              if (!crashed) {
                crashed = true;
                await stop();
              }
            }
          },
        }),
      { reservationLeaseMs: 5, latency: 40 },
    );
    const paid = crash.first.costs.cost(crash.run.tasks[0]?.model ?? '', usageOf(1_000, 400));
    await expectOnce(crash, paid * 2n);
  });

  it('a reservation still open at the crash (no answer yet) is released and adds nothing', async () => {
    let crashed = false;
    const crash = await crashAndResume([task('a')], (inner, stop) =>
      ledgerWith(inner, {
        reserve: async (scopes, amount, options) => {
          const hold = await inner.reserve(scopes, amount, options);
          if (!crashed && String(hold.id).includes('/a/')) {
            crashed = true;
            setTimeout(() => void stop(), 0); // dies while the call is in flight: it is aborted, never answered
          }
          return hold;
        },
      }),
      { latency: 30 },
    );
    const paid = crash.first.costs.cost(crash.run.tasks[0]?.model ?? '', usageOf(1_000, 400));
    await expectOnce(crash, paid);
    expect(crash.second.usage.report({ runId: crash.run.id }).byPhase['recovered']).toBeUndefined();
  });
});

/** Forty messages (~1,000 tokens) that a 600-token context must compact. */
const LONG = Array.from({ length: 40 }, (_, index) => ({ role: 'user' as const, content: `Message ${index}: ${'lorem ipsum '.repeat(20)}` }));
const LONG_TASK = { id: 'a', messages: LONG, maxOutputTokens: 100 } as TaskSpec;
const SUMMARIZE: RunPolicy = { context: { maxTokens: 600, strategy: 'summarize' } };

describe('resume reconciliation of a compaction summary call (issue 11 a, summary window)', () => {
  it('the summary was charged, then the owner crashed before its attempt was journaled: the resume finds <id>/summary; reported once, as recovered', async () => {
    let crashed = false;
    const crash = await crashAndResume(
      [LONG_TASK],
      (inner, stop) =>
        ledgerWith(inner, {
          settle: async (id, actual, options) => {
            const settlement = await inner.settle(id, actual, options);
            if (String(id).endsWith('/summary') && !crashed) {
              crashed = true;
              await stop(); // dies between the summary's settle and any journal commit after it
            }
            return settlement;
          },
        }),
      { policy: SUMMARIZE },
    );
    const { first, second, run } = crash;
    expect(crashed).toBe(true);
    const paid = first.costs.cost(run.tasks[0]?.model ?? '', usageOf(1_000, 400));
    // The dead owner's summary (recovered), then the new attempt's summary and its call.
    await expectOnce(crash, paid * 3n);
    expect(run.tasks[0]?.usage).toMatchObject({ inputTokens: 3_000, outputTokens: 1_200 });
    // The dead process reported nothing it had not journaled.
    expect(first.usage.report({ runId: run.id }).total.calls).toBe(0);
    const report = second.usage.report({ runId: run.id });
    expect(report.byPhase['recovered']).toMatchObject({ cost: paid, calls: 1 });
    expect(report.byPhase['summarize']).toMatchObject({ cost: paid, calls: 1 });
  });

  it('crash after the summary was journaled (main call settled, never journaled): summary counted once, main call recovered', async () => {
    let crashed = false;
    const crash = await crashAndResume(
      [LONG_TASK],
      (inner, stop) =>
        ledgerWith(inner, {
          settle: async (id, actual, options) => {
            const settlement = await inner.settle(id, actual, options);
            if (!String(id).includes('/summary') && !crashed) {
              crashed = true;
              await stop();
            }
            return settlement;
          },
        }),
      { policy: SUMMARIZE },
    );
    const paid = crash.first.costs.cost(crash.run.tasks[0]?.model ?? '', usageOf(1_000, 400));
    // Dead owner: summary (journaled, reported by it) + call (recovered); new owner: summary + call.
    await expectOnce(crash, paid * 4n);
    expect(crash.first.usage.report({ runId: crash.run.id }).byPhase['summarize']).toMatchObject({ cost: paid, calls: 1 });
    expect(crash.second.usage.report({ runId: crash.run.id }).byPhase['recovered']).toMatchObject({ cost: paid, calls: 1 });
  });
});

interface Gate {
  readonly promise: Promise<void>;
  readonly open: () => void;
}

function gate(): Gate {
  let open: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** A provider that answers once `until` opens, whatever the caller's signal says (the answer is already on its way). */
function answeringWhen(until: Promise<void>, usage: Usage, onCall?: () => void): LlmClient {
  return {
    provider: 'scripted',
    async complete(): Promise<LlmResult> {
      onCall?.();
      await until;
      return { output: 'an answer', usage, finishReason: 'stop', source: 'provider', attempts: 1 };
    },
  };
}

/** `inner`, except that lease renewals wait until `thaw` opens: the owner's heartbeat is frozen. */
function frozenHeartbeat(inner: RunStore, thaw: Promise<void>): RunStore {
  return new Proxy(inner, {
    get(target, property, receiver) {
      if (property === 'renewLease') return async (...args: Parameters<RunStore['renewLease']>) => thaw.then(() => target.renewLease(...args));
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

const redis = new RedisClient('redis://127.0.0.1:6379', { maxRetriesPerRequest: 1, enableAutoPipelining: true });
const redisPrefix = `issue11-zombie:${Date.now()}:`;

afterAll(async () => {
  await redis.quit();
});

const zombieLedgers: readonly { readonly name: string; readonly make: () => Promise<BudgetLedger> }[] = [
  { name: 'memory', make: () => Promise.resolve(createBudgetLedger()) },
  {
    name: 'Redis (fails loudly without Redis on 127.0.0.1:6379)',
    make: async () => {
      expect(await redis.ping()).toBe('PONG');
      return createRedisBudgetLedger({ redis, keyPrefix: redisPrefix });
    },
  },
];

describe.each(zombieLedgers)('zombie owner: a frozen owner charges its call after the take-over (issue 11 c), $name ledger', ({ make }) => {
  it('the new owner looks up the dead owner\'s released reservation again when the run ends: its late charge is in the run\'s usage and report', async () => {
    const ledger = await make();
    const store = createMemoryRunStore();
    const thaw = gate();
    const answer = gate();
    const called = gate();
    const lateCharged = gate();
    // Owner A: its heartbeat freezes (lease 150 ms) while its call is out; the call answers after B took over.
    const first = budgetRuntime(answeringWhen(answer.promise, usageOf(1_000, 400), called.open), {
      ledger: ledgerWith(ledger, {
        settle: async (id, actual, options) => {
          const settlement = await ledger.settle(id, actual, options);
          if (String(id).endsWith('/late')) lateCharged.open();
          return settlement;
        },
      }),
      store: frozenHeartbeat(store, thaw.promise),
      owner: 'owner-a',
      leaseTtlMs: 150,
      leaseRenewMs: 30,
    });
    // Owner B answers only once A's late charge landed, so B's run ends after it.
    const second = budgetRuntime(answeringWhen(lateCharged.promise, usageOf(30, 7)), { ledger, store, owner: 'owner-b', leaseTtlMs: 60_000 });
    try {
      const started = await first.orchestrator.start({ tasks: [task('a')], policy: { budgetUsd: 1 } });
      await called.promise;
      for (;;) {
        try {
          await second.orchestrator.resume(asRunId(started.id));
          break;
        } catch (error) {
          expect(error).toMatchObject({ code: 'RUN_OWNED' });
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
      answer.open(); // A wakes: its answer is charged through <id>/late, its commit is refused
      const run = await second.orchestrator.wait(started.id);
      const model = run.tasks[0]?.model ?? '';
      const paid = first.costs.cost(model, usageOf(1_000, 400)) + first.costs.cost(model, usageOf(30, 7));
      const snapshot = await ledger.snapshot(`run:${run.id}`);
      const journaled = (await store.getTasks(run.id)).reduce((sum, record) => sum + record.cost, 0n);
      expect(run.state).toBe('completed');
      expect(run.tasks[0]?.usage).toMatchObject({ inputTokens: 1_030, outputTokens: 407 });
      expect(snapshot.reserved).toBe(0n);
      const report = first.usage.report({ runId: run.id }).total.cost + second.usage.report({ runId: run.id }).total.cost;
      expect({ ledger: snapshot.spent, journaled, report }).toEqual({ ledger: paid, journaled: paid, report: paid });
      expect(second.usage.report({ runId: run.id }).byPhase['recovered']).toMatchObject({ cost: first.costs.cost(model, usageOf(1_000, 400)), calls: 1 });
      const settled = (await collectEvents(second.orchestrator, run.id)).filter((event) => event.type === 'budget.settled' && String(event.reservationId).endsWith('/late'));
      expect(settled).toHaveLength(1);
    } finally {
      answer.open();
      lateCharged.open();
      thaw.open();
      await first.orchestrator.close();
      await second.orchestrator.close();
      // The test leaves nothing in the shared Redis.
      const keys = await redis.keys(`${redisPrefix}*`);
      if (keys.length > 0) await redis.del(...keys);
    }
  });
});

describe('renewed reservations: a call slower than the reservation lease keeps its hold (issue 11 b)', () => {
  it('the heartbeat renews the hold; no other task takes its room while it runs, and the settle is not late', async () => {
    const ledger = createBudgetLedger();
    const renewed: string[] = [];
    const errors: unknown[] = [];
    // Budget for one call in flight at a time: b must wait for a's hold, however long a runs.
    const llm = createScriptedLlm({ usage: () => usageOf(30, 7), latency: (taskId) => (taskId === 'a' ? 400 : 1) });
    const runtime = budgetRuntime(llm, {
      ledger: ledgerWith(ledger, {
        renew: (id, leaseMs) => {
          renewed.push(String(id));
          return ledger.renew(id, leaseMs);
        },
      }),
      reservationLeaseMs: 120,
      leaseTtlMs: 60_000,
      leaseRenewMs: 30,
      onBackgroundError: (error) => errors.push(error),
    });
    const probe = budgetRuntime(llm);
    const worst = probe.costs.worstCase('mock-balanced', 40, 1_000);
    const budgetUsd = Number(worst * 3n / 2n) / 1e15;
    const started = await runtime.orchestrator.start({
      tasks: [task('a', [], { maxOutputTokens: 1_000, model: 'mock-balanced' }), task('b', [], { maxOutputTokens: 1_000, model: 'mock-balanced' })],
      policy: { budgetUsd, maxParallelism: 2 },
    });
    const run = await runtime.orchestrator.wait(started.id);
    await runtime.orchestrator.close();
    expect(run.state).toBe('completed');
    // b started only after a ended: the 120 ms lease never ran out under a's 400 ms call.
    const order = llm.log.map((entry) => `${entry.type}:${entry.taskId}`);
    expect(order.indexOf('start:b')).toBeGreaterThan(order.indexOf('end:a'));
    expect(renewed.some((id) => id.includes('/a/'))).toBe(true);
    const events = await collectEvents(runtime.orchestrator, run.id);
    const settledA = events.find((event) => event.type === 'budget.settled' && event.taskId === 'a');
    expect(settledA && 'reservationId' in settledA ? String(settledA.reservationId) : '').not.toContain('/late');
    const snapshot = await ledger.snapshot(`run:${run.id}`);
    expect(snapshot.reserved).toBe(0n);
    expect(snapshot.spent <= (snapshot.limit ?? 0n)).toBe(true);
    expect(errors).toEqual([]);
  });

  it('a hold far from its expiry is not renewed at every beat: once when first seen, then only within two beats of expiry', async () => {
    const ledger = createBudgetLedger();
    const renewed: string[] = [];
    const llm = createScriptedLlm({ usage: () => usageOf(30, 7), latency: () => 300 });
    const runtime = budgetRuntime(llm, {
      ledger: ledgerWith(ledger, {
        renew: (id, leaseMs) => {
          renewed.push(String(id));
          return ledger.renew(id, leaseMs);
        },
      }),
      leaseTtlMs: 60_000,
      leaseRenewMs: 20, // ~15 beats during the call; the reservation lease is the ledger's 10 minutes
    });
    const started = await runtime.orchestrator.start({ tasks: [task('a')], policy: { budgetUsd: 1 } });
    const run = await runtime.orchestrator.wait(started.id);
    await runtime.orchestrator.close();
    expect(run.state).toBe('completed');
    expect(renewed).toHaveLength(1);
  });

  it('a renewal refused because the reservation closed is left to bill-once: charged once, no background error', async () => {
    const ledger = createBudgetLedger();
    const refused: string[] = [];
    const errors: unknown[] = [];
    const llm = createScriptedLlm({ usage: () => usageOf(30, 7), latency: () => 150 });
    const runtime = budgetRuntime(llm, {
      ledger: ledgerWith(ledger, {
        renew: (id, leaseMs) =>
          ledger.renew(id, leaseMs).catch((error: unknown) => {
            refused.push(String((error as { code?: string }).code));
            throw error;
          }),
      }),
      // The lease (5 ms) runs out before the first beat (40 ms): every renewal is refused.
      reservationLeaseMs: 5,
      leaseTtlMs: 60_000,
      leaseRenewMs: 40,
      onBackgroundError: (error) => errors.push(error),
    });
    const started = await runtime.orchestrator.start({ tasks: [task('a')], policy: { budgetUsd: 1 } });
    const run = await runtime.orchestrator.wait(started.id);
    await runtime.orchestrator.close();
    expect(run.state).toBe('completed');
    expect(refused.length).toBeGreaterThan(0);
    expect(new Set(refused)).toEqual(new Set(['RESERVATION_CLOSED']));
    const paid = runtime.costs.cost(run.tasks[0]?.model ?? '', usageOf(30, 7));
    expect((await ledger.snapshot(`run:${run.id}`)).spent).toBe(paid);
    expect(runtime.usage.report({ runId: run.id }).total.cost).toBe(paid);
    expect(run.usage.costUsd).toBe(Number(paid / 1_000_000n) / 1e9);
    expect(errors).toEqual([]);
  });
});
