/**
 * What the HTTP layer needs from the domain, as contract interfaces only.
 *
 * @remarks
 * Built from `@runtime/stack`'s `createRuntime` by {@link createSidecarRuntime}; tests may build
 * it from any implementation of the contracts.
 */
import type {
  CostCalculator,
  ModelCatalog,
  Orchestrator,
  RateLimiter,
  Run,
  RunId,
  RunSpec,
  RunStore,
  TierPolicy,
  TokenEstimator,
  ToolRegistry,
  UsageTracker,
} from '@runtime/contracts';
import type { RuntimeRunOptions } from '@runtime/stack';
import type { ThrottleTracker } from './throttle-tracker.js';

/**
 * Reachability of one dependency.
 * @public
 */
export interface DependencyHealth {
  /** Whether it answered. */
  readonly ok: boolean;
  /** What it is (`sqlite`, `postgres`, `memory`, `redis`). */
  readonly kind?: string;
  /** Why not. */
  readonly error?: string;
}

/**
 * What {@link SidecarRuntime.resumeInterrupted} did.
 * @public
 */
export interface ResumeOutcome {
  /** Runs now executing here. */
  readonly resumed: readonly RunId[];
  /** Runs another live process holds. */
  readonly owned: readonly RunId[];
  /** Runs that could not be resumed. */
  readonly failed: readonly { readonly runId: RunId; readonly error: unknown }[];
}

/**
 * The domain services behind the HTTP API.
 * @public
 */
export interface SidecarRuntime {
  /** Runs DAGs. */
  readonly orchestrator: Orchestrator;
  /**
   * Starts a run with its `runtime.run` span under `options.traceParent` (the request's W3C trace
   * context). @defaultValue `orchestrator.start` (untraced)
   */
  readonly start?: (spec: RunSpec, options?: RuntimeRunOptions) => Promise<Run>;
  /** The journal (tenant of a run, listing, idempotency keys, resume). */
  readonly store: RunStore;
  /** Models and role mapping. */
  readonly catalog: ModelCatalog;
  /** Token counts for `/v1/estimate`. */
  readonly estimator: TokenEstimator;
  /** Prices. */
  readonly calculator: CostCalculator;
  /** Usage and cost of the calls of this process's most recent runs (1,000), by run, task, model and tier. */
  readonly usage: UsageTracker;
  /** Per-tenant request limits of the tiers. */
  readonly rateLimiter: RateLimiter;
  /** Tier table (built-in defaults merged with config overrides). */
  readonly tiers: Readonly<Record<string, TierPolicy>>;
  /**
   * The configured agent tools (config `tools` and `httpGet`); a task naming a tool not here is
   * refused with 422. Absent: no tools, every tool name is refused.
   */
  readonly tools?: ToolRegistry;
  /** Rate-limit waits of tasks (the `waiting` of task views); absent: none shown. */
  readonly throttles?: ThrottleTracker;
  /**
   * Budget scopes above the run that every run of `tenant` also charges (`tenant:<name>` when the
   * config gives the tenant a budget). @defaultValue none
   */
  readonly parentScopes?: (tenant: string) => readonly string[];
  /** Provider calls sent and not yet answered. */
  readonly callsInFlight: number;
  /**
   * Graceful shutdown: from now on new provider calls are held (their tasks stay `running` and are
   * retried when the run is resumed); calls in flight finish.
   */
  drain(): void;
  /**
   * Resumes the unfinished runs nobody else executes (absent or expired owner lease). Called once
   * the server listens, then periodically (a dead owner's lease expires later).
   */
  resumeInterrupted(): Promise<ResumeOutcome>;
  /** Store and Redis reachability. */
  health(): Promise<Readonly<Record<string, DependencyHealth>>>;
  /** Releases connections and files. */
  close(): Promise<void>;
}
