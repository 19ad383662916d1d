/**
 * Issue 19 "Must show": three `runtime serve` PROCESSES on one PostgreSQL schema and one Redis key
 * prefix (both fresh, removed after), one slow fake OpenAI-compatible provider in this process that
 * all three call. 50 runs created round-robin under one tenant with a shared tenant budget, each
 * followed over SSE through a replica other than its creator; one replica SIGKILLed mid-run.
 *
 * Accounting window: a call the killed process sent may have been answered (the provider bills it)
 * without being settled or journaled; on takeover its reservation is released, so neither the
 * ledger nor the journal counts it, and its task calls the provider again on the new owner. Such
 * calls are the only ones allowed to repeat, and the test reports their number; ledger and journal
 * agree exactly, run by run and for the tenant.
 */
import { moneyToUsd, type Run, type RuntimeEvent } from '@runtime/contracts';
import { createRedisBudgetLedger } from '@runtime/cost/redis';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createClient } from './support/http-client.js';
import { FLEET_KEY, resumedRuns, TENANT_LIMIT_USD, useReplicaFleet } from './support/replica-fleet.js';
import { REDIS_URL } from './support/shared-services.js';
import type { ServeProcess } from './support/sidecar-process.js';

const KEY = FLEET_KEY;
const RUN_BUDGET_USD = 0.2;
const RUNS = 50;
const TASKS_PER_RUN = 4;

const fleet = useReplicaFleet();

function chain(run: number, delayMs?: number): { id: string; prompt: string; maxOutputTokens: number; deps?: string[] }[] {
  return Array.from({ length: TASKS_PER_RUN }, (_, index) => ({
    id: `t${index}`,
    prompt: `step ${index} [task=r${run}.t${index}]${delayMs === undefined ? '' : `[delay=${delayMs}]`}`,
    maxOutputTokens: 50,
    ...(index === 0 ? {} : { deps: [`t${index - 1}`] }),
  }));
}

/** Every task completed exactly once in the journal; no task started after it completed. */
function checkEvents(runId: string, events: readonly RuntimeEvent[]): void {
  expect(events.at(-1)?.type, runId).toBe('run.completed');
  for (let index = 0; index < TASKS_PER_RUN; index += 1) {
    const taskId = `t${index}`;
    const completed = events.filter((event) => event.type === 'task.completed' && event.taskId === taskId);
    expect(completed, `${runId}/${taskId} completed once`).toHaveLength(1);
    const completedSeq = completed[0]?.seq ?? 0;
    expect(events.filter((event) => event.type === 'task.started' && event.taskId === taskId && event.seq > completedSeq), `${runId}/${taskId}`).toHaveLength(0);
  }
  const seqs = events.map((event) => event.seq);
  expect(new Set(seqs).size, `${runId}: no duplicate seq`).toBe(seqs.length);
}

describe('three replicas on one PostgreSQL and one Redis', () => {
  it('50 runs round-robin, SSE through another replica, one replica SIGKILLed mid-run: every run completes once, spend exact, tenant budget held', async () => {
    const startedAt = Date.now();
    const replicas = await fleet.start(3, 2_000);
    const clients = replicas.map((serve) => createClient(serve.url));
    const killed = 0;
    const runIds: string[] = [];
    const creators: number[] = [];
    const streams: Promise<RuntimeEvent[]>[] = [];
    for (let run = 0; run < RUNS; run += 1) {
      const creator = run % 3;
      const client = clients[creator] ?? clients[0];
      const created = await client?.request<Run>('POST', '/v1/runs', { key: KEY, body: { tasks: chain(run), policy: { budgetUsd: RUN_BUDGET_USD } } });
      expect(created?.status, created?.text).toBe(201);
      const id = created?.body.id ?? '';
      runIds.push(id);
      creators.push(creator);
      // Followed through a replica that did not create it (and is never the one killed).
      const follower = creator === 1 ? 2 : 1;
      streams.push((clients[follower] ?? clients[1])?.events(`/v1/runs/${id}/events`, KEY) ?? Promise.resolve([]));
    }

    // Kill the first replica while its last run is mid-flight.
    const observer = clients[1];
    if (observer === undefined) throw new Error('no replica 1');
    const lastOfKilled = runIds[RUNS - 1 - ((RUNS - 1) % 3)] ?? '';
    await observer.waitForRun(lastOfKilled, KEY, (run) => run.tasks.some((task) => task.state === 'completed'), 20_000);
    const beforeKill = await observer.waitForRun(lastOfKilled, KEY, () => true);
    expect(beforeKill.state).toBe('running');
    const killedAt = Date.now();
    replicas[killed]?.child.kill('SIGKILL');
    expect(await replicas[killed]?.exited).toBeNull();

    const allEvents = await Promise.all(streams);
    const runs = await Promise.all(runIds.map((id) => observer.waitForRun(id, KEY, undefined, 30_000)));

    // Every run completed; every task answered once in the journal, seen through another replica.
    for (const [index, run] of runs.entries()) {
      expect(run.state, run.id).toBe('completed');
      checkEvents(run.id, allEvents[index] ?? []);
    }
    // The killed replica's unfinished runs were taken over by the others.
    const takenOver = new Set([...resumedRuns(replicas[1] as ServeProcess), ...resumedRuns(replicas[2] as ServeProcess)]);
    const killedRuns = runIds.filter((_, index) => creators[index] === killed);
    expect(killedRuns.filter((id) => takenOver.has(id)).length).toBeGreaterThanOrEqual(1);
    for (const id of takenOver) expect(killedRuns).toContain(id);

    // The provider: once per task, except tasks the killed replica had in flight at kill time
    // (first call before the kill, unanswered or unjournaled; one more call after it).
    let repeated = 0;
    let billedUnsettled = 0;
    for (const [index, id] of runIds.entries()) {
      for (let task = 0; task < TASKS_PER_RUN; task += 1) {
        const calls = fleet.fake.callsOf(`r${index}.t${task}`);
        if (calls.length <= 1) {
          expect(calls, `r${index}.t${task}`).toHaveLength(1);
          continue;
        }
        repeated += 1;
        if (calls[0]?.delivered === true) billedUnsettled += 1;
        expect(takenOver.has(id), `r${index}.t${task} called ${calls.length} times but its run was not taken over`).toBe(true);
        expect(calls).toHaveLength(2);
        expect(calls[0]?.receivedAt ?? Infinity).toBeLessThan(killedAt);
        expect(calls[1]?.receivedAt ?? 0).toBeGreaterThanOrEqual(killedAt);
      }
    }

    // Spend: journal = Redis ledger, per run and for the tenant; within every budget.
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    try {
      const ledger = createRedisBudgetLedger({ redis, keyPrefix: `${fleet.prefix}ledger:` });
      let sum = 0n;
      for (const run of runs) {
        const scope = await ledger.snapshot(`run:${run.id}`);
        expect(moneyToUsd(scope.spent), run.id).toBeCloseTo(run.usage.costUsd, 9);
        expect(run.usage.costUsd).toBeGreaterThan(0);
        expect(run.usage.costUsd).toBeLessThanOrEqual(RUN_BUDGET_USD);
        expect(scope.reserved, run.id).toBe(0n);
        sum += scope.spent;
      }
      const tenant = await ledger.snapshot('tenant:acme');
      expect(tenant.spent).toBe(sum);
      expect(tenant.reserved).toBe(0n);
      expect(moneyToUsd(tenant.spent)).toBeLessThanOrEqual(TENANT_LIMIT_USD);
    } finally {
      await redis.quit();
    }
    console.info(
      `multi-replica: ${RUNS} runs, ${takenOver.size} taken over, ${repeated} task(s) called twice (in flight at the kill; ${billedUnsettled} of those first calls answered but never settled), ${Date.now() - startedAt} ms`,
    );
  }, 90_000);
});

describe('graceful shutdown on a shared store', () => {
  it('SIGTERM hands the runs over: the other replica completes the run well before the lease TTL, every task answered once', async () => {
    const [first, second] = await fleet.start(2, 15_000);
    if (first === undefined || second === undefined) throw new Error('replicas did not start');
    const client = createClient(first.url);
    const created = await client.request<Run>('POST', '/v1/runs', { key: KEY, body: { tasks: chain(0, 250), policy: { budgetUsd: RUN_BUDGET_USD } } });
    expect(created.status, created.text).toBe(201);
    const before = await client.waitForRun(created.body.id, KEY, (run) => run.tasks.some((task) => task.state === 'completed'));
    const completedBefore = new Set<string>(before.tasks.filter((task) => task.state === 'completed').map((task) => task.id));
    const stoppedAt = Date.now();
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.logs()).toContain('"handedOver":true');
    const other = createClient(second.url);
    const run = await other.waitForRun(created.body.id, KEY, undefined, 14_000);
    expect(run.state).toBe('completed');
    // The lease TTL is 15 s: the run moved because the lease was released.
    expect(Date.now() - stoppedAt).toBeLessThan(6_000);
    expect(resumedRuns(second).has(run.id)).toBe(true);
    checkEvents(run.id, await other.events(`/v1/runs/${run.id}/events`, KEY));
    // A task completed before the stop is never called again; the one call in flight at the
    // handover (a chain has at most one) is abandoned and made again by the new owner.
    let repeated = 0;
    for (let task = 0; task < TASKS_PER_RUN; task += 1) {
      const calls = fleet.fake.callsOf(`r0.t${task}`);
      expect(calls.length, `t${task}`).toBeGreaterThanOrEqual(1);
      expect(calls.length, `t${task}`).toBeLessThanOrEqual(2);
      if (calls.length === 2) repeated += 1;
      if (completedBefore.has(`t${task}`)) expect(calls.filter((call) => call.receivedAt >= stoppedAt), `t${task}`).toHaveLength(0);
    }
    expect(repeated).toBeLessThanOrEqual(1);
  }, 60_000);
});
