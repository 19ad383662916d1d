import { asRunId, type Clock, type Dag, type RuntimeEvent, type TaskSpec } from '@runtime/contracts';
import { createMemoryRunStore } from './memory-run-store.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createScriptedLlm, providerError } from './testing.js';
import { FaultyStore } from '../test/support/faulty-store.js';
import { harness } from '../test/support/setup.js';

/** A clock a minute ahead: the leases of runs started with the real clock have expired by it. */
const aheadClock: Clock = { now: () => Date.now() + 60_000 };

const task = (id: string, deps: string[] = [], extra: Partial<TaskSpec> = {}): TaskSpec => ({ id, prompt: `do ${id}`, deps, ...extra }) as TaskSpec;

async function collect(iterable: AsyncIterable<RuntimeEvent>): Promise<RuntimeEvent[]> {
  const events: RuntimeEvent[] = [];
  for await (const event of iterable) events.push(event);
  return events;
}

describe('createOrchestrator', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs a diamond, routing each dependency output once, with exact cost and a consistent event log', async () => {
    const llm = createScriptedLlm();
    const { orchestrator, ledger } = harness(llm);
    const started = await orchestrator.start({ tasks: [task('a'), task('b', ['a']), task('c', ['a']), task('d', ['b', 'c'])] });
    expect(started.state).toBe('running');
    const run = await orchestrator.wait(started.id);
    expect(run.state).toBe('completed');
    expect(run.tasks.map((t) => [t.id, t.state, t.attempts])).toEqual([
      ['a', 'completed', 1],
      ['b', 'completed', 1],
      ['c', 'completed', 1],
      ['d', 'completed', 1],
    ]);
    const dRequest = llm.requests.find((request) => request.messages.some((m) => m.content === 'do d'));
    const routed = dRequest?.messages.filter((m) => m.content.startsWith('[output of')) ?? [];
    expect(routed.map((m) => m.content)).toEqual(['[output of b]\noutput of b', '[output of c]\noutput of c']);
    // usage of a task is (10 + id length) in, 5 out → 11·1e9 + 5·2e9 femto = 2.1e-5 USD
    expect(run.usage.costUsd).toBeCloseTo(4 * 0.000021, 12);
    const snapshot = await ledger.snapshot(`run:${run.id}`);
    expect(snapshot.reserved).toBe(0n);
    expect(snapshot.spent).toBe(84_000_000_000n);
    const events = await collect(orchestrator.events(run.id));
    expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
    expect(events[0]?.type).toBe('run.started');
    expect(events.at(-1)?.type).toBe('run.completed');
    const types = events.filter((event) => 'taskId' in event && event.taskId === 'd').map((event) => event.type);
    expect(types).toEqual(['task.ready', 'task.started', 'budget.reserved', 'budget.settled', 'task.completed']);
    const replayed = await collect(orchestrator.events(run.id, 5));
    expect(replayed[0]?.seq).toBe(6);
  });

  it('resolves the model from model, tier, then default, and caps output by the default', async () => {
    const llm = createScriptedLlm();
    const { orchestrator } = harness(llm, { defaultMaxOutputTokens: 256 });
    const run = await orchestrator.wait(
      (await orchestrator.start({ tasks: [task('a', [], { model: 'flagship' }), task('b', [], { tier: 2 }), task('c'), task('d', [], { maxOutputTokens: 700 })] }))
        .id,
    );
    expect(run.tasks.map((t) => t.model)).toEqual(['flagship', 'balanced', 'fast', 'fast']);
    expect(llm.requests.map((r) => r.maxOutputTokens).sort()).toEqual([256, 256, 256, 700]);
  });

  it('rejects bad input before anything is journaled', async () => {
    const { orchestrator, store } = harness(createScriptedLlm());
    await expect(orchestrator.start({ tasks: [] })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(orchestrator.start({ tasks: [task('a', ['a'])] })).rejects.toMatchObject({ code: 'DAG_CYCLE' });
    await expect(orchestrator.start({ tasks: [task('a', [], { model: 'nope' })] })).rejects.toMatchObject({ code: 'UNKNOWN_MODEL' });
    await expect(orchestrator.start({ tasks: [task('a')], policy: { maxParallelism: 0 } })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(orchestrator.start({ tasks: [task('a')], policy: { budgetUsd: 1e-12 } })).rejects.toMatchObject({ code: 'BUDGET_EXCEEDED' });
    expect((await store.listRuns({ tenant: 'default' })).items).toEqual([]);
  });

  it('failFast: aborts in-flight calls, fails the run with the task error, skips the rest', async () => {
    const llm = createScriptedLlm({
      latency: (id) => (id === 'bad' ? 5 : 2_000),
      fail: (id) => (id === 'bad' ? providerError(400) : undefined),
    });
    const { orchestrator, ledger } = harness(llm);
    const started = await orchestrator.start({ tasks: [task('bad'), task('slow'), task('after', ['slow']), task('other', ['bad'])], policy: { maxParallelism: 2 } });
    const run = await orchestrator.wait(started.id);
    expect(run.state).toBe('failed');
    expect(run.error).toMatchObject({ code: 'PROVIDER_ERROR', details: { status: 400 } });
    const states = Object.fromEntries(run.tasks.map((t) => [t.id, [t.state, t.error?.code]]));
    expect(states).toEqual({
      bad: ['failed', 'PROVIDER_ERROR'],
      slow: ['failed', 'RUN_ABORTED'],
      after: ['skipped', undefined],
      other: ['skipped', undefined],
    });
    expect(llm.aborted).toEqual(['slow']);
    expect(ledger.open()).toBe(0);
  });

  it('continue: runs every branch not downstream of the failure', async () => {
    const llm = createScriptedLlm({ fail: (id) => (id === 'bad' ? providerError(400) : undefined) });
    const { orchestrator } = harness(llm);
    const started = await orchestrator.start({
      tasks: [task('bad'), task('down', ['bad']), task('ok'), task('ok2', ['ok'])],
      policy: { failurePolicy: 'continue' },
    });
    const run = await orchestrator.wait(started.id);
    expect(run.state).toBe('failed');
    expect(run.tasks.map((t) => t.state)).toEqual(['failed', 'skipped', 'completed', 'completed']);
    const events = await collect(orchestrator.events(run.id));
    expect(events.find((event) => event.type === 'task.skipped')).toMatchObject({ taskId: 'down', reason: 'dependencyFailed', dependency: 'bad' });
  });

  it('abort: running tasks fail RUN_ABORTED, others are skipped; idempotent', async () => {
    const llm = createScriptedLlm({ latency: () => 10_000 });
    const { orchestrator, ledger } = harness(llm);
    const started = await orchestrator.start({ tasks: [task('a'), task('b', ['a'])] });
    await vi.waitFor(() => expect(llm.calls.get('a')).toBe(1));
    const [first, second] = await Promise.all([orchestrator.abort(started.id, 'user'), orchestrator.abort(started.id)]);
    expect(first.state).toBe('aborted');
    expect(second.state).toBe('aborted');
    expect(first.tasks.map((t) => [t.state, t.error?.code])).toEqual([
      ['failed', 'RUN_ABORTED'],
      ['skipped', undefined],
    ]);
    expect((await orchestrator.abort(started.id)).state).toBe('aborted');
    expect(ledger.open()).toBe(0);
    const events = await collect(orchestrator.events(started.id));
    expect(events.at(-1)).toMatchObject({ type: 'run.aborted', reason: 'user' });
  });

  it('task timeout: the call is aborted and the task fails TASK_TIMEOUT', async () => {
    vi.useFakeTimers();
    const llm = createScriptedLlm({ latency: (id) => (id === 'slow' ? 60_000 : 1) });
    const { orchestrator } = harness(llm);
    const started = await orchestrator.start({ tasks: [task('slow'), task('quick')], policy: { taskTimeoutMs: 100, failurePolicy: 'continue' } });
    const done = orchestrator.wait(started.id);
    await vi.advanceTimersByTimeAsync(150);
    const run = await done;
    expect(run.tasks.map((t) => [t.id, t.state, t.error?.code])).toEqual([
      ['slow', 'failed', 'TASK_TIMEOUT'],
      ['quick', 'completed', undefined],
    ]);
    expect(llm.aborted).toEqual(['slow']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('run timeout: in-flight calls abort, the run fails RUN_TIMEOUT', async () => {
    vi.useFakeTimers();
    const llm = createScriptedLlm({ latency: () => 60_000 });
    const { orchestrator, ledger } = harness(llm);
    const started = await orchestrator.start({ tasks: [task('a'), task('b', ['a'])], policy: { timeoutMs: 500 } });
    const done = orchestrator.wait(started.id);
    await vi.advanceTimersByTimeAsync(500);
    const run = await done;
    expect(run.state).toBe('failed');
    expect(run.error).toMatchObject({ code: 'RUN_TIMEOUT', details: { timeoutMs: 500 } });
    expect(run.tasks.map((t) => [t.state, t.error?.code])).toEqual([
      ['failed', 'RUN_TIMEOUT'],
      ['skipped', undefined],
    ]);
    expect(ledger.open()).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('budget refusal mid-run: run fails BUDGET_EXCEEDED, spent ≤ limit, no reservation left', async () => {
    const llm = createScriptedLlm();
    const { orchestrator, ledger } = harness(llm, { defaultMaxOutputTokens: 100 });
    // worst case per task ≈ (≈10 in ·1e9 + 100 out ·2e9) femto ≈ 2.1e-4 USD; actual ≈ 2.1e-5.
    const tasks = Array.from({ length: 20 }, (_, index) => task(`t${String(index).padStart(2, '0')}`, index === 0 ? [] : [`t${String(index - 1).padStart(2, '0')}`]));
    const started = await orchestrator.start({ tasks, policy: { budgetUsd: 0.0003 } });
    const run = await orchestrator.wait(started.id);
    expect(run.state).toBe('failed');
    expect(run.error?.code).toBe('BUDGET_EXCEEDED');
    const snapshot = await ledger.snapshot(`run:${run.id}`);
    expect(snapshot.reserved).toBe(0n);
    expect(snapshot.spent <= (snapshot.limit ?? 0n)).toBe(true);
    expect(run.budget?.spentUsd).toBeLessThanOrEqual(0.0003);
    const events = await collect(orchestrator.events(run.id));
    const exceeded = events.find((event) => event.type === 'budget.exceeded');
    expect(exceeded).toMatchObject({ scope: `run:${run.id}`, limitUsd: 0.0003 });
    expect(run.tasks.filter((t) => t.state === 'completed').length).toBeGreaterThan(0);
    expect(run.tasks.some((t) => t.state === 'skipped')).toBe(true);
  });

  it('charges parent scopes too, and refuses when a parent scope is exhausted', async () => {
    const llm = createScriptedLlm();
    const { orchestrator, ledger } = harness(llm);
    await ledger.setLimit('tenant:acme', 0n as never);
    const started = await orchestrator.start({ tasks: [task('a')] }, { parentScopes: ['tenant:acme'], tenant: 'acme' });
    const run = await orchestrator.wait(started.id);
    expect(run.error).toMatchObject({ code: 'BUDGET_EXCEEDED', details: { scope: 'tenant:acme' } });
  });

  it('adds tasks to a running run, including deps on completed tasks; rejects when not running', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const llm = createScriptedLlm({ latency: (id) => (id === 'hold' ? 50 : 0) });
    const { orchestrator } = harness(llm, { maxPendingTasks: 3 });
    const started = await orchestrator.start({ tasks: [task('a'), task('hold')], policy: { maxParallelism: 2 } });
    await vi.waitFor(() => expect(llm.calls.get('a')).toBe(1));
    await vi.waitFor(async () => expect((await orchestrator.get(started.id))?.tasks[0]?.state).toBe('completed'));
    const grown = await orchestrator.addTasks(started.id, [task('c', ['a']), task('d', ['c', 'hold'])]);
    expect(grown.tasks.map((t) => t.id)).toEqual(['a', 'hold', 'c', 'd']);
    await expect(orchestrator.addTasks(started.id, [task('e'), task('f')])).rejects.toMatchObject({ code: 'QUEUE_FULL', details: { capacity: 3 } });
    await expect(orchestrator.addTasks(started.id, [task('a')])).rejects.toMatchObject({ code: 'DUPLICATE_TASK_ID' });
    release();
    await gate;
    const run = await orchestrator.wait(started.id);
    expect(run.state).toBe('completed');
    expect(run.tasks.every((t) => t.state === 'completed')).toBe(true);
    await expect(orchestrator.addTasks(started.id, [task('late')])).rejects.toMatchObject({ code: 'RUN_NOT_RUNNING' });
    await expect(orchestrator.addTasks(asRunId('missing'), [task('x')])).rejects.toMatchObject({ code: 'RUN_NOT_FOUND' });
  });

  it('detects a deadlock instead of hanging', async () => {
    const cyclic: Dag = {
      nodes: new Map([
        ['a' as never, { id: 'a' as never, deps: ['b' as never], dependents: ['b' as never], criticalPath: 1 }],
        ['b' as never, { id: 'b' as never, deps: ['a' as never], dependents: ['a' as never], criticalPath: 1 }],
      ]),
      order: ['a' as never, 'b' as never],
      roots: [],
    };
    const { orchestrator } = harness(createScriptedLlm(), { resolver: { resolve: () => cyclic } });
    const started = await orchestrator.start({ tasks: [task('a'), task('b')] });
    const run = await orchestrator.wait(started.id);
    expect(run.state).toBe('failed');
    expect(run.error).toMatchObject({ code: 'DEADLOCK', details: { pending: ['a', 'b'] } });
  });

  it('journals task.retrying from the client and counts its attempts', async () => {
    const llm = createScriptedLlm();
    const complete = llm.complete.bind(llm);
    const retrying = {
      ...llm,
      provider: 'retrying',
      complete: async (request: Parameters<typeof llm.complete>[0], options: Parameters<typeof llm.complete>[1] = {}) => {
        options.onRetry?.({ attempt: 1, delayMs: 10, error: { code: 'PROVIDER_ERROR', message: '503', details: {} } });
        const result = await complete(request, options);
        return { ...result, attempts: 2 };
      },
    };
    const { orchestrator } = harness(retrying);
    const run = await orchestrator.wait((await orchestrator.start({ tasks: [task('a')] })).id);
    expect(run.tasks[0]?.attempts).toBe(2);
    const events = await collect(orchestrator.events(run.id));
    expect(events.find((event) => event.type === 'task.retrying')).toMatchObject({ attempt: 1, delayMs: 10 });
    expect(events.find((event) => event.type === 'task.completed')).toMatchObject({ attempt: 2 });
  });

  it('waits out RATE_LIMITED and fails a task on POLICY_VIOLATION', async () => {
    let checks = 0;
    const policy = {
      check: (input: { taskId?: string }) => {
        checks += 1;
        if (input.taskId === 'banned') {
          return Promise.resolve({ decision: 'POLICY_VIOLATION' as const, rule: 'modelAllowlist' as const, limit: 'x', observed: 'y', message: 'no' });
        }
        if (checks === 1) {
          return Promise.resolve({ decision: 'RATE_LIMITED' as const, rule: 'rpm' as const, limit: 1, observed: 1, retryAfterMs: 5, message: 'slow' });
        }
        return Promise.resolve({ decision: 'CONTINUE' as const });
      },
      settle: () => Promise.resolve(),
    };
    const { orchestrator } = harness(createScriptedLlm(), { policy });
    const run = await orchestrator.wait(
      (await orchestrator.start({ tasks: [task('ok'), task('banned', ['ok'])], policy: { failurePolicy: 'continue' } })).id,
    );
    expect(run.tasks.map((t) => [t.state, t.error?.code])).toEqual([
      ['completed', undefined],
      ['failed', 'POLICY_VIOLATION'],
    ]);
    expect(run.tasks[1]?.error?.details).toMatchObject({ rule: 'modelAllowlist' });
  });

  it('returns the existing run for a repeated idempotency key, and conflicts on a different body', async () => {
    const { orchestrator } = harness(createScriptedLlm());
    const first = await orchestrator.start({ tasks: [task('a')], idempotencyKey: 'k1' });
    const again = await orchestrator.start({ tasks: [task('a')], idempotencyKey: 'k1' });
    expect(again.id).toBe(first.id);
    await expect(orchestrator.start({ tasks: [task('b')], idempotencyKey: 'k1' })).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
    await expect(orchestrator.start({ tasks: [task('b')] }, { runId: first.id })).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONFLICT', details: { runId: first.id } });
  });

  it('streams live events to subscribers and iterators in seq order, ending after the terminal event', async () => {
    const llm = createScriptedLlm({ latency: () => 5 });
    const { orchestrator } = harness(llm);
    const started = await orchestrator.start({ tasks: [task('a'), task('b', ['a'])] });
    const seen: number[] = [];
    const unsubscribe = orchestrator.subscribe(started.id, (event) => seen.push(event.seq));
    const streamed = await collect(orchestrator.events(started.id));
    unsubscribe();
    expect(streamed.at(-1)?.type).toBe('run.completed');
    expect(seen).toEqual(streamed.slice(streamed.length - seen.length).map((event) => event.seq));
  });

  it('resumes a run whose owner died: completed tasks are kept, in-flight ones retried, reservations released', async () => {
    // The first process 'dies' with b in flight: its call never answers and it writes nothing more.
    const hanging = createScriptedLlm({ latency: (id) => (id === 'a' ? 0 : Number.POSITIVE_INFINITY) });
    const first = harness(hanging, { owner: 'dead-process' });
    const started = await first.orchestrator.start({ tasks: [task('a'), task('b', ['a']), task('c', ['b'])], policy: { budgetUsd: 1 } });
    await vi.waitFor(() => expect(hanging.calls.get('b')).toBe(1));
    // A new process (new orchestrator and a fresh ledger) takes over the same store.
    const llm = createScriptedLlm();
    // Its lease has expired by the successor's clock.
    const second = harness(llm, { store: first.store, owner: 'successor', clock: aheadClock });
    const resumed = await second.orchestrator.resume(started.id);
    expect(resumed.state).toBe('running');
    const run = await second.orchestrator.wait(started.id);
    expect(run.state).toBe('completed');
    expect(llm.calls.get('a')).toBeUndefined();
    expect([...llm.calls.keys()].sort()).toEqual(['b', 'c']);
    expect(run.tasks.find((t) => t.id === 'b')?.attempts).toBe(2);
    const snapshot = await second.ledger.snapshot(`run:${run.id}`);
    expect(snapshot.spent).toBe(3n * 21_000_000_000n);
    expect(snapshot.reserved).toBe(0n);
    await expect(second.orchestrator.resume(asRunId('missing'))).rejects.toMatchObject({ code: 'RUN_NOT_FOUND' });
    await first.orchestrator.close();
  });

  it('takes over a dead owner\'s run once, even when resumed concurrently, and lets wait follow it', async () => {
    const hanging = createScriptedLlm({ latency: (id) => (id === 'a' ? 0 : Number.POSITIVE_INFINITY) });
    const first = harness(hanging, { owner: 'dead' });
    const started = await first.orchestrator.start({ tasks: [task('a'), task('b', ['a'])] });
    await vi.waitFor(() => expect(hanging.calls.get('b')).toBe(1));
    const llm = createScriptedLlm({ latency: () => 20 });
    const observer = harness(createScriptedLlm(), { store: first.store, owner: 'observer', waitPollMs: 5 });
    const successor = harness(llm, { store: first.store, owner: 'successor', clock: aheadClock });
    const waited = observer.orchestrator.wait(started.id);
    await Promise.all([successor.orchestrator.resume(started.id), successor.orchestrator.resume(started.id)]);
    expect((await waited).state).toBe('completed');
    expect(llm.calls.get('b')).toBe(1);
    await first.orchestrator.close();
  });

  it('aborts a run whose owner died without restarting it: unfinished tasks are skipped', async () => {
    const hanging = createScriptedLlm({ latency: (id) => (id === 'a' ? 0 : Number.POSITIVE_INFINITY) });
    const first = harness(hanging, { owner: 'dead' });
    const started = await first.orchestrator.start({ tasks: [task('a'), task('b', ['a']), task('c', ['b'])] });
    await vi.waitFor(() => expect(hanging.calls.get('b')).toBe(1));
    const llm = createScriptedLlm();
    const successor = harness(llm, { store: first.store, owner: 'successor', clock: aheadClock });
    const run = await successor.orchestrator.abort(started.id, 'cleanup');
    expect(run.state).toBe('aborted');
    expect(run.tasks.map((t) => t.state)).toEqual(['completed', 'skipped', 'skipped']);
    expect(llm.calls.size).toBe(0);
    await first.orchestrator.close();
  });

  it('abort while a task waits for budget cancels the calls in flight and skips the waiting task', async () => {
    const llm = createScriptedLlm({ latency: (id) => (id === 'long' ? Number.POSITIVE_INFINITY : 0) });
    const { orchestrator, ledger } = harness(llm, { defaultMaxOutputTokens: 100 });
    // Worst cases ≈ 2.08e-4 (long), 2.07e-4 (a), 2.17e-4 (b); a costs 2.1e-5: long + a fit, long + a + b do
    // not, but b fits beside the spend alone: it waits for long's reservation (budget-aware admission).
    const started = await orchestrator.start({ tasks: [task('long'), task('a'), task('b', ['a'])], policy: { budgetUsd: 0.00043, maxParallelism: 2 } });
    await vi.waitFor(async () => expect((await orchestrator.get(started.id))?.tasks[2]?.state).toBe('waiting'));
    expect((await orchestrator.get(started.id))?.tasks[2]?.waiting?.reason).toBe('budget');
    const run = await orchestrator.abort(started.id);
    expect(run.state).toBe('aborted');
    expect(run.tasks.map((t) => [t.id, t.state, t.error?.code])).toEqual([
      ['long', 'failed', 'RUN_ABORTED'],
      ['a', 'completed', undefined],
      ['b', 'skipped', undefined],
    ]);
    expect(llm.aborted).toEqual(['long']);
    expect(llm.calls.get('b')).toBeUndefined();
    expect(ledger.open()).toBe(0);
  });

  it('adds the run-memory entries a task names to its context', async () => {
    const entries = new Map([['style', { key: 'style', value: 'Be brief.', updatedAt: 0 }]]);
    const memory = {
      get: (_runId: string, key: string) => Promise.resolve(entries.get(key)),
      set: () => Promise.reject(new Error('not used')),
      delete: () => Promise.resolve(false),
      list: () => Promise.resolve([...entries.values()]),
      clear: () => Promise.resolve(),
    };
    const llm = createScriptedLlm();
    const store = createMemoryRunStore();
    const { orchestrator } = harness(llm, { memory, store });
    const run = await orchestrator.wait((await orchestrator.start({ tasks: [task('a', [], { memory: ['style', 'missing', 'gone'] }), task('b')] })).id);
    // A requested key the store does not have is visible (journaled), never skipped silently.
    const missing = (await store.readEvents(run.id)).filter((event) => event.type === 'task.memory_missing');
    expect(missing).toEqual([expect.objectContaining({ type: 'task.memory_missing', taskId: 'a', keys: ['missing', 'gone'] })]);
    const withMemory = llm.requests.find((request) => request.messages.some((m) => m.content === 'do a'));
    expect(withMemory?.messages.map((m) => m.content)).toContain('[memory style] Be brief.');
    const without = llm.requests.find((request) => request.messages.some((m) => m.content === 'do b'));
    expect(without?.messages.some((m) => m.content.startsWith('[memory'))).toBe(false);
  });

  it('releases the reservation of a failed call and journals budget.released before task.failed', async () => {
    const llm = createScriptedLlm({ fail: () => providerError(500) });
    const { orchestrator, ledger } = harness(llm);
    const run = await orchestrator.wait((await orchestrator.start({ tasks: [task('a')] })).id);
    const types = (await collect(orchestrator.events(run.id))).map((event) => event.type);
    expect(types).toEqual(['run.started', 'task.ready', 'task.started', 'budget.reserved', 'budget.released', 'task.failed', 'run.failed']);
    expect(ledger.open()).toBe(0);
    expect((await ledger.snapshot(`run:${run.id}`)).spent).toBe(0n);
  });

  it('rejects wait with STORE_ERROR when the journal cannot be written, leaving the run resumable', async () => {
    const inner = createMemoryRunStore();
    const store = new FaultyStore(inner, (index) => (index > 1 ? 'terminal' : 'ok'));
    const reported: unknown[] = [];
    const { orchestrator } = harness(createScriptedLlm(), { store, onBackgroundError: (error) => reported.push(error) });
    const started = await orchestrator.start({ tasks: [task('a'), task('b', ['a'])] });
    await expect(orchestrator.wait(started.id)).rejects.toMatchObject({ code: 'STORE_ERROR' });
    expect((await inner.getRun(started.id))?.state).toBe('running');
    await vi.waitFor(() => expect(reported).toContainEqual(expect.objectContaining({ code: 'STORE_ERROR' })));
    await orchestrator.close();
  });
});
