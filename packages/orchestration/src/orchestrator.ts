/**
 * The run loop: validates and journals runs, then drives each one to a terminal state.
 *
 * @remarks
 * One task's path: build context → compact → estimate → policy (wait out `RATE_LIMITED`) →
 * reserve the worst case in `[...parentScopes, run:<id>]` → call the model with a signal that
 * aborts on task timeout, run timeout, failFast or abort → settle the actual cost (or release) →
 * route the output to dependents → journal → events. Every transition is written to the
 * {@link @runtime/contracts#RunStore} before it has an effect outside (an event, a dependent starting, a call).
 * Not responsible for retries (the resilient LlmClient does them and reports each through
 * `onRetry`), pricing, token counting or compaction (its collaborators do).
 */
import { createHash, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import {
  BudgetError,
  EMPTY_USAGE,
  ExecutionError,
  RunStateError,
  TERMINAL_EVENT_TYPES,
  TERMINAL_RUN_STATES,
  asRunId,
  asTaskId,
  moneyToUsd,
  systemClock,
  usd,
  ZERO_MONEY,
  type Dag,
  type Money,
  type Orchestrator,
  type Run,
  type RunId,
  type RunRecord,
  type RunSpec,
  type RuntimeEvent,
  type RuntimeEventInput,
  type StartRunOptions,
  type TaskRecord,
  type TaskSpec,
} from '@runtime/contracts';
import { createDependencyResolver } from './dependency-resolver.js';
import { replayEvents } from './internal/event-stream.js';
import { restoreLedger } from './internal/resume-ledger.js';
import { RunJournal } from './internal/run-journal.js';
import { RunLoop, runScope } from './internal/run-loop.js';
import { checkRunSpec, planTask } from './internal/spec-checks.js';
import { runtimeFromRecord, taskRecord, type TaskRuntime } from './internal/task-runtime.js';
import { runView } from './internal/views.js';
import type { OrchestratorOptions } from './orchestrator-options.js';
import { DagScheduler } from './scheduler.js';

function defaultOwner(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

function warn(error: unknown): void {
  process.emitWarning(`@runtime/orchestration: ${error instanceof Error ? error.message : String(error)}`);
}

class RunOrchestrator implements Orchestrator {
  readonly #options: OrchestratorOptions;
  readonly #owner: string;
  readonly #resolver;
  readonly #clock;
  readonly #active = new Map<RunId, RunLoop>();
  readonly #adopting = new Map<RunId, Promise<RunLoop | undefined>>();

  constructor(options: OrchestratorOptions) {
    this.#options = { ...options, onBackgroundError: options.onBackgroundError ?? warn };
    this.#owner = options.owner ?? defaultOwner();
    this.#resolver = options.resolver ?? createDependencyResolver();
    this.#clock = options.clock ?? systemClock;
  }

  async start(spec: RunSpec, options: StartRunOptions = {}): Promise<Run> {
    const { store, catalog, costs, ledger } = this.#options;
    const tenant = options.tenant ?? 'default';
    checkRunSpec(spec);
    const requestHash = createHash('sha256').update(JSON.stringify(spec)).digest('hex');
    if (spec.idempotencyKey !== undefined) {
      const existing = await store.findByIdempotencyKey(tenant, spec.idempotencyKey);
      if (existing !== undefined) {
        if (existing.requestHash !== undefined && existing.requestHash !== requestHash) {
          throw new RunStateError({
            code: 'IDEMPOTENCY_CONFLICT',
            message: `Idempotency key "${spec.idempotencyKey}" was used with a different request.`,
            details: { idempotencyKey: spec.idempotencyKey, runId: existing.id },
          });
        }
        return this.#viewOf(existing.id);
      }
    }
    const dag = this.#resolver.resolve(spec.tasks);
    const defaultCap = this.#options.defaultMaxOutputTokens ?? 4096;
    const plans = spec.tasks.map((task) => planTask(task, catalog, defaultCap));
    const budgetUsd = spec.policy?.budgetUsd;
    const budgetLimit: Money | undefined = budgetUsd === undefined ? undefined : usd(budgetUsd);
    if (budgetLimit !== undefined) {
      const cheapest = plans.reduce<Money | undefined>((least, plan) => {
        const worst = costs.worstCase(plan.model.id, 1, plan.maxOutputTokens);
        return least === undefined || worst < least ? worst : least;
      }, undefined);
      if (cheapest !== undefined && cheapest > budgetLimit) {
        throw new BudgetError({
          code: 'BUDGET_EXCEEDED',
          message: `No task of the run fits its budget of ${budgetUsd} USD.`,
          details: { scope: 'run', limitUsd: budgetUsd, spentUsd: 0, reservedUsd: 0, requestedUsd: moneyToUsd(cheapest) },
        });
      }
    }
    const runId = asRunId(options.runId ?? this.#options.generateRunId?.() ?? randomUUID());
    if (options.runId !== undefined && (await store.getRun(runId)) !== undefined) {
      throw new RunStateError({
        code: 'IDEMPOTENCY_CONFLICT',
        message: `A run with id "${runId}" already exists.`,
        details: { runId },
      });
    }
    const now = new Date(this.#clock.now()).toISOString();
    const record: RunRecord = {
      id: runId,
      tenant,
      spec,
      state: 'running',
      createdAt: now,
      updatedAt: now,
      ...(budgetLimit === undefined ? {} : { budgetLimit }),
      ...(options.parentScopes === undefined || options.parentScopes.length === 0 ? {} : { parentScopes: [...options.parentScopes] }),
      owner: this.#owner,
      ...(spec.idempotencyKey === undefined ? {} : { idempotencyKey: spec.idempotencyKey }),
      requestHash,
      lastSeq: 0,
    };
    const tasks: TaskRuntime[] = spec.tasks.map((task, index) => {
      const plan = plans[index] as (typeof plans)[number];
      return runtimeFromRecord(this.#newRecord(runId, task, index, plan.model.id), plan.model, plan.maxOutputTokens);
    });
    const scheduler = new DagScheduler();
    scheduler.add(dag);
    const journal = new RunJournal(runId, store, this.#clock, 0, this.#backgroundError);
    const events: RuntimeEventInput[] = [{ type: 'run.started', tasks: tasks.length }];
    const byId = new Map(tasks.map((task) => [task.id, task]));
    for (const id of dag.roots) {
      const task = byId.get(id) as TaskRuntime;
      task.state = 'ready';
      events.push({ type: 'task.ready', taskId: id });
    }
    await ledger.setLimit(runScope(runId), budgetLimit ?? null);
    const numbered = journal.number(events, now);
    await store.createRun(
      record,
      tasks.map((task) => taskRecord(runId, task)),
      numbered,
    );
    const loop = new RunLoop({ record, tasks, dag, scheduler, journal, options: this.#options, owner: this.#owner });
    this.#active.set(runId, loop);
    this.#track(loop);
    loop.begin();
    return loop.view();
  }

  async get(runId: RunId): Promise<Run | undefined> {
    const loop = this.#active.get(runId);
    if (loop !== undefined) return loop.view();
    const record = await this.#options.store.getRun(runId);
    if (record === undefined) return undefined;
    return runView(record, await this.#options.store.getTasks(runId));
  }

  async addTasks(runId: RunId, specs: readonly TaskSpec[]): Promise<Run> {
    const loop = this.#active.get(runId);
    if (loop === undefined || loop.stopping !== undefined || TERMINAL_RUN_STATES.has(loop.record.state)) {
      const record = loop?.record ?? (await this.#options.store.getRun(runId));
      if (record === undefined) throw notFound(runId);
      throw new RunStateError({
        code: 'RUN_NOT_RUNNING',
        message: `Run "${runId}" is ${record.state === 'running' ? 'stopping' : record.state}; tasks can only be added to a running run.`,
        details: { runId, state: record.state },
      });
    }
    const dag: Dag = this.#resolver.resolve(specs, loop.dag);
    const defaultCap = this.#options.defaultMaxOutputTokens ?? 4096;
    const plans = specs.map((task) => planTask(task, this.#options.catalog, defaultCap));
    const unfinished = loop.scheduler.counts.pending + loop.scheduler.counts.ready + loop.scheduler.counts.running;
    const capacity = this.#options.maxPendingTasks ?? 100_000;
    if (unfinished + specs.length > capacity) {
      throw new RunStateError({
        code: 'QUEUE_FULL',
        message: `Run "${runId}" already has ${unfinished} unfinished tasks (at most ${capacity}).`,
        details: { capacity, retryAfterMs: this.#options.queueRetryAfterMs ?? 1000 },
      });
    }
    const added: TaskRuntime[] = specs.map((task, offset) => {
      const plan = plans[offset] as (typeof plans)[number];
      const index = loop.tasks.size + offset;
      return runtimeFromRecord(this.#newRecord(runId, task, index, plan.model.id), plan.model, plan.maxOutputTokens);
    });
    loop.dag = dag;
    for (const task of added) loop.tasks.set(task.id, task);
    loop.scheduler.add(dag);
    const events: RuntimeEventInput[] = [];
    for (const task of added) {
      events.push({ type: 'task.added', taskId: task.id });
      const state = loop.scheduler.state(task.id);
      if (state === 'ready') {
        task.state = 'ready';
        events.push({ type: 'task.ready', taskId: task.id });
      } else if (state === 'skipped') {
        task.state = 'skipped';
        task.endedAt = loop.journal.now();
        const failedDep = dag.nodes.get(task.id)?.deps.find((dep) => {
          const depState = loop.scheduler.state(dep);
          return depState === 'failed' || depState === 'skipped';
        });
        events.push({ type: 'task.skipped', taskId: task.id, reason: 'dependencyFailed', ...(failedDep === undefined ? {} : { dependency: failedDep }) });
      }
    }
    await loop.journal.commit(
      undefined,
      added.map((task) => taskRecord(runId, task)),
      events,
    );
    loop.pump();
    return loop.view();
  }

  async abort(runId: RunId, reason?: string): Promise<Run> {
    // A run journaled as running by a process that is gone is taken over (not restarted) and
    // stopped here: its unfinished tasks are skipped.
    const loop = await this.#adopt(runId);
    if (loop === undefined) return this.#viewOf(runId);
    const error = new ExecutionError({
      code: 'RUN_ABORTED',
      message: reason === undefined ? 'The run was aborted.' : `The run was aborted: ${reason}`,
      details: { reason: reason ?? null },
    });
    loop.stop({ state: 'aborted', error: error.toJSON(), skipReason: 'runAborted', ...(reason === undefined ? {} : { reason }) }, error);
    return loop.finished;
  }

  async wait(runId: RunId): Promise<Run> {
    for (;;) {
      const loop = this.#active.get(runId);
      if (loop !== undefined) return loop.finished;
      const record = await this.#options.store.getRun(runId);
      if (record === undefined) throw notFound(runId);
      if (TERMINAL_RUN_STATES.has(record.state)) return this.#viewOf(runId);
      // Run by another process (or waiting for a resume): follow the journal.
      await new Promise<void>((resolve) => setTimeout(resolve, this.#options.waitPollMs ?? 250));
    }
  }

  async resume(runId: RunId): Promise<Run> {
    const loop = await this.#adopt(runId);
    if (loop === undefined) return this.#viewOf(runId);
    if (!loop.begun) loop.begin();
    return loop.view();
  }

  /**
   * Takes over a run journaled as unfinished (its owner is gone): rebuilds its state from the
   * journal, releases the dead owner's reservations and records this process as the owner. The
   * loop is not started. Concurrent calls share one takeover. Undefined when the run is terminal.
   */
  #adopt(runId: RunId): Promise<RunLoop | undefined> {
    const active = this.#active.get(runId);
    if (active !== undefined) return Promise.resolve(active);
    let adopting = this.#adopting.get(runId);
    if (adopting === undefined) {
      adopting = this.#load(runId).finally(() => this.#adopting.delete(runId));
      this.#adopting.set(runId, adopting);
    }
    return adopting;
  }

  async #load(runId: RunId): Promise<RunLoop | undefined> {
    const { store, catalog, ledger } = this.#options;
    const record = await store.getRun(runId);
    if (record === undefined) throw notFound(runId);
    if (TERMINAL_RUN_STATES.has(record.state)) return undefined;
    const records = await store.getTasks(runId);
    const dag = this.#resolver.resolve(records.map((task) => task.spec));
    const defaultCap = this.#options.defaultMaxOutputTokens ?? 4096;
    const tasks = records.map((task) => {
      const plan = planTask(task.spec, catalog, defaultCap);
      return runtimeFromRecord(task, catalog.get(task.model), plan.maxOutputTokens);
    });
    if (record.owner !== undefined && record.owner !== this.#owner) await ledger.releaseHolder(record.owner);
    await restoreLedger(ledger, record, tasks, this.#owner);
    const scheduler = new DagScheduler();
    scheduler.add(dag);
    const byId = new Map(tasks.map((task) => [task.id, task]));
    for (const id of dag.order) {
      const task = byId.get(id) as TaskRuntime;
      if (task.state === 'completed' || task.state === 'failed' || task.state === 'skipped') scheduler.restore(id, task.state);
    }
    const changed: TaskRecord[] = [];
    for (const task of tasks) {
      if (scheduler.state(task.id) === 'ready') task.state = 'ready';
      const journaled = records[task.index];
      if (journaled !== undefined && (journaled.state !== task.state || journaled.reservationId !== undefined)) changed.push(taskRecord(runId, task));
    }
    const journal = new RunJournal(runId, store, this.#clock, record.lastSeq, this.#backgroundError);
    await journal.commit({ owner: this.#owner }, changed, []);
    const loop = new RunLoop({
      record: { ...record, owner: this.#owner },
      tasks,
      dag,
      scheduler,
      journal,
      options: this.#options,
      owner: this.#owner,
    });
    this.#active.set(runId, loop);
    this.#track(loop);
    return loop;
  }

  events(runId: RunId, afterSeq = 0): AsyncIterable<RuntimeEvent> {
    return replayEvents({
      store: this.#options.store,
      runId,
      afterSeq,
      subscribe: (listener) => this.#subscribeLive(runId, listener),
      isTerminal: (event) => TERMINAL_EVENT_TYPES.has(event.type),
    });
  }

  subscribe(runId: RunId, listener: (event: RuntimeEvent) => void): () => void {
    return this.#subscribeLive(runId, listener) ?? (() => undefined);
  }

  /** Subscribes to a live run; undefined when the run is not running in this process. */
  #subscribeLive(runId: RunId, listener: (event: RuntimeEvent) => void): (() => void) | undefined {
    const loop = this.#active.get(runId);
    if (loop === undefined) return undefined;
    loop.journal.listeners.add(listener);
    return () => {
      loop.journal.listeners.delete(listener);
    };
  }

  #newRecord(runId: RunId, spec: TaskSpec, index: number, model: string): TaskRecord {
    return {
      runId,
      id: asTaskId(spec.id),
      index,
      spec,
      state: 'pending',
      model,
      attempts: 0,
      usage: EMPTY_USAGE,
      cost: ZERO_MONEY,
    };
  }

  #track(loop: RunLoop): void {
    loop.finished.then(
      () => this.#active.delete(loop.id),
      () => this.#active.delete(loop.id),
    );
  }

  readonly #backgroundError = (error: unknown): void => {
    (this.#options.onBackgroundError ?? warn)(error);
  };

  async #viewOf(runId: RunId): Promise<Run> {
    const run = await this.get(runId);
    if (run === undefined) throw notFound(runId);
    return run;
  }
}

function notFound(runId: RunId): RunStateError {
  return new RunStateError({ code: 'RUN_NOT_FOUND', message: `Run "${runId}" does not exist.`, details: { runId } });
}

/**
 * Creates the {@link @runtime/contracts#Orchestrator}: the run loop over injected collaborators.
 *
 * @remarks
 * Budget: each task reserves its worst case (prompt estimate + output cap) in
 * `[...parentScopes, run:<id>]` before its call and settles the provider-reported usage after it
 * (free for `dedup`/`cache` results), so spend never exceeds a limit. A refused reservation fails
 * the run with `BUDGET_EXCEEDED` (in-flight calls finish; nothing new starts). `failFast` aborts
 * in-flight calls and skips the rest; `continue` skips only what is downstream of a failure.
 * Events carry a per-run `seq` and can be replayed from the store.
 *
 * @example
 * ```ts
 * const orchestrator = createOrchestrator({ catalog, estimator, costs, ledger, builder, compactor, router, llm, store });
 * const run = await orchestrator.start({ tasks: [{ id: 'a', prompt: 'Hello' }] });
 * const done = await orchestrator.wait(run.id);
 * ```
 * @public
 */
export function createOrchestrator(options: OrchestratorOptions): Orchestrator {
  return new RunOrchestrator(options);
}
