/**
 * Owned runs and store faults, in one process: leases taken at start and renewed, fenced journal
 * writes, resume only of expired leases, graceful close, transient and lasting store failures, and
 * the smaller run-loop defects of issue 12 (long timers, failFast, finishing runs, idempotent
 * starts, providers that ignore abort).
 */
import {
  asRunId,
  type Clock,
  type LlmClient,
  type LlmResult,
  type RuntimeEvent,
  type TaskSpec,
} from '@runtime/contracts';
import { describe, expect, it, vi } from 'vitest';
import { createMemoryRunStore } from '../src/memory-run-store.js';
import { createScriptedLlm, providerError } from '../src/testing.js';
import { FaultyStore } from './support/faulty-store.js';
import { fakeLedger } from './support/fakes.js';
import { seededRandom } from './support/layered-dag.js';
import { harness } from './support/setup.js';

function task(id: string, deps: string[] = []): TaskSpec {
  return { id, prompt: `do ${id}`, deps };
}

async function collect(events: AsyncIterable<RuntimeEvent>): Promise<RuntimeEvent[]> {
  const all: RuntimeEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
}

const ahead = (ms: number): Clock => ({ now: () => Date.now() + ms });

/** A client that never answers and ignores its abort signal (a stuck socket). */
function deafLlm(deaf: (taskId: string) => boolean): LlmClient & { calls: string[] } {
  const inner = createScriptedLlm();
  const calls: string[] = [];
  return {
    provider: 'deaf',
    calls,
    complete(request, options = {}): Promise<LlmResult> {
      const taskId = String(options.context?.taskId);
      calls.push(taskId);
      if (deaf(taskId)) return new Promise<LlmResult>(() => undefined);
      return inner.complete(request, options);
    },
  };
}

describe('owned runs (leases)', () => {
  it('start takes a lease for this owner at epoch 1; the terminal commit clears it', async () => {
    const llm = createScriptedLlm({ latency: () => 5 });
    const { orchestrator, store } = harness(llm, { owner: 'p1' });
    const started = await orchestrator.start({ tasks: [task('a'), task('b', ['a'])] });
    const record = await store.getRun(started.id);
    expect(record).toMatchObject({ owner: 'p1', lease: { owner: 'p1', epoch: 1 } });
    expect((record?.lease?.expiresAt ?? 0) - Date.now()).toBeGreaterThan(25_000);
    expect((await orchestrator.wait(started.id)).state).toBe('completed');
    expect((await store.getRun(started.id))?.lease).toBeUndefined();
  });

  it('resume of a run another process holds fails RUN_OWNED and leaves its reservations alone', async () => {
    const ledger = fakeLedger();
    const store = createMemoryRunStore();
    const hanging = createScriptedLlm({ latency: (id) => (id === 'b' ? Number.POSITIVE_INFINITY : 0) });
    const live = harness(hanging, { owner: 'live', store, ledger });
    const started = await live.orchestrator.start({ tasks: [task('a'), task('b', ['a'])], policy: { budgetUsd: 1 } });
    await vi.waitFor(() => expect(hanging.calls.get('b')).toBe(1));
    expect(ledger.open()).toBe(1);
    const other = harness(createScriptedLlm(), { owner: 'other', store, ledger });
    await expect(other.orchestrator.resume(started.id)).rejects.toMatchObject({ code: 'RUN_OWNED', details: { owner: 'live', epoch: 1 } });
    expect(await other.orchestrator.resumeAll()).toEqual({ resumed: [], owned: [], failed: [] });
    expect(ledger.open()).toBe(1);
    expect((await store.getRun(started.id))?.lease).toMatchObject({ owner: 'live', epoch: 1 });
    // The live owner is not disturbed; an abort asked of the other process reaches it through the store.
    expect(await other.orchestrator.abort(started.id)).toMatchObject({ state: 'aborted' });
    expect((await store.getRun(started.id))?.owner).toBe('live');
    expect(ledger.open()).toBe(0);
    await other.orchestrator.close();
  });

  it('the heartbeat keeps a long run owned past its lease TTL', async () => {
    const llm = createScriptedLlm({ latency: () => 100 });
    const store = createMemoryRunStore();
    const live = harness(llm, { owner: 'live', store, leaseTtlMs: 150, leaseRenewMs: 30 });
    const started = await live.orchestrator.start({ tasks: [task('a'), task('b', ['a']), task('c', ['b']), task('d', ['c'])] });
    const other = harness(createScriptedLlm(), { owner: 'other', store });
    let refusals = 0;
    for (let round = 0; round < 12; round += 1) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      if ((await store.getRun(started.id))?.state !== 'running') break;
      await expect(other.orchestrator.resume(started.id)).rejects.toMatchObject({ code: 'RUN_OWNED' });
      refusals += 1;
    }
    expect(refusals).toBeGreaterThanOrEqual(8); // ≥ 200 ms > the 150 ms TTL: the lease was renewed
    expect((await live.orchestrator.wait(started.id)).state).toBe('completed');
    expect([...llm.calls.values()]).toEqual([1, 1, 1, 1]);
  });

  it('a stale owner stops at once when its commit is refused (LEASE_LOST): calls aborted, nothing written, the successor finishes', async () => {
    const store = createMemoryRunStore();
    const slow = createScriptedLlm({ latency: (id) => (id === 'a' ? 0 : 50) });
    const reported: unknown[] = [];
    const stale = harness(slow, { owner: 'stale', store, onBackgroundError: (error) => reported.push(error) });
    const started = await stale.orchestrator.start({ tasks: [task('a'), task('b', ['a']), task('c', ['a']), task('d', ['b', 'c'])], policy: { maxParallelism: 2 } });
    await vi.waitFor(() => expect(slow.calls.get('c')).toBe(1));
    // The successor's clock says the stale owner's lease expired: it takes the run over (epoch 2).
    const llm = createScriptedLlm({ latency: () => 5 });
    const successor = harness(llm, { owner: 'successor', store, clock: ahead(60_000) });
    await successor.orchestrator.resume(started.id);
    expect((await store.getRun(started.id))?.lease).toMatchObject({ owner: 'successor', epoch: 2 });
    const waited = stale.orchestrator.wait(started.id);
    const run = await successor.orchestrator.wait(started.id);
    expect(run.state).toBe('completed');
    // The stale owner's b and c answered, but their completions were refused and it stopped.
    await vi.waitFor(() => expect(reported).toContainEqual(expect.objectContaining({ code: 'LEASE_LOST' })));
    expect(slow.calls.get('d')).toBeUndefined();
    expect(llm.calls.get('a')).toBeUndefined();
    expect(llm.calls.get('d')).toBe(1);
    // Every journaled event after the take-over was written by the successor: one task.completed per task.
    const events = await store.readEvents(started.id);
    expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
    const completions = events.filter((event) => event.type === 'task.completed').map((event) => (event.type === 'task.completed' ? event.taskId : ''));
    expect(completions.sort()).toEqual(['a', 'b', 'c', 'd']);
    // wait() on the stale side follows the journal to the successor's result.
    expect((await waited).state).toBe('completed');
  });

  it('self-fences: a lease that could not be renewed before it expired stops the run here; resumeAll elsewhere continues it', async () => {
    const inner = createMemoryRunStore();
    const store = new FaultyStore(inner);
    const hanging = createScriptedLlm({ latency: (id) => (id === 'b' ? Number.POSITIVE_INFINITY : 0) });
    const reported: unknown[] = [];
    const dying = harness(hanging, { owner: 'dying', store, leaseTtlMs: 60, leaseRenewMs: 20, onBackgroundError: (error) => reported.push(error) });
    const started = await dying.orchestrator.start({ tasks: [task('a'), task('b', ['a']), task('c', ['b'])] });
    await vi.waitFor(() => expect(hanging.calls.get('b')).toBe(1));
    store.renewalsFail = true;
    await vi.waitFor(() => expect(hanging.aborted).toEqual(['b']), { timeout: 2_000 });
    expect(reported).toContainEqual(expect.objectContaining({ code: 'LEASE_LOST', details: expect.objectContaining({ reason: 'renewFailed' }) }));
    const llm = createScriptedLlm();
    const successor = harness(llm, { owner: 'successor', store: inner });
    const report = await successor.orchestrator.resumeAll();
    expect(report).toEqual({ resumed: [started.id], owned: [], failed: [] });
    const run = await successor.orchestrator.wait(started.id);
    expect(run.state).toBe('completed');
    expect([...llm.calls.keys()].sort()).toEqual(['b', 'c']);
    expect((await inner.getRun(started.id))?.lease).toBeUndefined();
  });

  it('watchResumable continues a run by itself once its owner stopped renewing and the lease expired', async () => {
    const inner = createMemoryRunStore();
    const store = new FaultyStore(inner);
    const hanging = createScriptedLlm({ latency: (id) => (id === 'b' ? Number.POSITIVE_INFINITY : 0) });
    const dying = harness(hanging, { owner: 'dying', store, leaseTtlMs: 200, leaseRenewMs: 40, onBackgroundError: () => undefined });
    const started = await dying.orchestrator.start({ tasks: [task('a'), task('b', ['a'])] });
    await vi.waitFor(() => expect(hanging.calls.get('b')).toBe(1));
    const llm = createScriptedLlm();
    const watcher = harness(llm, { owner: 'watcher', store: inner });
    expect((await watcher.orchestrator.resumeAll()).resumed).toEqual([]);
    const sweeps: string[][] = [];
    watcher.orchestrator.watchResumable({ intervalMs: 20, onSweep: (report) => sweeps.push([...report.resumed]) });
    store.renewalsFail = true;
    await vi.waitFor(async () => expect((await inner.getRun(started.id))?.state).toBe('completed'), { timeout: 3_000 });
    expect(sweeps).toContainEqual([started.id]);
    expect(llm.calls.get('b')).toBe(1);
    expect(llm.calls.get('a')).toBeUndefined();
    await watcher.orchestrator.close();
    expect(() => watcher.orchestrator.watchResumable()).toThrow(expect.objectContaining({ code: 'RUN_NOT_RUNNING' }));
  });

  it('close releases the leases (another process resumes at once) and writes nothing after', async () => {
    const store = createMemoryRunStore();
    const hanging = createScriptedLlm({ latency: (id) => (id === 'b' ? Number.POSITIVE_INFINITY : 0) });
    const closing = harness(hanging, { owner: 'closing', store });
    const started = await closing.orchestrator.start({ tasks: [task('a'), task('b', ['a'])] });
    await vi.waitFor(() => expect(hanging.calls.get('b')).toBe(1));
    const lastSeq = (await store.getRun(started.id))?.lastSeq;
    await closing.orchestrator.close();
    await closing.orchestrator.close();
    const record = await store.getRun(started.id);
    expect(record).toMatchObject({ state: 'running', lastSeq });
    expect(record?.lease).toBeUndefined();
    expect((await store.getTasks(started.id)).map((t) => t.state)).toEqual(['completed', 'running']);
    await expect(closing.orchestrator.start({ tasks: [task('x')] })).rejects.toMatchObject({ code: 'RUN_NOT_RUNNING' });
    const llm = createScriptedLlm();
    const next = harness(llm, { owner: 'next', store });
    expect((await next.orchestrator.resumeAll()).resumed).toEqual([started.id]);
    expect((await next.orchestrator.wait(started.id)).tasks.map((t) => [t.id, t.state, t.attempts])).toEqual([
      ['a', 'completed', 1],
      ['b', 'completed', 2],
    ]);
  });

  it('resume reads the run again after taking the lease: commits the old owner made in between are built on, not overwritten', async () => {
    const inner = createMemoryRunStore();
    const scripted = createScriptedLlm({ latency: (id) => (id === 'c' ? Number.POSITIVE_INFINITY : 0) });
    let open = (): void => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const gated: string[] = [];
    // b answers only when the gate opens, so its completion lands exactly between the read and the acquire.
    const old: LlmClient = {
      provider: 'gated',
      async complete(request, options = {}): Promise<LlmResult> {
        if (options.context?.taskId === 'b') {
          gated.push('b');
          await gate;
        }
        return scripted.complete(request, options);
      },
    };
    const stale = harness(old, { owner: 'stale', store: inner, onBackgroundError: () => undefined });
    const started = await stale.orchestrator.start({ tasks: [task('a'), task('b', ['a']), task('c', ['b'])] });
    await vi.waitFor(() => expect(gated).toEqual(['b']));
    const store = new FaultyStore(inner);
    // Between the successor's read and its acquire, the old owner journals b's completion and c's start.
    store.beforeAcquire = async (runId) => {
      const before = (await inner.getRun(runId))?.lastSeq ?? 0;
      open();
      await vi.waitFor(async () => expect((await inner.getTasks(runId)).map((t) => t.state)).toEqual(['completed', 'completed', 'running']));
      expect((await inner.getRun(runId))?.lastSeq).toBeGreaterThan(before);
    };
    const llm = createScriptedLlm();
    const successor = harness(llm, { owner: 'successor', store, clock: ahead(60_000) });
    await successor.orchestrator.resume(started.id);
    const run = await successor.orchestrator.wait(started.id);
    expect(run.tasks.map((t) => [t.id, t.state])).toEqual([
      ['a', 'completed'],
      ['b', 'completed'],
      ['c', 'completed'],
    ]);
    expect([...llm.calls.keys()]).toEqual(['c']);
    const events = await inner.readEvents(started.id);
    expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
    expect(events.filter((event) => event.type === 'task.completed')).toHaveLength(3);
    await stale.orchestrator.close();
  });

  it('resume of a run that ended between the read and the lease returns the terminal run and leaves no lease', async () => {
    const inner = createMemoryRunStore();
    const old = createScriptedLlm({ latency: () => 30 });
    const stale = harness(old, { owner: 'stale', store: inner });
    const started = await stale.orchestrator.start({ tasks: [task('a'), task('b', ['a'])] });
    await vi.waitFor(() => expect(old.calls.get('a')).toBe(1));
    const store = new FaultyStore(inner);
    store.beforeAcquire = async (runId) => {
      await vi.waitFor(async () => expect((await inner.getRun(runId))?.state).toBe('completed'));
    };
    const llm = createScriptedLlm();
    const successor = harness(llm, { owner: 'successor', store, clock: ahead(60_000) });
    const resumed = await successor.orchestrator.resume(started.id);
    expect(resumed.state).toBe('completed');
    const lastSeq = (await inner.getRun(started.id))?.lastSeq;
    expect((await successor.orchestrator.wait(started.id)).state).toBe('completed');
    expect(llm.calls.size).toBe(0);
    const record = await inner.getRun(started.id);
    expect(record?.lease).toBeUndefined();
    expect(record).toMatchObject({ state: 'completed', lastSeq });
    const events = await inner.readEvents(started.id);
    expect(events.at(-1)?.type).toBe('run.completed');
    expect(events.filter((event) => event.type === 'run.completed')).toHaveLength(1);
  });

  it('a dependent turned ready is journaled by its task.ready event, not a task record; a successor recomputes it and runs it once', async () => {
    const store = createMemoryRunStore();
    const hanging = createScriptedLlm({ latency: (id) => (id === 'a' ? 0 : Number.POSITIVE_INFINITY) });
    const first = harness(hanging, { owner: 'first', store });
    const started = await first.orchestrator.start({ tasks: [task('a'), task('x', ['a']), task('b', ['a'])], policy: { maxParallelism: 1 } });
    await vi.waitFor(() => expect((hanging.calls.get('x') ?? 0) + (hanging.calls.get('b') ?? 0)).toBe(1));
    const waiting = hanging.calls.has('x') ? 'b' : 'x';
    await vi.waitFor(async () => expect((await store.getTasks(started.id)).filter((t) => t.state === 'running')).toHaveLength(1));
    expect((await first.orchestrator.get(started.id))?.tasks.find((t) => t.id === waiting)?.state).toBe('ready');
    const stored = await store.getTasks(started.id);
    expect(stored.find((t) => t.id === waiting)).toMatchObject({ state: 'pending', attempts: 0 });
    const events = await store.readEvents(started.id);
    expect(events.filter((event) => event.type === 'task.ready' && event.taskId === waiting)).toHaveLength(1);
    await first.orchestrator.close();
    const llm = createScriptedLlm();
    const successor = harness(llm, { owner: 'successor', store });
    expect((await successor.orchestrator.resumeAll()).resumed).toEqual([started.id]);
    const run = await successor.orchestrator.wait(started.id);
    expect(run.tasks.map((t) => [t.id, t.state])).toEqual([
      ['a', 'completed'],
      ['x', 'completed'],
      ['b', 'completed'],
    ]);
    expect(Object.fromEntries(llm.calls)).toEqual({ x: 1, b: 1 });
    const journal = await store.readEvents(started.id);
    expect(journal.map((event) => event.seq)).toEqual(journal.map((_, index) => index + 1));
    expect(journal.filter((event) => event.type === 'task.completed').map((event) => (event.type === 'task.completed' ? event.taskId : '')).sort()).toEqual(['a', 'b', 'x']);
  });

  it('a task added while its dependency runs is stored pending, its ready turn is not written, and after a take-over it runs once', async () => {
    const store = createMemoryRunStore();
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const scripted = createScriptedLlm({ latency: (id) => (id === 'y' ? Number.POSITIVE_INFINITY : 0) });
    const hanging = createScriptedLlm({ latency: () => Number.POSITIVE_INFINITY });
    // 'a' answers when the gate opens; 'b' (dispatched before 'y': same critical path, smaller id) never answers.
    const old: LlmClient = {
      provider: 'gated',
      async complete(request, options = {}): Promise<LlmResult> {
        const id = options.context?.taskId;
        if (id === 'a') await gate;
        return (id === 'b' ? hanging : scripted).complete(request, options);
      },
    };
    const first = harness(old, { owner: 'first', store });
    const started = await first.orchestrator.start({ tasks: [task('a'), task('b', ['a'])], policy: { maxParallelism: 1 } });
    await first.orchestrator.addTasks(started.id, [task('y', ['a'])]);
    expect((await store.getTasks(started.id)).find((t) => t.id === 'y')).toMatchObject({ state: 'pending' });
    release();
    await vi.waitFor(() => expect(hanging.calls.get('b')).toBe(1));
    expect((await first.orchestrator.get(started.id))?.tasks.find((t) => t.id === 'y')?.state).toBe('ready');
    await vi.waitFor(async () => expect((await store.readEvents(started.id)).some((event) => event.type === 'task.ready' && event.taskId === 'y')).toBe(true));
    expect((await store.getTasks(started.id)).find((t) => t.id === 'y')).toMatchObject({ state: 'pending', attempts: 0 });
    await first.orchestrator.close();
    const llm = createScriptedLlm();
    const successor = harness(llm, { owner: 'successor', store });
    expect((await successor.orchestrator.resumeAll()).resumed).toEqual([started.id]);
    const run = await successor.orchestrator.wait(started.id);
    expect(run.tasks.map((t) => [t.id, t.state])).toEqual([
      ['a', 'completed'],
      ['b', 'completed'],
      ['y', 'completed'],
    ]);
    expect(Object.fromEntries(llm.calls)).toEqual({ b: 1, y: 1 });
  });

  it('wait and events on a run nobody runs end instead of polling forever', async () => {
    const store = createMemoryRunStore();
    const hanging = createScriptedLlm({ latency: () => Number.POSITIVE_INFINITY });
    const gone = harness(hanging, { owner: 'gone', store });
    const started = await gone.orchestrator.start({ tasks: [task('a')] });
    await gone.orchestrator.close();
    const observer = harness(createScriptedLlm(), { owner: 'observer', store, waitPollMs: 5 });
    await expect(observer.orchestrator.wait(started.id)).rejects.toMatchObject({ code: 'RUN_NOT_RUNNING' });
    const events = await collect(observer.orchestrator.events(started.id));
    expect(events.map((event) => event.type)).toEqual(['run.started', 'task.ready', 'task.started', 'budget.reserved']);
  });
});

describe('store faults', () => {
  it('retries transient commit failures (and answers lost after the write) with backoff; the run completes exactly once', async () => {
    const inner = createMemoryRunStore();
    const store = new FaultyStore(inner, (index) => (index % 3 === 0 ? 'transient' : index % 5 === 0 ? 'lostAnswer' : 'ok'));
    const llm = createScriptedLlm({ latency: () => 1 });
    const { orchestrator } = harness(llm, { store, storeRetry: { baseDelayMs: 1, maxDelayMs: 5 } });
    const tasks = Array.from({ length: 12 }, (_, index) => task(`t${index}`, index === 0 ? [] : [`t${Math.floor(index / 2)}`]));
    const started = await orchestrator.start({ tasks });
    const run = await orchestrator.wait(started.id);
    expect(run.state).toBe('completed');
    expect([...llm.calls.values()].every((count) => count === 1)).toBe(true);
    const events = await inner.readEvents(started.id);
    expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
    expect(events.filter((event) => event.type === 'task.completed')).toHaveLength(12);
    expect(store.commits).toBeGreaterThan(events.length / 6);
  });

  it('one write that fails for good ends the run failed (STORE_ERROR) with everything it did journaled; wait, events and subscribers end', async () => {
    const inner = createMemoryRunStore();
    let failed = false;
    const store = new FaultyStore(inner, (index) => {
      if (index === 3 && !failed) {
        failed = true;
        return 'terminal';
      }
      return 'ok';
    });
    const reported: unknown[] = [];
    const llm = createScriptedLlm({ latency: () => 2 });
    const { orchestrator } = harness(llm, { store, onBackgroundError: (error) => reported.push(error) });
    const started = await orchestrator.start({ tasks: [task('a'), task('b', ['a']), task('c', ['b'])] });
    const live: RuntimeEvent[] = [];
    orchestrator.subscribe(started.id, (event) => live.push(event));
    const streamed = collect(orchestrator.events(started.id));
    const run = await orchestrator.wait(started.id);
    expect(run.state).toBe('failed');
    expect(run.error?.code).toBe('STORE_ERROR');
    const events = await streamed;
    expect(events.at(-1)?.type).toBe('run.failed');
    expect(live.at(-1)?.type).toBe('run.failed');
    const journaled = await inner.readEvents(started.id);
    expect(journaled).toEqual(events);
    expect((await inner.getRun(started.id))?.state).toBe('failed');
    // Nothing is left running or reserved; no task ran twice.
    expect((await inner.getTasks(started.id)).every((t) => t.state !== 'running' && t.reservationId === undefined)).toBe(true);
    expect([...llm.calls.values()].every((count) => count === 1)).toBe(true);
  });

  it('checkStore probes with a write: unhealthy while the store cannot write, even with no run here; healthy again after', async () => {
    const store = new FaultyStore(createMemoryRunStore());
    const { orchestrator } = harness(createScriptedLlm(), { store });
    expect(await orchestrator.checkStore()).toMatchObject({ healthy: true, activeRuns: 0, parkedRuns: 0 });
    store.writeProbeFails = true;
    expect(await orchestrator.checkStore()).toMatchObject({ healthy: false, activeRuns: 0, error: { code: 'STORE_ERROR', message: 'disk full' } });
    store.writeProbeFails = false;
    const health = await orchestrator.checkStore();
    expect(health.healthy).toBe(true);
    expect(health.error).toBeUndefined();
  });

  it('a store that stays down parks the run (wait and events end with STORE_ERROR, health says so); it resumes by itself when writes work again', async () => {
    const inner = createMemoryRunStore();
    let down = false;
    const store = new FaultyStore(inner, () => (down ? 'transient' : 'ok'));
    const reported: unknown[] = [];
    const llm = createScriptedLlm({ latency: (id) => (id === 'b' ? 150 : 1) });
    const { orchestrator } = harness(llm, {
      store,
      storeRetry: { retries: 2, baseDelayMs: 1, maxDelayMs: 2 },
      leaseTtlMs: 300,
      leaseRenewMs: 20,
      onBackgroundError: (error) => reported.push(error),
    });
    expect((await orchestrator.checkStore()).healthy).toBe(true);
    const started = await orchestrator.start({ tasks: [task('a'), task('b', ['a']), task('c', ['b'])] });
    await vi.waitFor(() => expect(llm.calls.get('b')).toBe(1));
    const streamed = collect(orchestrator.events(started.id));
    down = true;
    await expect(orchestrator.wait(started.id)).rejects.toMatchObject({ code: 'STORE_ERROR' });
    await expect(streamed).rejects.toMatchObject({ code: 'STORE_ERROR' });
    const health = await orchestrator.checkStore();
    expect(health).toMatchObject({ healthy: false, parkedRuns: 1, activeRuns: 0, error: { code: 'STORE_ERROR' } });
    expect((await inner.getRun(started.id))?.state).toBe('running');
    down = false;
    await vi.waitFor(async () => expect((await inner.getRun(started.id))?.state).toBe('completed'), { timeout: 3_000 });
    expect((await orchestrator.checkStore()).healthy).toBe(true);
    expect(llm.calls.get('a')).toBe(1);
    expect(llm.calls.get('c')).toBe(1);
    expect(reported).toContainEqual(expect.objectContaining({ code: 'STORE_ERROR' }));
  });
});

describe('run loop defects of issue 12', () => {
  it('a run timeout ends the run promptly even when a provider call ignores abort (queued work reacts too)', async () => {
    const llm = deafLlm((id) => id === 'stuck');
    const { orchestrator } = harness(llm);
    const started = await orchestrator.start({
      // stuck has the longest critical path, so it takes the only slot first.
      tasks: [task('stuck'), task('after', ['stuck']), task('then', ['after']), task('next')],
      // `continue`: the timed-out task does not end the run; the next one waits for the stuck slot.
      policy: { maxParallelism: 1, timeoutMs: 100, taskTimeoutMs: 30, failurePolicy: 'continue' },
    });
    const begun = Date.now();
    const run = await orchestrator.wait(started.id);
    expect(Date.now() - begun).toBeLessThan(1_000); // 100 ms timeout; before the fix it never ended
    expect(run.state).toBe('failed');
    expect(run.tasks.find((t) => t.id === 'stuck')?.error?.code).toBe('TASK_TIMEOUT');
  });

  it('abort resolves promptly while a call ignores its abort signal and work waits behind it', async () => {
    const llm = deafLlm(() => true);
    const { orchestrator } = harness(llm);
    const started = await orchestrator.start({ tasks: [task('a'), task('b'), task('c')], policy: { maxParallelism: 1, taskTimeoutMs: 20, failurePolicy: 'continue' } });
    await vi.waitFor(async () => expect((await orchestrator.get(started.id))?.tasks[0]?.state).toBe('failed'));
    const begun = Date.now();
    const run = await orchestrator.abort(started.id);
    expect(Date.now() - begun).toBeLessThan(500); // before the fix it never resolved
    expect(run.state).toBe('aborted');
    expect(run.tasks[0]?.error?.code).toBe('TASK_TIMEOUT');
    expect(run.tasks.slice(1).map((t) => t.state)).not.toContain('running');
  });

  it('failFast starts nothing once a task failed, even while its failure is being journaled', async () => {
    const inner = createMemoryRunStore();
    const store = new FaultyStore(inner, () => ({ delayMs: 15 }));
    const random = seededRandom(7);
    const latencies = new Map<string, number>();
    const llm = createScriptedLlm({
      latency: (id) => (id === 'bad' ? 25 : (latencies.get(id) ?? latencies.set(id, 1 + Math.floor(random() * 8)).get(id) ?? 1)),
      fail: (id) => (id === 'bad' ? providerError(400) : undefined),
    });
    const { orchestrator } = harness(llm, { store });
    const tasks = [task('bad'), ...Array.from({ length: 40 }, (_, index) => task(`ok${String(index).padStart(2, '0')}`))];
    const run = await orchestrator.wait((await orchestrator.start({ tasks, policy: { maxParallelism: 4 } })).id);
    expect(run.state).toBe('failed');
    const failedAt = llm.log.findIndex((entry) => entry.type === 'end' && entry.taskId === 'bad');
    const startedAfter = llm.log.slice(failedAt + 1).filter((entry) => entry.type === 'start');
    expect(startedAfter).toEqual([]);
    for (const view of run.tasks) {
      if (view.id === 'bad') expect(view.error?.code).toBe('PROVIDER_ERROR');
      else if (view.state === 'failed') expect(view.error?.code).toBe('RUN_ABORTED');
      else expect(['completed', 'skipped']).toContain(view.state);
    }
  });

  it('a task added while the run is finishing is refused with RUN_NOT_RUNNING or runs — never accepted and dropped', async () => {
    for (let delayMs = 0; delayMs <= 24; delayMs += 3) {
      const inner = createMemoryRunStore();
      const store = new FaultyStore(inner, () => ({ delayMs: 4 }));
      const { orchestrator } = harness(createScriptedLlm({ latency: () => 1 }), { store });
      const started = await orchestrator.start({ tasks: [task('a')] });
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      let accepted = false;
      try {
        await orchestrator.addTasks(started.id, [task('late', ['a'])]);
        accepted = true;
      } catch (error) {
        expect(error).toMatchObject({ code: 'RUN_NOT_RUNNING' });
      }
      const run = await orchestrator.wait(started.id);
      const events = await inner.readEvents(started.id);
      const terminal = events.findIndex((event) => event.type === 'run.completed');
      expect(terminal).toBe(events.length - 1);
      if (accepted) expect(run.tasks.find((t) => t.id === 'late')?.state).toBe('completed');
      else expect(run.tasks.map((t) => t.id)).toEqual(['a']);
    }
  });

  it('refuses timers above 2^31 − 1 ms with a clear validation error instead of firing at once', async () => {
    const { orchestrator } = harness(createScriptedLlm());
    await expect(orchestrator.start({ tasks: [task('a')], policy: { timeoutMs: 2_592_000_000 } })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { field: 'policy.timeoutMs', max: 2_147_483_647 },
    });
    await expect(orchestrator.start({ tasks: [task('a')], policy: { taskTimeoutMs: 2_147_483_648 } })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { field: 'policy.taskTimeoutMs' },
    });
    const run = await orchestrator.wait((await orchestrator.start({ tasks: [task('a')], policy: { timeoutMs: 2_147_483_647, taskTimeoutMs: 2_147_483_647 } })).id);
    expect(run.state).toBe('completed');
  });

  it('start applies maxPendingTasks', async () => {
    const { orchestrator } = harness(createScriptedLlm(), { maxPendingTasks: 5 });
    const tasks = Array.from({ length: 20 }, (_, index) => task(`t${index}`));
    await expect(orchestrator.start({ tasks })).rejects.toMatchObject({ code: 'QUEUE_FULL', details: { capacity: 5 } });
    expect((await orchestrator.wait((await orchestrator.start({ tasks: tasks.slice(0, 5) })).id)).state).toBe('completed');
  });

  it('concurrent starts with one idempotency key get the same run (in one process and across two)', async () => {
    const store = createMemoryRunStore();
    const llm = createScriptedLlm({ latency: () => 1 });
    const first = harness(llm, { store, owner: 'one' });
    const second = harness(llm, { store, owner: 'two' });
    const spec = { tasks: [task('a')], idempotencyKey: 'same' };
    const runs = await Promise.all([first.orchestrator.start(spec), first.orchestrator.start(spec), second.orchestrator.start(spec)]);
    expect(new Set(runs.map((run) => run.id)).size).toBe(1);
    await expect(first.orchestrator.start({ ...spec, tasks: [task('b')] })).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
    expect((await first.orchestrator.wait(runs[0]?.id ?? asRunId('none'))).state).toBe('completed');
    expect(llm.calls.get('a')).toBe(1);
  });

  it('rejects lease options that cannot work', () => {
    expect(() => harness(createScriptedLlm(), { leaseTtlMs: 100, leaseRenewMs: 100 })).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    expect(() => harness(createScriptedLlm(), { leaseTtlMs: 0 })).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    expect(() => harness(createScriptedLlm(), { leaseTtlMs: 2 ** 31 })).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });
});
