/**
 * One run in this process: dispatches ready tasks into free slots, reacts to each task's end, and
 * journals every transition before it takes effect outside (events, dependents starting).
 */
import {
  BudgetError,
  DagError,
  ExecutionError,
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
  type RuntimeError,
  type RuntimeEventInput,
  type SkipReason,
  type TaskId,
  type TaskRecord,
} from '@runtime/contracts';
import type { OrchestratorOptions } from '../orchestrator-options.js';
import { createParallelExecutor } from '../parallel-executor.js';
import type { DagScheduler } from '../scheduler.js';
import type { RunJournal } from './run-journal.js';
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
  readonly owner: string;
}

export class RunLoop {
  readonly id: RunId;
  readonly options: OrchestratorOptions;
  readonly owner: string;
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
  #finishing = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly finished: Promise<Run>;
  #resolveFinished: (run: Run) => void = () => undefined;
  #rejectFinished: (error: unknown) => void = () => undefined;

  constructor(init: RunLoopInit) {
    this.id = init.record.id;
    this.record = init.record;
    this.options = init.options;
    this.owner = init.owner;
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
      this.#timer = setTimeout(() => {
        const error = new ExecutionError({
          code: 'RUN_TIMEOUT',
          message: `The run did not finish within ${timeoutMs} ms.`,
          details: { timeoutMs },
        });
        this.stop({ state: 'failed', error: error.toJSON(), skipReason: 'runFailed' }, error);
      }, timeoutMs);
    }
    this.pump();
  }

  get inFlight(): number {
    return this.#inFlight;
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
    this.pump();
  }

  /** Fills free slots with ready tasks; finishes the run when nothing is left to do. */
  pump(): void {
    if (this.#finishing) return;
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
            this.#fatal(error);
          },
        );
      }
    }
    if (this.#inFlight > 0) return;
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
      (error: unknown) => this.#fatal(error),
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
    await this.journal.commit(undefined, changed, events);
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
  }

  #taskEnded(): void {
    this.#inFlight -= 1;
    this.pump();
  }

  async #finish(): Promise<Run> {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    const stop = this.stopping;
    const at = this.journal.now();
    const events: RuntimeEventInput[] = [];
    const changed: TaskRecord[] = [];
    for (const id of this.scheduler.skipNotStarted()) {
      const task = this.tasks.get(id) as TaskRuntime;
      task.state = 'skipped';
      task.endedAt = at;
      changed.push(taskRecord(this.id, task));
      events.push({ type: 'task.skipped', taskId: id, reason: stop?.skipReason ?? 'runFailed' });
    }
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
    await this.journal.commit(change, changed, events);
    this.record = { ...this.record, ...change, updatedAt: this.journal.now(), lastSeq: this.journal.seq };
    this.journal.listeners.clear();
    return this.view();
  }

  #fatal(error: unknown): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.controller.abort(error);
    this.#finishing = true;
    this.#rejectFinished(error);
  }
}

/** The ledger scope of a run. */
export function runScope(runId: RunId): string {
  return `run:${runId}`;
}

