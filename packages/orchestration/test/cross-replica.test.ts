/**
 * Two orchestrators (two owners, each with its own store instance, one shared ledger) on ONE
 * SQLite file and on ONE PostgreSQL schema, as two sidecar replicas: `abort`, `addTasks` and
 * `provideInput` asked of the replica that does not run a run reach its owner through the store's
 * request inbox; the owner applies them and answers with the view or the typed error; when the owner
 * dies while a request is pending, the asker takes the run over and applies it itself.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  asRunId,
  asTaskId,
  DagError,
  EMPTY_USAGE,
  InternalError,
  RunStateError,
  ValidationError,
  ZERO_MONEY,
  type AgentRunner,
  type Clock,
  type RunRequest,
  type ToolRegistry,
  type RunStore,
} from '@runtime/contracts';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_TIMER_DELAY_MS } from '../src/internal/deadline-timer.js';
import { createMemoryRunStore } from '../src/memory-run-store.js';
import { createSqliteRunStore } from '../src/sqlite-run-store.js';
import type { DurableOrchestrator, RunRequestNotifier } from '../src/orchestrator-options.js';
import { createScriptedLlm, type ScriptedLlm } from '../src/testing.js';
import { fakeLedger } from './support/fakes.js';
import { harness } from './support/setup.js';
import { openStore, storeBackends } from './support/store-location.js';

vi.setConfig({ testTimeout: 30_000 });

const folder = mkdtempSync(join(tmpdir(), 'runtime-cross-replica-'));
const backends = storeBackends(folder);
const opened: { orchestrators: DurableOrchestrator[]; stores: RunStore[] } = { orchestrators: [], stores: [] };

afterEach(async () => {
  for (const orchestrator of opened.orchestrators.splice(0)) await orchestrator.close();
  for (const store of opened.stores.splice(0)) await store.close();
});

afterAll(async () => {
  try {
    for (const backend of backends) await backend.cleanup();
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

/** A clock the test moves forward (lease expiry without waiting). */
function movableClock(): Clock & { advance: (ms: number) => void } {
  let offset = 0;
  return { now: () => Date.now() + offset, advance: (ms) => (offset += ms) };
}

const task = (id: string, deps: string[] = []) => ({ id, prompt: `do ${id}`, ...(deps.length === 0 ? {} : { deps }) });

interface Replicas {
  readonly first: DurableOrchestrator;
  readonly second: DurableOrchestrator;
  readonly firstLlm: ScriptedLlm;
  readonly secondLlm: ScriptedLlm;
  readonly firstStore: RunStore;
  /** The second replica's clock (the first one runs on real time). */
  readonly clock: ReturnType<typeof movableClock>;
  /** Requests the second replica posted. */
  readonly posted: RunRequest[];
}

interface ReplicaSettings {
  /** Latency of the first replica's model calls, so its runs stay running. @defaultValue 400 */
  readonly latencyMs?: number;
  readonly ttlMs?: number;
  /** The first replica never claims requests (a frozen owner: it runs, renews, never answers). */
  readonly frozenOwner?: boolean;
  /** The first replica's `inboxPollMs`. @defaultValue 20 */
  readonly ownerPollMs?: number;
  readonly requestTimeoutMs?: number;
  /** Agent tasks on both replicas: a loop that asks for an answer, then returns `city=<answer>`. */
  readonly agents?: boolean;
}

/** An agent loop of one step: asks its host for an answer and returns it. */
const askingRunner: AgentRunner = {
  async run(input) {
    const response = await input.host.awaitInput?.({ kind: 'answer', step: 1, prompt: 'Which city?' });
    return {
      output: `city=${response?.decision === 'answer' ? response.text : String(response?.decision)}`,
      steps: 1,
      toolCalls: 0,
      usage: EMPTY_USAGE,
      costUsd: 0,
      toolCostUsd: 0,
      messages: [],
    };
  },
};

const noTools: ToolRegistry = {
  register: () => undefined,
  get: (name) => {
    throw new ValidationError({ code: 'VALIDATION_FAILED', message: `no tool ${name}`, details: { name } });
  },
  has: () => false,
  list: () => [],
  check: () => undefined,
};

/** Two replicas on `location`. */
async function replicas(location: string, settings: ReplicaSettings = {}): Promise<Replicas> {
  const ledger = fakeLedger();
  const clock = movableClock();
  const firstStore = await openStore(location);
  const secondStore = await openStore(location);
  opened.stores.push(firstStore, secondStore);
  const posted: RunRequest[] = [];
  const post = secondStore.postRequest.bind(secondStore);
  secondStore.postRequest = async (request) => {
    await post(request);
    posted.push(request);
  };
  if (settings.frozenOwner === true) firstStore.claimRequests = () => Promise.resolve([]);
  const firstLlm = createScriptedLlm({ latency: () => settings.latencyMs ?? 400 });
  const secondLlm = createScriptedLlm({ latency: () => 5 });
  const common = {
    ledger,
    leaseTtlMs: settings.ttlMs ?? 10_000,
    onBackgroundError: () => undefined,
    requestPollMs: 20,
    inboxPollMs: 20,
    ...(settings.agents === true ? { agents: { runner: askingRunner, tools: noTools } } : {}),
  };
  const first = harness(firstLlm, {
    ...common,
    store: firstStore,
    owner: 'replica-1',
    ...(settings.ownerPollMs === undefined ? {} : { inboxPollMs: settings.ownerPollMs }),
  }).orchestrator;
  const second = harness(secondLlm, {
    ...common,
    store: secondStore,
    owner: 'replica-2',
    clock,
    ...(settings.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: settings.requestTimeoutMs }),
  }).orchestrator;
  opened.orchestrators.push(first, second);
  return { first, second, firstLlm, secondLlm, firstStore, clock, posted };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

for (const backend of backends) {
  describe(`cross-replica requests on ${backend.name}`, () => {
    it('abort through the replica that does not run the run: the owner journals the abort, the asker returns the aborted view', async () => {
      const { first, second, firstStore } = await replicas(backend.location('abort'));
      const started = await first.start({ tasks: [task('a'), task('b', ['a'])] });
      const aborted = await second.abort(started.id, 'from replica 2');
      expect(aborted).toMatchObject({ id: started.id, state: 'aborted' });
      const events = await firstStore.readEvents(started.id);
      expect(events.at(-1)).toMatchObject({ type: 'run.aborted' });
      // The owner wrote it: the lease was never taken over.
      expect((await firstStore.getRun(started.id))?.owner).toBe('replica-1');
      expect(await first.get(started.id)).toMatchObject({ state: 'aborted' });
    });

    it('addTasks through the other replica: the owner adds them and runs them', async () => {
      const { first, second, firstLlm, secondLlm } = await replicas(backend.location('add'), { latencyMs: 150 });
      const started = await first.start({ tasks: [task('a')] });
      const view = await second.addTasks(started.id, [task('c', ['a']), task('d')]);
      expect(view.tasks.map((item) => item.id)).toEqual(['a', 'c', 'd']);
      const done = await first.wait(started.id);
      expect(done.state).toBe('completed');
      expect(done.tasks.map((item) => [item.id, item.state])).toEqual([
        ['a', 'completed'],
        ['c', 'completed'],
        ['d', 'completed'],
      ]);
      expect(firstLlm.calls.get('c')).toBe(1);
      expect(firstLlm.calls.get('d')).toBe(1);
      expect(secondLlm.calls.size).toBe(0);
    });

    it("the owner's errors come back typed: an unknown dependency, a duplicate task, an unknown task's input, a closed run", async () => {
      const { first, second } = await replicas(backend.location('errors'));
      const started = await first.start({ tasks: [task('a'), task('b', ['a'])] });
      const unknown = await rejection(second.addTasks(started.id, [task('x', ['missing'])]));
      expect(unknown).toBeInstanceOf(DagError);
      expect(unknown).toMatchObject({ code: 'UNKNOWN_DEPENDENCY' });
      const duplicate = await rejection(second.addTasks(started.id, [task('a')]));
      expect(duplicate).toMatchObject({ code: 'DUPLICATE_TASK_ID' });
      const input = await rejection(second.provideInput(started.id, asTaskId('nope'), { decision: 'approve' }));
      expect(input).toBeInstanceOf(ValidationError);
      expect(input).toMatchObject({ code: 'VALIDATION_FAILED', details: { runId: started.id, task: 'nope' } });
      await first.abort(started.id);
      const closed = await rejection(second.addTasks(started.id, [task('late')]));
      expect(closed).toBeInstanceOf(RunStateError);
      expect(closed).toMatchObject({ code: 'RUN_NOT_RUNNING' });
      await expect(second.abort(asRunId('missing-run'))).rejects.toMatchObject({ code: 'RUN_NOT_FOUND' });
    });

    it('the owner freezes (never answers) while addTasks is pending: once its lease expires the asker takes the run over and applies it', async () => {
      const { first, second, firstStore, clock, posted } = await replicas(backend.location('dead'), { latencyMs: 300, ttlMs: 2_000, frozenOwner: true });
      const started = await first.start({ tasks: [task('a'), task('b', ['a'])] });
      const pending = second.addTasks(started.id, [task('late')]);
      await vi.waitFor(() => expect(posted).toHaveLength(1), { timeout: 5_000 });
      clock.advance(5_000);
      const view = await pending;
      expect(view.tasks.map((item) => item.id)).toEqual(['a', 'b', 'late']);
      expect((await firstStore.getRun(started.id))?.owner).toBe('replica-2');
      expect((await firstStore.getRequest(started.id, posted[0]?.id ?? ''))?.outcome).toEqual({ status: 'withdrawn' });
      const done = await second.wait(started.id);
      expect(done.state).toBe('completed');
      expect(done.tasks.map((item) => item.state)).toEqual(['completed', 'completed', 'completed']);
    });

    it('an abort pending when the owner freezes is applied by the asker after the take-over', async () => {
      const { first, second, firstStore, clock, posted } = await replicas(backend.location('dead-abort'), { latencyMs: 300, ttlMs: 2_000, frozenOwner: true });
      const started = await first.start({ tasks: [task('a'), task('b', ['a'])] });
      const pending = second.abort(started.id, 'owner gone');
      await vi.waitFor(() => expect(posted).toHaveLength(1), { timeout: 5_000 });
      clock.advance(5_000);
      expect(await pending).toMatchObject({ state: 'aborted' });
      expect((await firstStore.getRun(started.id))?.owner).toBe('replica-2');
      expect((await firstStore.readEvents(started.id)).at(-1)).toMatchObject({ type: 'run.aborted' });
    });

    it('provideInput through the other replica answers the waiting agent task on its owner', async () => {
      const { first, second, firstStore } = await replicas(backend.location('input'), { agents: true });
      const started = await first.start({ tasks: [{ id: 'ask', prompt: 'Where?', agent: { tools: [] } }] });
      await vi.waitFor(async () => expect((await firstStore.getTasks(started.id))[0]?.state).toBe('waiting'), { timeout: 5_000 });
      const answered = await second.provideInput(started.id, asTaskId('ask'), { decision: 'answer', text: 'Paris' });
      expect(answered).toMatchObject({ id: 'ask' });
      const done = await first.wait(started.id);
      expect(done.state).toBe('completed');
      expect(done.tasks[0]?.output).toBe('city=Paris');
      expect((await firstStore.getRun(started.id))?.owner).toBe('replica-1');
    });

    if (backend.name === 'PostgreSQL') {
      it('LISTEN/NOTIFY wakes the owner at once: answered although the owner polls its inbox only every 24 days', async () => {
        const { first, second } = await replicas(backend.location('notify'), { latencyMs: 1_500, ownerPollMs: MAX_TIMER_DELAY_MS, requestTimeoutMs: 5_000 });
        const started = await first.start({ tasks: [task('a'), task('b', ['a'])] });
        const before = Date.now();
        const view = await second.addTasks(started.id, [task('c')]);
        expect(view.tasks.map((item) => item.id)).toEqual(['a', 'b', 'c']);
        expect(Date.now() - before).toBeLessThan(2_000);
      });
    }

    it('gives up with RUN_OWNED (details name the owner and the request) when a live owner never answers', async () => {
      const { first, second } = await replicas(backend.location('silent'), { latencyMs: 300, ttlMs: 60_000, frozenOwner: true, requestTimeoutMs: 400 });
      const started = await first.start({ tasks: [task('a'), task('b', ['a'])] });
      const failure = await rejection(second.abort(started.id));
      expect(failure).toBeInstanceOf(RunStateError);
      expect(failure).toMatchObject({ code: 'RUN_OWNED', details: { runId: started.id, owner: 'replica-1' } });
      expect((failure as RunStateError).details.requestId).toEqual(expect.any(String));
      expect(await first.get(started.id)).toMatchObject({ state: 'running' });
    });
  });
}


describe('cross-replica requests on the memory store', () => {
  it('a lease whose owner does not run the run (answered LEASE_LOST) is asked again, then taken over once it expired', async () => {
    const store = createMemoryRunStore();
    const ledger = fakeLedger();
    const common = { store, ledger, onBackgroundError: () => undefined, requestPollMs: 10, inboxPollMs: 10 };
    const owner = harness(createScriptedLlm({ latency: () => 2_000 }), { ...common, owner: 'replica-1' }).orchestrator;
    const asker = harness(createScriptedLlm({ latency: () => 1 }), { ...common, owner: 'replica-2' }).orchestrator;
    opened.orchestrators.push(owner, asker);
    // replica-1 runs one run (so it polls its inbox) and holds the lease of another it does not run.
    await owner.start({ tasks: [task('busy')] });
    const runId = asRunId('stale-lease');
    const now = new Date().toISOString();
    await store.createRun(
      { id: runId, tenant: 'default', spec: { tasks: [task('a')] }, state: 'running', createdAt: now, updatedAt: now, lastSeq: 0, owner: 'replica-1', lease: { owner: 'replica-1', epoch: 1, expiresAt: Date.now() + 400 } },
      [{ runId, id: asTaskId('a'), index: 0, spec: task('a'), state: 'pending', model: 'balanced', attempts: 0, usage: EMPTY_USAGE, cost: ZERO_MONEY }],
    );
    const answers: string[] = [];
    const answer = store.answerRequest.bind(store);
    store.answerRequest = (id, requestId, outcome) => {
      answers.push(outcome.status === 'error' ? outcome.error.code : outcome.status);
      return answer(id, requestId, outcome);
    };
    const aborted = await asker.abort(runId, 'stale');
    expect(aborted).toMatchObject({ id: runId, state: 'aborted' });
    expect(answers.length).toBeGreaterThan(0);
    expect(new Set(answers)).toEqual(new Set(['LEASE_LOST']));
    expect((await store.getRun(runId))?.owner).toBe('replica-2');
  });

  it('a request subscription that failed (watchRequests rejected) is tried again when the next run starts', async () => {
    const store = createMemoryRunStore() as RunStore & RunRequestNotifier;
    const watches: string[] = [];
    let stopped = 0;
    store.watchRequests = (owner) => {
      watches.push(owner);
      if (watches.length === 1) return Promise.reject(new InternalError({ code: 'STORE_ERROR', message: 'too many connections', details: {}, isRetryable: true }));
      return Promise.resolve(() => {
        stopped += 1;
        return Promise.resolve();
      });
    };
    const reported: unknown[] = [];
    const { orchestrator } = harness(createScriptedLlm({ latency: () => 1 }), { store, owner: 'replica-1', onBackgroundError: (error) => reported.push(error) });
    opened.orchestrators.push(orchestrator);
    await orchestrator.wait((await orchestrator.start({ tasks: [task('a')] })).id);
    expect(reported).toHaveLength(1);
    await orchestrator.wait((await orchestrator.start({ tasks: [task('b')] })).id);
    expect(watches).toEqual(['replica-1', 'replica-1']);
    await orchestrator.close();
    expect(stopped).toBe(1);
  });

  it('an asker keeps its process alive while it waits for the answer (a CLI aborting a run another process holds)', async () => {
    const db = join(folder, 'ask-child.db');
    const store = createSqliteRunStore({ path: db });
    opened.stores.push(store);
    const runId = asRunId('held-elsewhere');
    const now = new Date().toISOString();
    // Held by an owner that never answers; its lease expires 1.5 s from now, then the asker takes over.
    await store.createRun(
      { id: runId, tenant: 'default', spec: { tasks: [task('a')] }, state: 'running', createdAt: now, updatedAt: now, lastSeq: 0, owner: 'ghost', lease: { owner: 'ghost', epoch: 1, expiresAt: Date.now() + 1_500 } },
      [{ runId, id: asTaskId('a'), index: 0, spec: task('a'), state: 'pending', model: 'balanced', attempts: 0, usage: EMPTY_USAGE, cost: ZERO_MONEY }],
    );
    const child = fileURLToPath(new URL('./support/ask-child.ts', import.meta.url));
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolveExit, reject) => {
      const process_ = spawn(process.execPath, ['--import', 'tsx', '--conditions=@runtime/source', child, db, runId], {
        cwd: fileURLToPath(new URL('../../..', import.meta.url)),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let text = '';
      process_.stdout.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
      process_.stderr.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
      process_.on('error', reject);
      process_.on('exit', (exitCode) => resolveExit({ code: exitCode, output: text }));
    });
    expect({ output, code }).toEqual({ output: 'aborted aborted\n', code: 0 });
  });
});
