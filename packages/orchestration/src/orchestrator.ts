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
  ValidationError,
  toErrorInfo,
  TERMINAL_EVENT_TYPES,
  TERMINAL_RUN_STATES,
  TERMINAL_TASK_STATES,
  asRunId,
  asTaskId,
  moneyToUsd,
  systemClock,
  usd,
  ZERO_MONEY,
  type Dag,
  type ErrorInfo,
  type Money,
  type Run,
  type RunId,
  type ReservationId,
  type RunLease,
  type RunRecord,
  type RunRequest,
  type RunRequestBody,
  type RunSpec,
  type AgentInputResponse,
  type Task,
  type TaskId,
  type RuntimeEvent,
  type RuntimeEventInput,
  type StartRunOptions,
  type TaskRecord,
  type TaskSpec,
  type TaskState,
} from '@runtime/contracts';
import { createDependencyResolver } from './dependency-resolver.js';
import { answerInput } from './internal/agent-attempt.js';
import { MAX_TIMER_DELAY_MS } from './internal/deadline-timer.js';
import { replayEvents, type RunFollowState } from './internal/event-stream.js';
import { openAgentHolds } from './internal/agent-attempt.js';
import { LeaseKeeper, openReservations } from './internal/lease-keeper.js';
import { applyCharges, recoverCharges, reportCharges, restoreLedger, unclosedHolds } from './internal/resume-ledger.js';
import { DEFAULT_STORE_RETRY, isLeaseLost, RunJournal, type StoreRetryPolicy } from './internal/run-journal.js';
import { RunLoop, runScope } from './internal/run-loop.js';
import { askOwner, notExecutedHere, RequestInbox, type AskOptions } from './internal/run-requests.js';
import { checkRunSpec, checkTaskTools, planTask } from './internal/spec-checks.js';
import { runtimeFromRecord, taskRecord, type TaskRuntime } from './internal/task-runtime.js';
import { runView, taskView } from './internal/views.js';
import type { DurableOrchestrator, OrchestratorOptions, ResumeReport, RunRequestNotifier, StoreHealth } from './orchestrator-options.js';
import { DagScheduler } from './scheduler.js';

function defaultOwner(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

function warn(error: unknown): void {
  process.emitWarning(`@runtime/orchestration: ${error instanceof Error ? error.message : String(error)}`);
}

/** The holder of a run's reservations under one lease: a successor releases exactly these. */
function reservationHolder(owner: string, runId: RunId, epoch: number): string {
  return `${owner}/${runId}/${epoch}`;
}

function leaseOption(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 1 || value > MAX_TIMER_DELAY_MS) {
    throw new ValidationError({
      code: 'VALIDATION_FAILED',
      message: `${name} must be a number of ms in 1..${MAX_TIMER_DELAY_MS}, got ${String(value)}.`,
      details: { field: name, value },
    });
  }
  return value;
}

function closedError(): RunStateError {
  return new RunStateError({ code: 'RUN_NOT_RUNNING', message: 'The orchestrator was closed; the run is resumable by another process or a restart.', details: { reason: 'closed' } });
}

class RunOrchestrator implements DurableOrchestrator {
  readonly #options: OrchestratorOptions;
  readonly #owner: string;
  readonly #resolver;
  readonly #clock;
  readonly #active = new Map<RunId, RunLoop>();
  readonly #adopting = new Map<RunId, Promise<RunLoop | undefined>>();
  /** Starts in flight per tenant and idempotency key: a concurrent identical start joins the first. */
  readonly #starting = new Map<string, Promise<Run>>();
  /** Runs stopped here because the store stayed unwritable, with why; resumed when it works again. */
  readonly #parked = new Map<RunId, Error>();
  #parkTimer: ReturnType<typeof setInterval> | undefined;
  #watchTimer: ReturnType<typeof setInterval> | undefined;
  readonly #leases: LeaseKeeper;
  readonly #ttlMs: number;
  readonly #renewMs: number;
  readonly #retry: StoreRetryPolicy;
  readonly #ask: AskOptions;
  readonly #inbox: RequestInbox;
  /** Stops the store's request notifications (when it has them), once subscribed. */
  #unwatch: Promise<(() => Promise<void>) | undefined> | undefined;
  #closing: Promise<void> | undefined;
  #lastWriteAt: number | undefined;
  #lastStoreError: Error | undefined;

  constructor(options: OrchestratorOptions) {
    this.#options = { ...options, onBackgroundError: options.onBackgroundError ?? warn };
    this.#owner = options.owner ?? defaultOwner();
    this.#resolver = options.resolver ?? createDependencyResolver();
    this.#clock = options.clock ?? systemClock;
    this.#ttlMs = leaseOption(options.leaseTtlMs, 'leaseTtlMs', 30_000);
    this.#renewMs = leaseOption(options.leaseRenewMs, 'leaseRenewMs', Math.max(1, Math.floor(this.#ttlMs / 3)));
    if (this.#renewMs >= this.#ttlMs) {
      throw new ValidationError({
        code: 'VALIDATION_FAILED',
        message: `leaseRenewMs (${this.#renewMs}) must be less than leaseTtlMs (${this.#ttlMs}).`,
        details: { field: 'leaseRenewMs', value: this.#renewMs, leaseTtlMs: this.#ttlMs },
      });
    }
    const retry = options.storeRetry ?? {};
    this.#retry = {
      retries: Math.max(0, Math.trunc(retry.retries ?? DEFAULT_STORE_RETRY.retries)),
      baseDelayMs: Math.max(0, retry.baseDelayMs ?? DEFAULT_STORE_RETRY.baseDelayMs),
      maxDelayMs: Math.max(0, retry.maxDelayMs ?? DEFAULT_STORE_RETRY.maxDelayMs),
    };
    this.#leases = new LeaseKeeper({
      store: options.store,
      ledger: options.ledger,
      clock: this.#clock,
      ttlMs: this.#ttlMs,
      renewEveryMs: this.#renewMs,
      onBackgroundError: this.#backgroundError,
      onWrite: this.#onWrite,
    });
    this.#ask = {
      store: options.store,
      clock: this.#clock,
      pollMs: leaseOption(options.requestPollMs, 'requestPollMs', 50),
      timeoutMs: leaseOption(options.requestTimeoutMs, 'requestTimeoutMs', 2 * this.#ttlMs),
    };
    this.#inbox = new RequestInbox({
      store: options.store,
      owner: this.#owner,
      intervalMs: leaseOption(options.inboxPollMs, 'inboxPollMs', 100),
      apply: (request) => this.#applyRequest(request),
      // A process that runs nothing holds no live lease: no query (and no timer, see #loop and #forget).
      shouldPoll: () => this.#closing === undefined && (this.#active.size > 0 || this.#adopting.size > 0),
      onBackgroundError: this.#backgroundError,
      retry: this.#retry,
    });
  }

  get owner(): string {
    return this.#owner;
  }

  start(spec: RunSpec, options: StartRunOptions = {}): Promise<Run> {
    const tenant = options.tenant ?? 'default';
    const key = spec.idempotencyKey === undefined ? undefined : `${tenant}\u0000${spec.idempotencyKey}`;
    if (key === undefined) return this.#start(spec, options, tenant);
    // A start with the same key already in flight here: wait for it, then answer as a repeat.
    const before = this.#starting.get(key);
    const started = (before === undefined ? Promise.resolve() : before.then(() => undefined, () => undefined)).then(() =>
      this.#start(spec, options, tenant),
    );
    this.#starting.set(key, started);
    const forget = (): void => {
      if (this.#starting.get(key) === started) this.#starting.delete(key);
    };
    started.then(forget, forget);
    return started;
  }

  async #start(spec: RunSpec, options: StartRunOptions, tenant: string): Promise<Run> {
    const { store, catalog, costs, ledger } = this.#options;
    if (this.#closing !== undefined) throw closedError();
    checkRunSpec(spec);
    for (const task of spec.tasks) checkTaskTools(task, this.#options.agents?.tools);
    const capacity = this.#options.maxPendingTasks ?? 100_000;
    if (spec.tasks.length > capacity) {
      throw new RunStateError({
        code: 'QUEUE_FULL',
        message: `A run may hold at most ${capacity} unfinished tasks; this one has ${spec.tasks.length}.`,
        details: { capacity, retryAfterMs: this.#options.queueRetryAfterMs ?? 1000 },
      });
    }
    const requestHash = createHash('sha256').update(JSON.stringify(spec)).digest('hex');
    if (spec.idempotencyKey !== undefined) {
      const existing = await store.findByIdempotencyKey(tenant, spec.idempotencyKey);
      if (existing !== undefined) return this.#repeat(existing, spec.idempotencyKey, requestHash);
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
    const nowMs = this.#clock.now();
    const now = new Date(nowMs).toISOString();
    const lease: RunLease = { owner: this.#owner, epoch: 1, expiresAt: nowMs + this.#ttlMs };
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
      lease,
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
    const events: RuntimeEventInput[] = [{ type: 'run.started', tasks: tasks.length }];
    const byId = new Map(tasks.map((task) => [task.id, task]));
    for (const id of dag.roots) {
      const task = byId.get(id) as TaskRuntime;
      task.state = 'ready';
      events.push({ type: 'task.ready', taskId: id });
    }
    const journal = this.#journal(runId, 0, lease, pendingIds(tasks));
    await ledger.setLimit(runScope(runId), budgetLimit ?? null);
    const numbered = journal.number(events, now);
    try {
      await store.createRun(
        record,
        tasks.map((task) => taskRecord(runId, task)),
        numbered,
      );
    } catch (error) {
      // Another process created the run with this key between our lookup and our write.
      if (spec.idempotencyKey !== undefined && RunStateError.isInstance(error) && error.code === 'IDEMPOTENCY_CONFLICT' && options.runId === undefined) {
        const existing = await store.findByIdempotencyKey(tenant, spec.idempotencyKey);
        if (existing !== undefined) return this.#repeat(existing, spec.idempotencyKey, requestHash);
      }
      throw error;
    }
    const loop = this.#loop({ record, tasks, dag, scheduler, journal }, lease);
    loop.begin();
    return loop.view();
  }

  /** A start repeated with a known idempotency key: the existing run, unless the request differs. */
  #repeat(existing: RunRecord, idempotencyKey: string, requestHash: string): Promise<Run> {
    if (existing.requestHash !== undefined && existing.requestHash !== requestHash) {
      throw new RunStateError({
        code: 'IDEMPOTENCY_CONFLICT',
        message: `Idempotency key "${idempotencyKey}" was used with a different request.`,
        details: { idempotencyKey, runId: existing.id },
      });
    }
    return this.#viewOf(existing.id);
  }

  #journal(runId: RunId, lastSeq: number, lease: RunLease, storedPending: Iterable<string>): RunJournal {
    let loop: RunLoop | undefined;
    const journal = new RunJournal({
      runId,
      storedPending,
      store: this.#options.store,
      clock: this.#clock,
      lastSeq,
      onBackgroundError: this.#backgroundError,
      fence: { owner: lease.owner, epoch: lease.epoch },
      retry: this.#retry,
      onWrite: this.#onWrite,
      onFailure: (error) => {
        loop ??= this.#active.get(runId);
        loop?.broke(error);
      },
    });
    return journal;
  }

  /** Creates the loop of a run this process holds `lease` on, and tracks it until it ends. */
  #loop(init: Omit<ConstructorParameters<typeof RunLoop>[0], 'options' | 'owner' | 'epoch' | 'onDetached'>, lease: RunLease): RunLoop {
    const runId = init.record.id;
    const loop = new RunLoop({
      ...init,
      options: this.#options,
      owner: reservationHolder(lease.owner, runId, lease.epoch),
      epoch: lease.epoch,
      onDetached: (detached, error) => this.#detached(detached, error),
    });
    this.#active.set(runId, loop);
    this.#parked.delete(runId);
    if (this.#closing === undefined) {
      this.#inbox.start();
      this.#unwatch ??= this.#watchRequests();
    }
    this.#leases.hold(runId, lease, (error) => loop.detach(error), () => [...openReservations(loop.tasks.values()), ...openAgentHolds(loop)]);
    loop.finished.then(
      () => this.#forget(loop),
      () => this.#forget(loop),
    );
    return loop;
  }

  #forget(loop: RunLoop): void {
    if (this.#active.get(loop.id) !== loop) return;
    this.#active.delete(loop.id);
    this.#leases.drop(loop.id);
    if (this.#active.size === 0) this.#inbox.stop();
  }

  /** A loop stopped without ending its run. */
  #detached(loop: RunLoop, error: Error): void {
    this.#forget(loop);
    if (this.#closing !== undefined && !isLeaseLost(error)) return;
    if (!isLeaseLost(error)) {
      // The store stayed unwritable: park the run and give its lease up, so this process (or
      // another) resumes it as soon as the store takes writes again.
      this.#parked.set(loop.id, error);
      this.#armParkTimer();
      this.#options.store.releaseLease(loop.id, { owner: this.#owner, epoch: loop.epoch }).then(
        () => undefined,
        () => undefined, // the lease then simply expires
      );
    }
    queueMicrotask(() => this.#backgroundError(error));
  }

  #armParkTimer(): void {
    if (this.#parkTimer !== undefined) return;
    this.#parkTimer = setInterval(() => {
      for (const runId of [...this.#parked.keys()]) {
        this.resume(runId).then(
          () => this.#parked.delete(runId),
          (error: unknown) => {
            if (RunStateError.isInstance(error) && (error.code === 'RUN_OWNED' || error.code === 'RUN_NOT_FOUND')) this.#parked.delete(runId);
          },
        );
      }
      if (this.#parked.size === 0 && this.#parkTimer !== undefined) {
        clearInterval(this.#parkTimer);
        this.#parkTimer = undefined;
      }
    }, this.#renewMs);
    this.#parkTimer.unref();
  }

  readonly #onWrite = (error: Error | undefined): void => {
    if (error === undefined) {
      this.#lastWriteAt = this.#clock.now();
      this.#lastStoreError = undefined;
    } else if (!isLeaseLost(error)) {
      this.#lastStoreError = error;
    }
  };

  async get(runId: RunId): Promise<Run | undefined> {
    const loop = this.#active.get(runId);
    if (loop !== undefined) return loop.view();
    const record = await this.#options.store.getRun(runId);
    if (record === undefined) return undefined;
    return runView(record, await this.#options.store.getTasks(runId));
  }

  addTasks(runId: RunId, specs: readonly TaskSpec[]): Promise<Run> {
    return this.#routed(runId, { kind: 'addTasks', tasks: specs }, () => this.#addTasksHere(runId, specs));
  }

  async #addTasksHere(runId: RunId, specs: readonly TaskSpec[]): Promise<Run> {
    const loop = this.#active.get(runId);
    if (loop === undefined || !loop.accepting || TERMINAL_RUN_STATES.has(loop.record.state)) {
      const record = loop?.record ?? (await this.#options.store.getRun(runId));
      if (record === undefined) throw notFound(runId);
      const lease = record.lease;
      if (loop === undefined && lease !== undefined && lease.owner !== this.#owner && lease.expiresAt > this.#clock.now()) {
        throw owned(runId, lease);
      }
      throw new RunStateError({
        code: 'RUN_NOT_RUNNING',
        message: `Run "${runId}" is ${record.state === 'running' ? 'stopping' : record.state}; tasks can only be added to a running run.`,
        details: { runId, state: record.state },
      });
    }
    for (const task of specs) checkTaskTools(task, this.#options.agents?.tools);
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

  abort(runId: RunId, reason?: string): Promise<Run> {
    return this.#routed(runId, { kind: 'abort', ...(reason === undefined ? {} : { reason }) }, () => this.#abortHere(runId, reason));
  }

  async #abortHere(runId: RunId, reason?: string): Promise<Run> {
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

  provideInput(runId: RunId, taskId: TaskId, response: AgentInputResponse): Promise<Task> {
    return this.#routed(runId, { kind: 'provideInput', taskId, response }, () => this.#provideInputHere(runId, taskId, response));
  }

  async #provideInputHere(runId: RunId, taskId: TaskId, response: AgentInputResponse): Promise<Task> {
    const loop = this.#active.get(runId);
    if (loop === undefined) {
      const record = await this.#options.store.getRun(runId);
      if (record === undefined) throw notFound(runId);
      const lease = record.lease;
      if (lease !== undefined && lease.owner !== this.#owner && lease.expiresAt > this.#clock.now()) throw owned(runId, lease);
      throw new RunStateError({
        code: 'RUN_NOT_RUNNING',
        message: `Run "${runId}" is ${record.state} and not running in this process; resume it first, then answer.`,
        details: { runId, state: record.state },
      });
    }
    await answerInput(loop, taskId, response);
    const task = loop.tasks.get(taskId) as TaskRuntime;
    return taskView(taskRecord(runId, task));
  }

  /**
   * Applies a change here, or — when another live process holds the run's lease — asks that owner
   * through the store's request inbox and returns its answer. When the owner's lease moves on
   * before anyone claimed the request, the request is withdrawn, the run taken over and the change
   * applied here; when it moved to yet another owner, that one is asked.
   */
  async #routed<Value>(runId: RunId, body: RunRequestBody, here: () => Promise<Value>): Promise<Value> {
    const giveUpAt = this.#clock.now() + this.#ask.timeoutMs;
    for (;;) {
      const lease = await this.#remoteLease(runId);
      if (lease === undefined) return here();
      if (this.#clock.now() >= giveUpAt) throw owned(runId, lease);
      try {
        const answer = await askOwner(this.#ask, runId, body, lease);
        if (answer.answered) return answer.value as Value;
      } catch (error) {
        // The owner does not run it (any more): ask whoever holds it now, or take it once its lease expired.
        if (!(RunStateError.isInstance(error) && error.code === 'LEASE_LOST')) throw error;
        await new Promise((resolve) => setTimeout(resolve, this.#ask.pollMs));
        continue;
      }
      if (await this.#takeOver(runId, body.kind !== 'abort')) return here();
    }
  }

  /** The run's lease when another process holds it, unexpired, and the run is not executed here. */
  async #remoteLease(runId: RunId): Promise<RunLease | undefined> {
    if (this.#active.has(runId) || this.#adopting.has(runId)) return undefined;
    const record = await this.#options.store.getRun(runId);
    if (record === undefined || TERMINAL_RUN_STATES.has(record.state)) return undefined;
    const lease = record.lease;
    if (lease === undefined || lease.owner === this.#owner || lease.expiresAt <= this.#clock.now()) return undefined;
    return lease;
  }

  /** Takes over a run whose owner is gone; false when another process took it first. */
  async #takeOver(runId: RunId, begin: boolean): Promise<boolean> {
    try {
      const loop = await this.#adopt(runId);
      if (begin && loop !== undefined && !loop.begun) loop.begin();
      return true;
    } catch (error) {
      if (RunStateError.isInstance(error) && error.code === 'RUN_OWNED') return false;
      throw error;
    }
  }

  /** Subscribes to the store's request notifications, when it has them (polling stays the fallback; a failed subscription is tried again at the next run's start). */
  async #watchRequests(): Promise<(() => Promise<void>) | undefined> {
    const notifier = this.#options.store as Partial<RunRequestNotifier>;
    if (typeof notifier.watchRequests !== 'function') return undefined;
    try {
      return await notifier.watchRequests.call(this.#options.store, this.#owner, () => this.#inbox.poll());
    } catch (error) {
      this.#backgroundError(error);
      // Tried again when the next run starts here (polling covers the meantime).
      this.#unwatch = undefined;
      return undefined;
    }
  }

  /** Applies a request another process posted for a run this process executes. */
  async #applyRequest(request: RunRequest): Promise<unknown> {
    const { runId, body } = request;
    if (!this.#active.has(runId)) await this.#adopting.get(runId)?.catch(() => undefined);
    if (!this.#active.has(runId) || this.#closing !== undefined) throw notExecutedHere(runId, this.#owner);
    if (body.kind === 'abort') return this.abort(runId, body.reason);
    if (body.kind === 'addTasks') return this.addTasks(runId, body.tasks);
    return this.provideInput(runId, body.taskId, body.response);
  }

  async wait(runId: RunId): Promise<Run> {
    for (;;) {
      const loop = this.#active.get(runId);
      if (loop !== undefined) {
        try {
          return await loop.finished;
        } catch (error) {
          // Another process took the run over: follow the journal it writes.
          if (!isLeaseLost(error)) throw error;
          continue;
        }
      }
      const record = await this.#options.store.getRun(runId);
      if (record === undefined) throw notFound(runId);
      if (TERMINAL_RUN_STATES.has(record.state)) return this.#viewOf(runId);
      const parked = this.#parked.get(runId);
      if (parked !== undefined) throw parked;
      if (record.lease === undefined || record.lease.expiresAt <= this.#clock.now()) throw unowned(record);
      // Run by another process: follow the journal.
      await new Promise<void>((resolve) => setTimeout(resolve, this.#options.waitPollMs ?? 250));
    }
  }

  async resume(runId: RunId): Promise<Run> {
    if (this.#closing !== undefined) throw closedError();
    const loop = await this.#adopt(runId);
    if (loop === undefined) return this.#viewOf(runId);
    if (!loop.begun) loop.begin();
    return loop.view();
  }

  async resumeAll(options: { readonly limit?: number } = {}): Promise<ResumeReport> {
    return (await this.#resumeAll(options.limit ?? 100)).report;
  }

  async #resumeAll(limit: number): Promise<{ report: ResumeReport; errors: unknown[] }> {
    const records = await this.#options.store.findResumableRuns(this.#clock.now(), limit);
    const resumed: RunId[] = [];
    const ownedRuns: RunId[] = [];
    const failed: { runId: RunId; error: ErrorInfo }[] = [];
    const errors: unknown[] = [];
    for (const record of records) {
      try {
        await this.resume(record.id);
        resumed.push(record.id);
      } catch (error) {
        if (RunStateError.isInstance(error) && error.code === 'RUN_OWNED') ownedRuns.push(record.id);
        else {
          failed.push({ runId: record.id, error: toErrorInfo(error) });
          errors.push(error);
        }
      }
    }
    return { report: { resumed, owned: ownedRuns, failed }, errors };
  }

  watchResumable(options: { readonly intervalMs?: number; readonly limit?: number; readonly onSweep?: (report: ResumeReport) => void } = {}): void {
    if (this.#closing !== undefined) throw closedError();
    const intervalMs = leaseOption(options.intervalMs, 'intervalMs', this.#ttlMs);
    if (this.#watchTimer !== undefined) clearInterval(this.#watchTimer);
    let sweeping = false;
    this.#watchTimer = setInterval(() => {
      if (sweeping || this.#closing !== undefined) return;
      sweeping = true;
      this.#resumeAll(options.limit ?? 100).then(
        ({ report, errors }) => {
          sweeping = false;
          for (const error of errors) this.#backgroundError(error);
          if (report.resumed.length + report.owned.length + report.failed.length > 0) options.onSweep?.(report);
        },
        (error: unknown) => {
          sweeping = false;
          this.#backgroundError(error);
        },
      );
    }, intervalMs);
    this.#watchTimer.unref();
  }

  async checkStore(): Promise<StoreHealth> {
    const now = this.#clock.now();
    let probe: Error | undefined;
    try {
      // A real write that touches no run: a store that reads but cannot write is unhealthy.
      await this.#options.store.checkWrite();
    } catch (error) {
      probe = error instanceof Error ? error : new Error(String(error));
    }
    const idle = this.#active.size === 0 && this.#parked.size === 0;
    const failure = probe ?? (idle ? undefined : this.#lastStoreError);
    return {
      healthy: failure === undefined,
      checkedAt: new Date(now).toISOString(),
      ...(this.#lastWriteAt === undefined ? {} : { lastWriteAt: new Date(this.#lastWriteAt).toISOString() }),
      ...(failure === undefined ? {} : { error: toErrorInfo(failure) }),
      activeRuns: this.#active.size,
      parkedRuns: this.#parked.size,
    };
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#inbox.stop();
      this.#leases.stop();
      const unwatch = await this.#unwatch;
      await unwatch?.().catch((error: unknown) => this.#backgroundError(error));
      if (this.#parkTimer !== undefined) clearInterval(this.#parkTimer);
      this.#parkTimer = undefined;
      if (this.#watchTimer !== undefined) clearInterval(this.#watchTimer);
      this.#watchTimer = undefined;
      await Promise.all([...this.#adopting.values()].map((adopting) => adopting.catch(() => undefined)));
      const loops = [...this.#active.values()];
      await Promise.all(
        loops.map(async (loop) => {
          loop.detach(closedError());
          await loop.journal.idle();
          try {
            await this.#options.store.releaseLease(loop.id, { owner: this.#owner, epoch: loop.epoch });
          } catch (error) {
            this.#backgroundError(error); // the lease expires by itself
          }
        }),
      );
    })();
    return this.#closing;
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
    const { store } = this.#options;
    const record = await store.getRun(runId);
    if (record === undefined) throw notFound(runId);
    if (TERMINAL_RUN_STATES.has(record.state)) return undefined;
    const lease = await store.acquireLease(runId, this.#owner, this.#ttlMs, this.#clock.now());
    if (lease === undefined) {
      const current = (await store.getRun(runId))?.lease ?? record.lease;
      throw owned(runId, current);
    }
    try {
      // The first read may be stale: the previous owner can have written, or ended the run, before
      // the lease changed hands. Everything rebuilt comes from a read made under the new lease.
      const current = await store.getRun(runId);
      if (current === undefined) throw notFound(runId);
      if (TERMINAL_RUN_STATES.has(current.state)) {
        // Nothing to run; a release that fails only leaves a lease that expires by itself.
        await store.releaseLease(runId, lease).catch((releaseError: unknown) => this.#backgroundError(releaseError));
        return undefined;
      }
      // Whose reservations to release is decided by the lease seen before the take-over (the
      // fresh record already names this process).
      const { owner: _owner, lease: _lease, ...fresh } = current;
      return await this.#rebuild({ ...fresh, ...(record.owner === undefined ? {} : { owner: record.owner }), ...(record.lease === undefined ? {} : { lease: record.lease }) }, lease);
    } catch (error) {
      await store.releaseLease(runId, lease).catch((releaseError: unknown) => this.#backgroundError(releaseError));
      throw error;
    }
  }

  /**
   * The holds of unfinished agent tasks the journal names in events only (an agent task holds
   * several at once, its record names one); nothing is read for runs without such tasks.
   */
  async #agentHolds(runId: RunId, records: readonly TaskRecord[]): Promise<Map<number, ReservationId[]>> {
    if (!records.some((record) => record.spec.agent !== undefined && !TERMINAL_TASK_STATES.has(record.state))) return new Map();
    const events: RuntimeEvent[] = [];
    for (let after = 0; ; ) {
      const page = await this.#options.store.readEvents(runId, after, 1000);
      events.push(...page);
      if (page.length < 1000) return unclosedHolds(events, records);
      after = (page[page.length - 1] as RuntimeEvent).seq;
    }
  }

  /** Rebuilds a run this process just took the lease of, and releases what its predecessor held. */
  async #rebuild(record: RunRecord, lease: RunLease): Promise<RunLoop> {
    const { store, catalog, ledger } = this.#options;
    const runId = record.id;
    const records = await store.getTasks(runId);
    const dag = this.#resolver.resolve(records.map((task) => task.spec));
    const defaultCap = this.#options.defaultMaxOutputTokens ?? 4096;
    const tasks = records.map((task) => {
      const plan = planTask(task.spec, catalog, defaultCap);
      return runtimeFromRecord(task, catalog.get(task.model), plan.maxOutputTokens);
    });
    // The predecessor's reservations of this run and epoch only: its other runs may still be live.
    const holders = new Set<string>([reservationHolder(lease.owner, runId, lease.epoch)]);
    const previous = record.lease;
    if (previous !== undefined) holders.add(reservationHolder(previous.owner, runId, previous.epoch));
    else if (record.owner !== undefined && lease.epoch > 1) holders.add(reservationHolder(record.owner, runId, lease.epoch - 1));
    for (const holder of holders) await ledger.releaseHolder(holder);
    // A run journaled before leases existed: its owner held reservations under its bare id.
    if (previous === undefined && lease.epoch === 1 && record.owner !== undefined && record.owner !== this.#owner) await ledger.releaseHolder(record.owner);
    // Calls the predecessor charged but never journaled: into the tasks' usage, in the resume commit.
    const { charges: recovered, unsettled } = await recoverCharges(ledger, records, tasks, await this.#agentHolds(runId, records));
    const recoveredEvents = applyCharges(recovered);
    await restoreLedger(ledger, record, tasks, reservationHolder(lease.owner, runId, lease.epoch));
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
    const journal = this.#journal(runId, record.lastSeq, lease, pendingIds(records));
    if (changed.length > 0) await journal.commit(undefined, changed, recoveredEvents);
    // The billing report gains what the resume journaled, once (see "Resume reconciliation" in the README).
    reportCharges(this.#options.usage, runId, recovered);
    // Holds a frozen predecessor may still charge are looked up again before the terminal commit.
    return this.#loop({ record: { ...record, owner: this.#owner, lease }, tasks, dag, scheduler, journal, unsettled }, lease);
  }

  events(runId: RunId, afterSeq = 0): AsyncIterable<RuntimeEvent> {
    return replayEvents({
      store: this.#options.store,
      runId,
      afterSeq,
      subscribe: (listener, onEnd) => this.#subscribeLive(runId, listener, onEnd),
      isTerminal: (event) => TERMINAL_EVENT_TYPES.has(event.type),
      follow: () => this.#follow(runId),
      pollMs: this.#options.waitPollMs ?? 250,
    });
  }

  subscribe(runId: RunId, listener: (event: RuntimeEvent) => void): () => void {
    return this.#subscribeLive(runId, listener) ?? (() => undefined);
  }

  /** Subscribes to a live run; undefined when the run is not running in this process. */
  #subscribeLive(runId: RunId, listener: (event: RuntimeEvent) => void, onEnd?: (error: Error) => void): (() => void) | undefined {
    const loop = this.#active.get(runId);
    if (loop === undefined) return undefined;
    loop.journal.listeners.add(listener);
    if (onEnd !== undefined) loop.journal.endListeners.add(onEnd);
    return () => {
      loop.journal.listeners.delete(listener);
      if (onEnd !== undefined) loop.journal.endListeners.delete(onEnd);
    };
  }

  /** Whether a run not live here is worth following in the store. */
  async #follow(runId: RunId): Promise<RunFollowState> {
    if (this.#active.has(runId)) return 'live';
    const record = await this.#options.store.getRun(runId);
    if (record === undefined || TERMINAL_RUN_STATES.has(record.state)) return 'ended';
    if (record.lease !== undefined && record.lease.expiresAt > this.#clock.now()) return 'elsewhere';
    const parked = this.#parked.get(runId);
    if (parked !== undefined) throw parked;
    return 'idle';
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

  readonly #backgroundError = (error: unknown): void => {
    (this.#options.onBackgroundError ?? warn)(error);
  };

  async #viewOf(runId: RunId): Promise<Run> {
    const run = await this.get(runId);
    if (run === undefined) throw notFound(runId);
    return run;
  }
}

/** Ids of the tasks in state `pending`. */
function* pendingIds(tasks: Iterable<{ readonly id: string; readonly state: TaskState }>): Generator<string> {
  for (const task of tasks) if (task.state === 'pending') yield task.id;
}

function owned(runId: RunId, lease: RunLease | undefined): RunStateError {
  return new RunStateError({
    code: 'RUN_OWNED',
    message: `Run "${runId}" is being run by ${lease === undefined ? 'another process' : `"${lease.owner}"`}; it can be resumed once its lease expires.`,
    details: { runId, owner: lease?.owner ?? null, epoch: lease?.epoch ?? null, expiresAt: lease?.expiresAt ?? null },
  });
}

function unowned(record: RunRecord): RunStateError {
  return new RunStateError({
    code: 'RUN_NOT_RUNNING',
    message: `Run "${record.id}" is ${record.state} in the journal but no process runs it (its lease ${record.lease === undefined ? 'was released' : 'expired'}); resume it to continue.`,
    details: { runId: record.id, state: record.state, owner: record.lease?.owner ?? record.owner ?? null, expiresAt: record.lease?.expiresAt ?? null },
  });
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
export function createOrchestrator(options: OrchestratorOptions): DurableOrchestrator {
  return new RunOrchestrator(options);
}
