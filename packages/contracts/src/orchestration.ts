/**
 * Interfaces of the orchestration domain: resolving, scheduling and running a DAG, and the
 * durable journal of runs.
 *
 * @remarks
 * Implemented by `@runtime/orchestration`; the sidecar and the composition root use them.
 */
import type { ErrorInfo } from './errors.js';
import type { RuntimeEvent } from './events.js';
import type { AgentInputResponse } from './agent.js';
import type { ReservationId, RunId, TaskId } from './ids.js';
import type { Money } from './money.js';
import type { ResultSource } from './llm.js';
import type { Dag, Run, RunSpec, RunState, Task, TaskSpec, TaskState, TaskWaiting } from './run.js';
import type { Usage, UsageAdjustment } from './usage.js';

/**
 * Validates task graphs.
 * @public
 */
export interface DependencyResolver {
  /**
   * Validates `tasks` (plus, for tasks added to a running run, the ids already in it) and resolves
   * them into a {@link Dag} that contains both.
   * @throws {@link DagError} `DUPLICATE_TASK_ID`, `UNKNOWN_DEPENDENCY`, `DAG_CYCLE` (self-dependency
   * is a cycle of one: `[a, a]`); {@link ValidationError} for malformed ids.
   */
  resolve(tasks: readonly TaskSpec[], existing?: Dag): Dag;
}

/**
 * Decides which task runs next.
 * @public
 */
export interface Scheduler {
  /** Adds tasks (a resolved DAG, or a delta of one); tasks whose deps are done become ready at once. */
  add(dag: Dag): void;
  /** The next ready task (longest critical path first, then id), now marked running; or undefined. */
  next(): TaskId | undefined;
  /** Marks a running task completed; returns the tasks that became ready. */
  complete(id: TaskId): readonly TaskId[];
  /** Marks a running task failed; returns the tasks now unreachable (downstream of it). */
  fail(id: TaskId): readonly TaskId[];
  /** Puts a running task back into the ready set (a retry after a crash or requeue). */
  requeue(id: TaskId): void;
  /** A task's scheduling state. */
  state(id: TaskId): TaskState | undefined;
  /** Counts by state. */
  readonly counts: Readonly<Record<TaskState, number>>;
}

/**
 * A bounded FIFO with backpressure.
 * @public
 */
export interface TaskQueue<Item> {
  /**
   * Adds an item.
   * @throws {@link RunStateError} `QUEUE_FULL` (with `details.capacity`, `details.retryAfterMs`)
   * when full — never drops silently.
   */
  enqueue(item: Item): void;
  /** Removes and returns the oldest item. */
  dequeue(): Item | undefined;
  /** Items waiting. */
  readonly size: number;
  /** The most items it holds. */
  readonly capacity: number;
}

/**
 * Options of {@link ParallelExecutor.execute}.
 * @public
 */
export interface ExecuteOptions {
  /** Deadline; when it passes the task's signal aborts and the call rejects with `TASK_TIMEOUT`. */
  readonly timeoutMs?: number;
  /** An outer signal (the run's); aborting it aborts the task. */
  readonly signal?: AbortSignal;
}

/**
 * Runs work with bounded concurrency.
 * @public
 */
export interface ParallelExecutor {
  /**
   * Runs `work` when a slot is free; `work` gets a signal that aborts on timeout or outer abort.
   * @throws {@link ExecutionError} `TASK_TIMEOUT` or `RUN_ABORTED`, or what `work` throws.
   */
  execute<Result>(work: (signal: AbortSignal) => Promise<Result>, options?: ExecuteOptions): Promise<Result>;
  /** Work running now. */
  readonly active: number;
  /** Work waiting for a slot. */
  readonly pending: number;
  /** The concurrency bound. */
  readonly maxParallelism: number;
}

/**
 * Options of {@link Orchestrator.start}.
 * @public
 */
export interface StartRunOptions {
  /** Use this id instead of a generated one. */
  readonly runId?: RunId;
  /** Tenant owning the run. @defaultValue `'default'` */
  readonly tenant?: string;
  /** Outer budget scopes the run also charges (e.g. `tenant:acme`). */
  readonly parentScopes?: readonly string[];
}

/**
 * Runs DAGs of LLM tasks.
 * @public
 */
export interface Orchestrator {
  /**
   * Validates and starts a run; resolves once it is journaled (the run goes on in the background).
   * @throws {@link DagError}, {@link ValidationError}, {@link ModelError}, {@link BudgetError}
   * (when no task could ever fit the budget).
   */
  start(spec: RunSpec, options?: StartRunOptions): Promise<Run>;
  /** The run's current view, or undefined. */
  get(runId: RunId): Promise<Run | undefined>;
  /**
   * Adds tasks to a running run (deps may name existing tasks).
   * @throws {@link RunStateError} `RUN_NOT_FOUND`, `RUN_NOT_RUNNING`, `QUEUE_FULL`; {@link DagError}.
   */
  addTasks(runId: RunId, tasks: readonly TaskSpec[]): Promise<Run>;
  /**
   * Aborts a run: running tasks fail with `RUN_ABORTED`, others are skipped. Idempotent.
   * @throws {@link RunStateError} `RUN_NOT_FOUND`.
   */
  abort(runId: RunId, reason?: string): Promise<Run>;
  /** Resolves with the run's final view once it reaches a terminal state. */
  wait(runId: RunId): Promise<Run>;
  /**
   * Continues a run left unfinished by a crashed process: completed tasks are kept, in-flight ones
   * retried, the dead holder's reservations released.
   * @throws {@link RunStateError} `RUN_NOT_FOUND`.
   */
  resume(runId: RunId): Promise<Run>;
  /**
   * Answers an agent task waiting for a human (`task.input_required`): approves or rejects the tool
   * call it waits on, or answers its question. The answer is journaled before the task goes on, so
   * it survives a restart. Resolves with the task's view once the answer is journaled.
   * @throws {@link RunStateError} `RUN_NOT_FOUND`; `RUN_NOT_RUNNING` when the task is not waiting
   * for input (`details.state`); {@link ValidationError} `VALIDATION_FAILED` for an unknown task or
   * an answer of the wrong kind (a text answer to an approval, or a decision to a question).
   */
  provideInput(runId: RunId, taskId: TaskId, response: AgentInputResponse): Promise<Task>;
  /** Events from `afterSeq` (exclusive), replayed from the store then live, ending after the terminal event. */
  events(runId: RunId, afterSeq?: number): AsyncIterable<RuntimeEvent>;
  /** Calls `listener` for each new event of a run; returns an unsubscribe function. */
  subscribe(runId: RunId, listener: (event: RuntimeEvent) => void): () => void;
}

/**
 * Ownership of a run: only the holder of the current lease executes it and writes its journal.
 *
 * @remarks
 * A lease is taken when a run is created or resumed and renewed by heartbeat. Another process may
 * take it over only once `expiresAt` has passed; each take-over increments `epoch`, and every
 * {@link RunCommit} is fenced by `(owner, epoch)`, so a stale owner that wakes up can no longer write.
 * @public
 */
export interface RunLease {
  /** The owning process (unique per process start). */
  readonly owner: string;
  /** Increments at every acquisition; fences commits. */
  readonly epoch: number;
  /** Epoch milliseconds after which another owner may take the run over. */
  readonly expiresAt: number;
}

/**
 * A run as journaled.
 * @public
 */
export interface RunRecord {
  /** Run id. */
  readonly id: RunId;
  /** Owner tenant. */
  readonly tenant: string;
  /** The submitted spec (tasks added later are in the task records, not here). */
  readonly spec: RunSpec;
  /** State. */
  readonly state: RunState;
  /** ISO-8601. */
  readonly createdAt: string;
  /** ISO-8601. */
  readonly updatedAt: string;
  /** Why it failed or was aborted. */
  readonly error?: ErrorInfo;
  /** Budget limit of the run. */
  readonly budgetLimit?: Money;
  /** Outer budget scopes. */
  readonly parentScopes?: readonly string[];
  /** Process that runs it (for resume after its crash); equals `lease.owner` when leased. */
  readonly owner?: string;
  /** The current owner lease; absent for a run no process owns (terminal, or released). */
  readonly lease?: RunLease;
  /** Idempotency key, unique per tenant. */
  readonly idempotencyKey?: string;
  /** Hash of the request body that created it (for `IDEMPOTENCY_CONFLICT`). */
  readonly requestHash?: string;
  /** Last event seq written. */
  readonly lastSeq: number;
}

/**
 * A task as journaled.
 * @public
 */
export interface TaskRecord {
  /** The run. */
  readonly runId: RunId;
  /** Task id. */
  readonly id: TaskId;
  /** Position in the run (submission order). */
  readonly index: number;
  /** The spec. */
  readonly spec: TaskSpec;
  /** State. */
  readonly state: TaskState;
  /** Catalog model id. */
  readonly model: string;
  /** Attempts started. */
  readonly attempts: number;
  /** Output once completed. */
  readonly output?: string;
  /** Error once failed or skipped. */
  readonly error?: ErrorInfo;
  /** Usage of all its calls. */
  readonly usage: Usage;
  /** Exact cost of all its calls. */
  readonly cost: Money;
  /** Open reservation while running. */
  readonly reservationId?: ReservationId;
  /** ISO-8601. */
  readonly startedAt?: string;
  /** ISO-8601. */
  readonly endedAt?: string;
  /** Why it waits, while `state` is `waiting`. */
  readonly waiting?: TaskWaiting;
  /** `dedup` or `cache` when its result was not a billed provider call. */
  readonly source?: ResultSource;
  /** Changes made to impossible provider-reported usage before it was charged. */
  readonly usageAdjusted?: readonly UsageAdjustment[];
}

/**
 * One atomic journal write: run fields, task records and events land together or not at all.
 * @public
 */
export interface RunCommit {
  /** Changed run fields. */
  readonly run?: Partial<Pick<RunRecord, 'state' | 'updatedAt' | 'error' | 'owner'>>;
  /** Task records to insert or replace. */
  readonly tasks?: readonly TaskRecord[];
  /** Events to append; their `seq` must continue the run's sequence with no gap. */
  readonly events?: readonly RuntimeEvent[];
  /**
   * The writer's lease: the commit is refused with `LEASE_LOST` (nothing written) unless the run's
   * current lease has this owner and epoch. Omitted only by single-process tools and tests.
   */
  readonly fence?: Pick<RunLease, 'owner' | 'epoch'>;
}

/**
 * Query of {@link RunStore.listRuns}.
 * @public
 */
export interface RunListQuery {
  /** Owner tenant. */
  readonly tenant: string;
  /** Only runs in this state. */
  readonly state?: RunState;
  /** Page size. @defaultValue 20 */
  readonly limit?: number;
  /** Opaque cursor from a previous page. */
  readonly cursor?: string;
}

/**
 * A page of runs, newest first.
 * @public
 */
export interface RunListPage {
  /** The runs. */
  readonly items: readonly RunRecord[];
  /** Cursor of the next page, or null at the end. */
  readonly nextCursor: string | null;
}

/**
 * What a {@link RunRequest} asks the owner of a run to do, with its arguments.
 * @public
 */
export type RunRequestBody =
  | { readonly kind: 'abort'; readonly reason?: string }
  | { readonly kind: 'addTasks'; readonly tasks: readonly TaskSpec[] }
  | { readonly kind: 'provideInput'; readonly taskId: TaskId; readonly response: AgentInputResponse };

/**
 * A change to a run asked by a process that does not own it (another replica), handed to the
 * owner through the store: the owner claims it, applies it as if it had been asked directly, and
 * records the outcome the asking process waits for.
 * @public
 */
export interface RunRequest {
  /** Unique id, chosen by the asking process. */
  readonly id: string;
  /** The run. */
  readonly runId: RunId;
  /** What is asked. */
  readonly body: RunRequestBody;
  /** Epoch milliseconds when it was posted. */
  readonly postedAt: number;
}

/**
 * How a {@link RunRequest} ended: the owner's answer (`ok` with the run's or task's view, or the
 * typed error it raised), or `withdrawn` by the asking process before any owner claimed it.
 * @public
 */
export type RunRequestOutcome =
  | { readonly status: 'ok'; readonly value: unknown }
  | { readonly status: 'error'; readonly error: ErrorInfo }
  | { readonly status: 'withdrawn' };

/**
 * A request with where it stands.
 * @public
 */
export interface RunRequestState {
  /** The request. */
  readonly request: RunRequest;
  /** The owner that claimed it, once claimed. */
  readonly claimedBy?: string;
  /** Its outcome, once answered or withdrawn. */
  readonly outcome?: RunRequestOutcome;
}

/**
 * The durable journal of runs: every change is written before it is acknowledged.
 * @public
 */
export interface RunStore {
  /**
   * Creates a run with its tasks and first events.
   * @throws {@link RunStateError} `IDEMPOTENCY_CONFLICT` when the tenant already has a run with the
   * same idempotency key (the caller looks it up first with {@link RunStore.findByIdempotencyKey}).
   */
  createRun(run: RunRecord, tasks: readonly TaskRecord[], events?: readonly RuntimeEvent[]): Promise<void>;
  /**
   * Applies one atomic commit.
   * @throws {@link RunStateError} `RUN_NOT_FOUND`; {@link InternalError} `STORE_ERROR`.
   */
  commit(runId: RunId, commit: RunCommit): Promise<void>;
  /** A run, or undefined. */
  getRun(runId: RunId): Promise<RunRecord | undefined>;
  /** A run's tasks in submission order. */
  getTasks(runId: RunId): Promise<readonly TaskRecord[]>;
  /** A tenant's runs, newest first. */
  listRuns(query: RunListQuery): Promise<RunListPage>;
  /** The tenant's run with this idempotency key, or undefined. */
  findByIdempotencyKey(tenant: string, key: string): Promise<RunRecord | undefined>;
  /** Events with `seq > afterSeq`, in order, at most `limit`. */
  readEvents(runId: RunId, afterSeq?: number, limit?: number): Promise<readonly RuntimeEvent[]>;
  /** Runs in a state across all tenants (resume looks for `running`). */
  findRunsByState(state: RunState): Promise<readonly RunRecord[]>;
  /**
   * Takes the run's lease for `owner` for `ttlMs` from `now` when the run has no lease, its lease
   * expired, or `owner` already holds it; increments the epoch on every take-over by a new owner
   * (a renewal by the same owner keeps it).
   * @returns the new lease, or undefined when another owner holds an unexpired lease.
   * @throws {@link RunStateError} `RUN_NOT_FOUND`.
   */
  acquireLease(runId: RunId, owner: string, ttlMs: number, now: number): Promise<RunLease | undefined>;
  /**
   * Extends a held lease to `now + ttlMs` (heartbeat).
   * @throws {@link RunStateError} `LEASE_LOST` when the run's lease is no longer `(owner, epoch)`.
   */
  renewLease(runId: RunId, lease: Pick<RunLease, 'owner' | 'epoch'>, ttlMs: number, now: number): Promise<RunLease>;
  /** Gives the lease up (graceful shutdown, terminal run); a no-op when it moved on already. */
  releaseLease(runId: RunId, lease: Pick<RunLease, 'owner' | 'epoch'>): Promise<void>;
  /**
   * Non-terminal runs whose lease is absent or expired at `now`: the ones a process may resume.
   * At most `limit` (default 100), oldest first.
   */
  findResumableRuns(now: number, limit?: number): Promise<readonly RunRecord[]>;
  /**
   * Health probe: performs one durable write that touches no run (e.g. a heartbeat row), through
   * the same path as a commit (locks, transactions, disk), so a store that can be read but not
   * written is seen before a run depends on it.
   * @throws {@link InternalError} `STORE_ERROR` (retryable when the cause is transient) when the
   * write fails.
   */
  checkWrite(): Promise<void>;
  /**
   * Posts a request for the run's owner (cross-process `abort`, `addTasks`, `provideInput`).
   * @throws {@link RunStateError} `RUN_NOT_FOUND`; {@link ValidationError} `VALIDATION_FAILED` when
   * the id is already used.
   */
  postRequest(request: RunRequest): Promise<void>;
  /**
   * Claims, for `owner`, the unclaimed and unanswered requests of the runs whose current lease
   * `owner` holds, oldest first, at most `limit` (default 100): each is handed to one claimer once.
   * One query whatever the number of runs (the owner polls it).
   */
  claimRequests(owner: string, limit?: number): Promise<readonly RunRequest[]>;
  /**
   * Records a claimed request's outcome; the first outcome stays (a later one is ignored).
   * @returns whether this outcome was recorded.
   */
  answerRequest(runId: RunId, requestId: string, outcome: Exclude<RunRequestOutcome, { readonly status: 'withdrawn' }>): Promise<boolean>;
  /**
   * Withdraws a request no owner claimed yet (the asking process gave up, or will apply it itself).
   * @returns true when withdrawn; false when it was claimed or answered already (wait for its outcome).
   */
  withdrawRequest(runId: RunId, requestId: string): Promise<boolean>;
  /** A request with where it stands, or undefined. */
  getRequest(runId: RunId, requestId: string): Promise<RunRequestState | undefined>;
  /** Releases resources. */
  close(): Promise<void>;
}
