/**
 * The collaborators and settings of {@link createOrchestrator}.
 *
 * @remarks
 * Every collaborator is a contract interface; the composition root (`@runtime/stack`) wires the
 * default implementations. Optional ones are skipped when absent.
 */
import type {
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
  UsageTracker,
} from '@runtime/contracts';

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
   * release that fails (its lease returns the amount later). @defaultValue `process.emitWarning`
   */
  readonly onBackgroundError?: (error: unknown) => void;
}
