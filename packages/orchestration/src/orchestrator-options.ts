/**
 * The collaborators and settings of {@link createOrchestrator}.
 *
 * @remarks
 * Every collaborator is a contract interface; the composition root (`@runtime/stack`) wires the
 * default implementations. Optional ones are skipped when absent.
 */
import type {
  AgentLimits,
  AgentRunner,
  ErrorInfo,
  Orchestrator,
  RunId,
  BudgetLedger,
  Clock,
  ContextBuilder,
  ContextCompactor,
  ContextRouter,
  CostCalculator,
  DependencyResolver,
  LlmClient,
  MemoryStore,
  ModelCatalog,
  PolicyEnforcer,
  RunStore,
  TokenEstimator,
  ToolRegistry,
  UsageTracker,
} from '@runtime/contracts';

/**
 * How agent tasks (`TaskSpec.agent`) run: the loop runner and the tools it may call.
 * @public
 */
export interface AgentOptions {
  /** Runs each agent task's loop (`createAgentRunner` of `@runtime/agent`). */
  readonly runner: AgentRunner;
  /** The tools agent tasks may name; unknown names are refused at `start`/`addTasks`. */
  readonly tools: ToolRegistry;
  /**
   * Tier limits applied to every agent loop: `maxToolCallsPerRun` (counted across the run's agent
   * tasks), `maxDepth` (nested agents), `allowedTools`. `maxSteps` here is the default of a task
   * without `agent.maxSteps`. @defaultValue no limits beyond `DEFAULT_AGENT_MAX_STEPS`
   */
  readonly limits?: AgentLimits;
}

/**
 * Options of {@link createOrchestrator}.
 * @public
 */
export interface OrchestratorOptions {
  /** Resolves each task's model (`model`, else `tier`, else the default model). */
  readonly catalog: ModelCatalog;
  /** Counts prompt tokens for the worst-case estimate. */
  readonly estimator: TokenEstimator;
  /** Prices the worst case before a call and the actual usage after it. */
  readonly costs: CostCalculator;
  /** Holds each call's worst case before it is made; settles or releases it after. */
  readonly ledger: BudgetLedger;
  /** Receives every priced call, for billing reports. */
  readonly usage?: UsageTracker;
  /** Assembles each task's messages. */
  readonly builder: ContextBuilder;
  /** Fits a context that is too large into the window. */
  readonly compactor: ContextCompactor;
  /** Delivers dependency outputs to dependents. */
  readonly router: ContextRouter;
  /** Run memory for tasks that name `memory` keys. */
  readonly memory?: MemoryStore;
  /** The model calls (pass a resilient client: retries are its job, reported through `onRetry`). */
  readonly llm: LlmClient;
  /** Rate limits and guard rails checked before each call. */
  readonly policy?: PolicyEnforcer;
  /** The journal. */
  readonly store: RunStore;
  /** Time source for timestamps. @defaultValue `systemClock` */
  readonly clock?: Clock;
  /** Graph validation. @defaultValue `createDependencyResolver()` */
  readonly resolver?: DependencyResolver;
  /**
   * Identifies this process as the holder of runs and budget reservations, so a successor can
   * release a crashed holder's reservations. @defaultValue `<hostname>:<pid>:<random>`
   */
  readonly owner?: string;
  /** Output cap of a task without `maxOutputTokens` (also capped by its model). @defaultValue 4096 */
  readonly defaultMaxOutputTokens?: number;
  /** `maxParallelism` of a run whose policy does not set it. @defaultValue 4 */
  readonly defaultMaxParallelism?: number;
  /** Lease of each budget reservation in ms. @defaultValue 600000 */
  readonly reservationLeaseMs?: number;
  /** Most unfinished tasks a run may hold; `addTasks` beyond it fails with `QUEUE_FULL`. @defaultValue 100000 */
  readonly maxPendingTasks?: number;
  /** Retry hint of `QUEUE_FULL` in ms. @defaultValue 1000 */
  readonly queueRetryAfterMs?: number;
  /** How often `wait` re-reads the store for a run this process does not run. @defaultValue 250 */
  readonly waitPollMs?: number;
  /** Generates run ids. @defaultValue `crypto.randomUUID()` */
  readonly generateRunId?: () => string;
  /**
   * Called with errors that must not stop a run: an event listener that throws, a reservation
   * release that fails (its lease returns the amount later), a lease renewal that failed; and with
   * the error that stopped a run in this process without ending it (`LEASE_LOST`: another process
   * took it over; `STORE_ERROR`: the store stayed unwritable, the run is parked).
   * @defaultValue `process.emitWarning`
   */
  readonly onBackgroundError?: (error: unknown) => void;
  /**
   * How long a run's owner lease lasts without a renewal, in ms. Another process may take a run
   * over (resume it) only once its lease has expired, so this is also how long a crashed process's
   * runs wait before another one continues them. @defaultValue 30000
   */
  readonly leaseTtlMs?: number;
  /**
   * How often the heartbeat renews the leases of the runs this process executes, in ms (one
   * unref'd timer for all of them); less than `leaseTtlMs`. @defaultValue `leaseTtlMs / 3`
   */
  readonly leaseRenewMs?: number;
  /**
   * How often the owner of runs polls the store's request inbox (`RunStore.claimRequests`, one
   * query per tick for all its runs) for `abort`, `addTasks` and `provideInput` asked through other
   * processes, in ms. One unref'd timer, stopped by `close()`; no query while nothing runs here.
   * @defaultValue 100
   */
  readonly inboxPollMs?: number;
  /**
   * How often a process that asked another process's run for a change (`abort`, `addTasks`,
   * `provideInput` of a run another live process holds) reads the request's outcome, in ms.
   * @defaultValue 50
   */
  readonly requestPollMs?: number;
  /**
   * Longest wait for the owner's answer to such a request, in ms; then `RUN_OWNED` (with
   * `details.requestId`). A request nobody claimed is withdrawn, and applied here after a take-over,
   * as soon as the owner's lease expires. @defaultValue `2 × leaseTtlMs`
   */
  readonly requestTimeoutMs?: number;
  /** Retries of a journal write that failed with a transient `STORE_ERROR`. @defaultValue see {@link StoreRetryOptions} */
  readonly storeRetry?: StoreRetryOptions;
  /**
   * Agent tasks: without it a task with `agent` (or `tools`) is refused at `start`/`addTasks` with
   * `VALIDATION_FAILED`.
   */
  readonly agents?: AgentOptions;
}

/**
 * An optional capability of a {@link @runtime/contracts#RunStore} (not part of the contract): wakes
 * the owner of runs as soon as a request is posted for one of them, instead of at its next
 * `inboxPollMs` tick. The PostgreSQL store has it (`LISTEN`/`NOTIFY` on a dedicated connection);
 * the orchestrator uses it when present and keeps polling as the fallback.
 * @public
 */
export interface RunRequestNotifier {
  /**
   * Calls `wake` (best effort, possibly more than once) soon after a request is posted for a run
   * whose lease `owner` holds. Resolves once listening, with a function that stops it.
   */
  watchRequests(owner: string, wake: () => void): Promise<() => Promise<void>>;
}

/**
 * Retries of a journal write that failed with a retryable `STORE_ERROR` (a lock, a lost
 * connection): exponential backoff from `baseDelayMs`, doubling, capped at `maxDelayMs`.
 * @public
 */
export interface StoreRetryOptions {
  /** Retries after the first failure. @defaultValue 6 */
  readonly retries?: number;
  /** First delay in ms. @defaultValue 25 */
  readonly baseDelayMs?: number;
  /** Longest delay in ms. @defaultValue 2000 */
  readonly maxDelayMs?: number;
}

/**
 * What {@link DurableOrchestrator.resumeAll} did.
 * @public
 */
export interface ResumeReport {
  /** Runs now executing in this process. */
  readonly resumed: readonly RunId[];
  /** Runs another process took first (`RUN_OWNED`). */
  readonly owned: readonly RunId[];
  /** Runs that could not be resumed, with why. */
  readonly failed: readonly { readonly runId: RunId; readonly error: ErrorInfo }[];
}

/**
 * The store as the orchestrator last found it, for a health endpoint.
 * @public
 */
export interface StoreHealth {
  /** Whether the store answered the probe and its last write succeeded. */
  readonly healthy: boolean;
  /** ISO-8601 time of the probe. */
  readonly checkedAt: string;
  /** ISO-8601 time of the last write the store took, if any. */
  readonly lastWriteAt?: string;
  /** The last store failure, while not healthy. */
  readonly error?: ErrorInfo;
  /** Runs this process executes. */
  readonly activeRuns: number;
  /** Runs stopped here because the store stayed unwritable; resumed automatically when it works again. */
  readonly parkedRuns: number;
}

/**
 * The {@link @runtime/contracts#Orchestrator} of this package, with the calls a host makes at
 * start-up, in its health check and at shutdown.
 * @public
 */
export interface DurableOrchestrator extends Orchestrator {
  /** This process's owner id (in leases and reservation holders). */
  readonly owner: string;
  /**
   * Resumes every unfinished run whose lease is absent or expired (`RunStore.findResumableRuns`):
   * what a host calls at start-up, after it listens. Runs another process holds are left alone.
   * @param options - `limit`: most runs looked at. @defaultValue 100
   */
  resumeAll(options?: { readonly limit?: number }): Promise<ResumeReport>;
  /**
   * Keeps resuming in the background: calls {@link DurableOrchestrator.resumeAll} every `intervalMs`,
   * so a run whose owner died — or that this process ran before a restart, under its previous
   * owner id — is continued as soon as its lease expires. One unref'd timer (calling again replaces
   * it); stopped by `close()`. A run that cannot be resumed is reported to `onBackgroundError`.
   * @param options - `intervalMs` @defaultValue `leaseTtlMs`; `limit` per sweep @defaultValue 100;
   * `onSweep`: called with each sweep's report (e.g. to watch the runs it resumed)
   */
  watchResumable(options?: { readonly intervalMs?: number; readonly limit?: number; readonly onSweep?: (report: ResumeReport) => void }): void;
  /**
   * Probes the store with a real write that touches no run ({@link @runtime/contracts#RunStore.checkWrite}),
   * combined with the outcome of the last journal write while runs are active or parked. For `/healthz`.
   */
  checkStore(): Promise<StoreHealth>;
  /**
   * Graceful shutdown: stops executing every run (in-flight calls are aborted, their tasks run
   * again on resume), writes what is queued, releases the leases so another process resumes the
   * runs at once, and stops the heartbeat. Idempotent. The store is not closed (the host owns it).
   */
  close(): Promise<void>;
}
