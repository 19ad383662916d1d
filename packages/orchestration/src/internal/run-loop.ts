/**
 * One run in this process: dispatches ready tasks into free slots, reacts to each task's end, and
 * journals every transition before it takes effect outside (events, dependents starting).
 */
import {
  BudgetError,
  DagError,
  ExecutionError,
  InternalError,
  RuntimeError,
  toErrorInfo,
  type Dag,
  type ErrorInfo,
  type FailurePolicy,
  type Money,
  type ParallelExecutor,
  type Run,
  type RunId,
  type RunRecord,
  type RunState,
  type RuntimeEventInput,
  type SkipReason,
  type TaskId,
  type TaskRecord,
} from '@runtime/contracts';
import type { OrchestratorOptions } from '../orchestrator-options.js';
import { createParallelExecutor } from '../parallel-executor.js';
import type { DagScheduler } from '../scheduler.js';
import { cancellableTimeout } from './deadline-timer.js';
import { isLeaseLost, type RunJournal } from './run-journal.js';
import { applyCharges, recheckCharges, reportCharges, type RecoveredCharge, type UnsettledHolds } from './resume-ledger.js';
import { runTaskAttempt } from './task-attempt.js';
import { TaskSignals } from './task-signals.js';
import { taskRecord, type TaskRuntime } from './task-runtime.js';
import { runView, totals, usageView } from './views.js';

interface Stop {
  readonly state: 'failed' | 'aborted';
  readonly error: ErrorInfo;
  readonly skipReason: SkipReason;
  readonly reason?: string;
}

export interface RunLoopInit {
  readonly record: RunRecord;
  readonly tasks: readonly TaskRuntime[];
  readonly dag: Dag;
  readonly scheduler: DagScheduler;
  readonly journal: RunJournal;
  readonly options: OrchestratorOptions;
  /** The holder of the run's budget reservations in this process (see {@link RunLoop.owner}). */
  readonly owner: string;
  /** The epoch of this process's lease on the run. */
  readonly epoch: number;
  /** Called once when the loop stops without ending the run (lease lost, store down, closed). */
  readonly onDetached?: (loop: RunLoop, error: Error) => void;
  /** A resumed run: the dead owner's holds that were unsettled at resume, looked up again at the end. */
  readonly unsettled?: readonly UnsettledHolds[];
}

export class RunLoop {
  readonly id: RunId;
  readonly options: OrchestratorOptions;
  /**
   * The holder of this run's budget reservations: `<process owner>/<run id>/<lease epoch>`, so a
   * successor releases exactly the reservations of the run and epoch it took over (never those
   * of a live owner's other runs).
   */
  readonly owner: string;
  /** The epoch of this process's lease on the run (fences its journal writes). */
  readonly epoch: number;
  /**
   * Random per loop: with {@link RunLoop.epoch} it makes reservation ids unique across loops of one
   * owner (see `reservationIdOf`).
   */
  readonly nonce = Math.random().toString(36).slice(2, 10);
  readonly journal: RunJournal;
  readonly scheduler: DagScheduler;
  readonly executor: ParallelExecutor;
  readonly controller = new AbortController();
  /** Per-task signals under {@link RunLoop.controller} (one listener on the run's signal). */
  readonly signals: TaskSignals;
  readonly tasks = new Map<TaskId, TaskRuntime>();
  readonly scopes: readonly string[];
  readonly failurePolicy: FailurePolicy;
  readonly maxParallelism: number;
  record: RunRecord;
  dag: Dag;
  stopping: Stop | undefined;
  #inFlight = 0;
  /** Attempts that gave their slot back while waiting for a human (or for a slot after the answer). */
  #parked = 0;
  /** Answered attempts waiting for a free slot, first answered first served. */
  readonly #slotWaiters: (() => void)[] = [];
  /** Called once when the run stops scheduling (attempts waiting for a human end then). */
  readonly #stopListeners = new Set<() => void>();
  #finishing = false;
  /** Why the loop stopped without ending the run; nothing more is written once set. */
  #detached: Error | undefined;
  readonly #onDetached: ((loop: RunLoop, error: Error) => void) | undefined;
  readonly #unsettled: readonly UnsettledHolds[];
  #cancelTimer: (() => void) | undefined;
  readonly finished: Promise<Run>;
  #resolveFinished: (run: Run) => void = () => undefined;
  #rejectFinished: (error: unknown) => void = () => undefined;

  constructor(init: RunLoopInit) {
    this.id = init.record.id;
    this.record = init.record;
    this.options = init.options;
    this.owner = init.owner;
    this.epoch = init.epoch;
    this.#onDetached = init.onDetached;
    this.#unsettled = init.unsettled ?? [];
    this.journal = init.journal;
    this.scheduler = init.scheduler;
    this.dag = init.dag;
    for (const task of init.tasks) this.tasks.set(task.id, task);
    const policy = init.record.spec.policy ?? {};
    this.failurePolicy = policy.failurePolicy ?? 'failFast';
    this.maxParallelism = policy.maxParallelism ?? init.options.defaultMaxParallelism ?? 4;
    this.executor = createParallelExecutor({ maxParallelism: this.maxParallelism });
    this.signals = new TaskSignals(this.controller.signal, this.maxParallelism);
    this.scopes = [...(init.record.parentScopes ?? []), runScope(this.id)];
    this.finished = new Promise<Run>((resolve, reject) => {
      this.#resolveFinished = resolve;
      this.#rejectFinished = reject;
    });
    // A rejected `finished` nobody waits for must not crash the process: `wait` re-reads it.
    this.finished.catch(() => undefined);
  }

  /** Whether {@link RunLoop.begin} ran. */
  begun = false;

  /** Starts dispatching (and the run deadline). */
  begin(): void {
    this.begun = true;
    const timeoutMs = this.record.spec.policy?.timeoutMs;
    if (timeoutMs !== undefined) {
      this.#cancelTimer = cancellableTimeout(timeoutMs, () => {
        const error = new ExecutionError({
          code: 'RUN_TIMEOUT',
          message: `The run did not finish within ${timeoutMs} ms.`,
          details: { timeoutMs },
        });
        this.stop({ state: 'failed', error: error.toJSON(), skipReason: 'runFailed' }, error);
      });
    }
    this.pump();
  }

  /** Whether `addTasks` may still add tasks (not stopping, not finishing, not detached). */
  get accepting(): boolean {
    return !this.#finishing && this.stopping === undefined && this.#detached === undefined;
  }

  /** Why the loop stopped without ending the run, if it did. */
  get detached(): Error | undefined {
    return this.#detached;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /**
   * Budget-aware admission: bumped each time a reservation of this run settles or is released, so
   * a task whose worst case did not fit beside other tasks' reservations knows when to ask again.
   */
  budgetGeneration = 0;
  readonly #budgetWaiters = new Set<() => void>();

  /** A reservation of the run settled or was released (or the run stops): wake the tasks waiting for budget. */
  budgetFreed(): void {
    this.budgetGeneration += 1;
    const waiters = [...this.#budgetWaiters];
    this.#budgetWaiters.clear();
    for (const wake of waiters) wake();
  }

  /** Resolves at the next {@link RunLoop.budgetFreed}; rejects when `signal` aborts. */
  waitForBudget(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
        return;
      }
      const onAbort = (): void => {
        this.#budgetWaiters.delete(wake);
        reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
      };
      const wake = (): void => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      this.#budgetWaiters.add(wake);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Open reservations of the run's running tasks. */
  reserved(): Money {
    let sum = 0n;
    for (const task of this.tasks.values()) if (task.reservationId !== undefined) sum += task.reserved;
    return sum as Money;
  }

  records(): TaskRecord[] {
    // The map is filled in submission order (start, then each addTasks), which is index order.
    const records: TaskRecord[] = [];
    for (const task of this.tasks.values()) records.push(taskRecord(this.id, task));
    return records;
  }

  view(): Run {
    return runView(this.record, this.records(), this.reserved());
  }

  /**
   * Stops scheduling; aborts in-flight work when `abort` is given. The first stop decides the
   * run's outcome; a later one can still cancel in-flight calls (an abort during a budget drain).
   */
  stop(stop: Stop, abort?: RuntimeError): void {
    if (this.#finishing) return;
    if (this.stopping !== undefined) {
      if (abort !== undefined && !this.controller.signal.aborted) this.controller.abort(abort);
      return;
    }
    this.stopping = stop;
    if (abort !== undefined) this.controller.abort(abort);
    // Attempts waiting for a human end now: the run's outcome is decided, nobody needs the answer.
    const listeners = [...this.#stopListeners];
    this.#stopListeners.clear();
    for (const listener of listeners) listener();
    // Tasks waiting for budget give up their slot now (they never started).
    this.budgetFreed();
    this.pump();
  }

  /**
   * Calls `listener` once when the run stops scheduling (at once when it already did), after the
   * stop's abort when it has one. Returns what removes it.
   */
  onStop(listener: () => void): () => void {
    if (this.stopping !== undefined) {
      listener();
      return () => undefined;
    }
    this.#stopListeners.add(listener);
    return () => {
      this.#stopListeners.delete(listener);
    };
  }

  /**
   * An attempt starts waiting for a human: its slot goes to other ready tasks meanwhile. The run
   * neither finishes nor declares a deadlock while it is parked. Pair with {@link RunLoop.takeSlot}.
   */
  giveSlot(): void {
    this.#parked += 1;
    this.#inFlight -= 1;
    this.pump();
  }

  /**
   * A parked attempt goes on (answered): resolves once it holds a slot again, after the attempts
   * answered before it (FIFO) and before any new task starts. An abort of `signal` takes the slot
   * back at once (the attempt ends without work) and rejects.
   */
  takeSlot(signal: AbortSignal): Promise<void> {
    if (this.#slotWaiters.length === 0 && this.#inFlight < this.maxParallelism) {
      this.#unpark();
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.#slotWaiters.indexOf(wake);
        if (index >= 0) this.#slotWaiters.splice(index, 1);
        this.#unpark();
        reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
      };
      const wake = (): void => {
        signal.removeEventListener('abort', onAbort);
        this.#unpark();
        resolve();
      };
      if (signal.aborted) {
        onAbort();
        return;
      }
      this.#slotWaiters.push(wake);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** A parked attempt holds a slot again (it may briefly exceed the limit when it ends on an abort). */
  #unpark(): void {
    this.#parked -= 1;
    this.#inFlight += 1;
  }

  /** Fills free slots, answered attempts first, then ready tasks; finishes the run when nothing is left to do. */
  pump(): void {
    if (this.#finishing) return;
    while (this.#slotWaiters.length > 0 && this.#inFlight < this.maxParallelism) (this.#slotWaiters.shift() as () => void)();
    if (this.stopping === undefined) {
      while (this.#inFlight < this.maxParallelism) {
        const id = this.scheduler.next();
        if (id === undefined) break;
        this.#inFlight += 1;
        const controller = this.signals.acquire();
        runTaskAttempt(this, this.tasks.get(id) as TaskRuntime, controller.signal).then(
          () => {
            this.signals.release(controller);
            this.#taskEnded();
          },
          (error: unknown) => {
            this.signals.release(controller);
            this.#attemptBroke(error);
          },
        );
      }
    }
    if (this.#inFlight > 0 || this.#parked > 0) return;
    if (this.stopping === undefined && !this.scheduler.done) {
      const pending = [...this.tasks.values()].filter((task) => this.scheduler.state(task.id) === 'pending').map((task) => task.id);
      const error = new DagError({
        code: 'DEADLOCK',
        message: `No task can run and none is running, but ${pending.length} never can: ${pending.slice(0, 10).join(', ')}.`,
        details: { pending },
      });
      this.stopping = { state: 'failed', error: error.toJSON(), skipReason: 'runFailed' };
    }
    this.#finishing = true;
    this.#finish().then(
      (run) => this.#resolveFinished(run),
      (error: unknown) => this.detach(error instanceof Error ? error : new Error(String(error))),
    );
  }

  /** A task failed for good: journal it, skip what is downstream, apply the failure policy. */
  async failTask(task: TaskRuntime, error: unknown, attempt: number, before: readonly RuntimeEventInput[]): Promise<void> {
    const info = toErrorInfo(error);
    const events: RuntimeEventInput[] = [...before];
    const budgetRefused = BudgetError.isInstance(error) && error.code === 'BUDGET_EXCEEDED';
    if (budgetRefused) {
      const details = error.details;
      events.push({
        type: 'budget.exceeded',
        taskId: task.id,
        scope: String(details.scope),
        limitUsd: Number(details.limitUsd),
        spentUsd: Number(details.spentUsd),
        reservedUsd: Number(details.reservedUsd),
        requestedUsd: Number(details.requestedUsd),
      });
    }
    task.state = 'failed';
    task.error = info;
    task.endedAt = this.journal.now();
    events.push({ type: 'task.failed', taskId: task.id, attempt, error: info, usage: usageView(task.usage, task.cost) });
    const changed = [taskRecord(this.id, task)];
    for (const skippedId of this.scheduler.fail(task.id)) {
      const skipped = this.tasks.get(skippedId) as TaskRuntime;
      skipped.state = 'skipped';
      skipped.endedAt = task.endedAt;
      changed.push(taskRecord(this.id, skipped));
      events.push({ type: 'task.skipped', taskId: skippedId, reason: 'dependencyFailed', dependency: task.id });
    }
    // Queued first, so the failure is journaled before anything the stop causes; the stop itself
    // happens now, not after the write: nothing new may start once a task has failed.
    const written = this.journal.commit(undefined, changed, events);
    if (budgetRefused) {
      // In-flight calls already hold their worst case: let them finish, start nothing new.
      this.stop({ state: 'failed', error: info, skipReason: 'runFailed' });
    } else if (this.failurePolicy === 'failFast') {
      this.stop(
        { state: 'failed', error: info, skipReason: 'runFailed' },
        new ExecutionError({
          code: 'RUN_ABORTED',
          message: `Run stopped because task "${task.id}" failed (failFast).`,
          details: { reason: 'failFast', task: task.id },
        }),
      );
    }
    await written;
  }

  #taskEnded(): void {
    this.#inFlight -= 1;
    this.pump();
  }

  /**
   * Zombie owner: what the dead owner charged since the resume looked (a frozen process whose call
   * answered after the take-over). A ledger failure here is reported, never keeps the run from ending.
   */
  async #lateCharges(): Promise<RecoveredCharge[]> {
    if (this.#unsettled.length === 0) return [];
    try {
      return await recheckCharges(this.options.ledger, this.#unsettled);
    } catch (error) {
      this.options.onBackgroundError?.(error);
      return [];
    }
  }

  async #finish(): Promise<Run> {
    this.#cancelTimer?.();
    const late = await this.#lateCharges();
    const stop = this.stopping;
    const at = this.journal.now();
    const events: RuntimeEventInput[] = applyCharges(late);
    const changed: TaskRecord[] = [];
    const recharged = new Set(late.map((charge) => charge.task));
    // An attempt that broke on a store failure may have left its task running in memory.
    for (const task of this.tasks.values()) {
      if (task.state !== 'running') continue;
      task.state = 'failed';
      task.error = stop?.error ?? toErrorInfo(new Error('The run stopped.'));
      task.endedAt = at;
      task.reservationId = undefined;
      recharged.delete(task);
      changed.push(taskRecord(this.id, task));
      events.push({ type: 'task.failed', taskId: task.id, attempt: task.attempts, error: task.error, usage: usageView(task.usage, task.cost) });
    }
    for (const id of this.scheduler.skipNotStarted()) {
      const task = this.tasks.get(id) as TaskRuntime;
      task.state = 'skipped';
      task.endedAt = at;
      recharged.delete(task);
      changed.push(taskRecord(this.id, task));
      events.push({ type: 'task.skipped', taskId: id, reason: stop?.skipReason ?? 'runFailed' });
    }
    for (const task of recharged) changed.push(taskRecord(this.id, task));
    let state: RunState;
    let error: ErrorInfo | undefined;
    if (stop !== undefined) {
      state = stop.state;
      error = stop.error;
    } else {
      const failed = [...this.tasks.values()].filter((task) => task.state === 'failed').sort((a, b) => a.index - b.index)[0];
      state = failed === undefined ? 'completed' : 'failed';
      error = failed?.error;
    }
    const sum = totals([...this.tasks.values()]);
    const usage = usageView(sum.usage, sum.cost);
    if (state === 'completed') events.push({ type: 'run.completed', usage });
    else if (state === 'aborted') events.push({ type: 'run.aborted', usage, ...(stop?.reason === undefined ? {} : { reason: stop.reason }) });
    else events.push({ type: 'run.failed', error: error ?? toErrorInfo(new Error('Run failed.')), usage });
    const change = { state, ...(error === undefined ? {} : { error }) };
    await this.journal.commitFinal(change, changed, events);
    reportCharges(this.options.usage, this.id, late);
    this.record = { ...this.record, ...change, updatedAt: this.journal.now(), lastSeq: this.journal.seq };
    this.journal.listeners.clear();
    return this.view();
  }

  /**
   * An attempt rejected: its journal write failed (or a bug). A lost lease detaches the loop at
   * once; any other failure stops the run `failed` (in-flight calls aborted), and the final write
   * still tries to record that.
   */
  #attemptBroke(error: unknown): void {
    this.#inFlight -= 1;
    this.broke(error);
  }

  /** A journal write failed for good, or an attempt broke: see {@link RunLoop.detach}. */
  broke(error: unknown): void {
    if (this.#detached !== undefined) return;
    const failure = this.journal.failure ?? (error instanceof Error ? error : new Error(String(error)));
    if (isLeaseLost(failure)) {
      this.detach(failure);
      return;
    }
    const typed = RuntimeError.isInstance(failure)
      ? failure
      : new InternalError({ code: 'INTERNAL', message: `The run loop failed: ${failure.message}`, details: {}, cause: failure });
    this.stop({ state: 'failed', error: typed.toJSON(), skipReason: 'runFailed' }, typed);
    // stop() does not pump when the run was already stopping: the slot freed here may be the last.
    this.pump();
  }

  /**
   * Stops executing the run in this process without ending it (lease lost, store unusable,
   * orchestrator closed): in-flight calls are aborted, nothing more is written, live event feeds
   * end with `error`, and `finished` rejects with it. Idempotent.
   */
  detach(error: Error): void {
    if (this.#detached !== undefined) return;
    this.#detached = error;
    this.#finishing = true;
    this.#cancelTimer?.();
    // Sealed before the abort: the failures the abort causes must not be journaled.
    const sealed = this.journal.seal(error);
    if (!this.controller.signal.aborted) this.controller.abort(error);
    this.#rejectFinished(error);
    sealed.then(
      () => this.journal.end(error),
      (sealError: unknown) => this.options.onBackgroundError?.(sealError),
    );
    this.#onDetached?.(this, error);
  }
}

/** The ledger scope of a run. */
export function runScope(runId: RunId): string {
  return `run:${runId}`;
}

