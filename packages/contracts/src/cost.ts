/**
 * Interfaces of the cost domain: token counting, the model catalog, pricing, budgets and usage.
 *
 * @remarks
 * Implemented by `@runtime/cost`. The orchestrator only ever talks to these interfaces.
 */
import type { ReservationId, RunId, TaskId } from './ids.js';
import type { Message, ToolDefinition } from './message.js';
import type { ModelInfo, ModelRole, TaskTier } from './model.js';
import type { ResultSource } from './llm.js';
import type { Money } from './money.js';
import type { Usage } from './usage.js';

/**
 * Counts tokens the way a model's tokenizer does.
 *
 * @remarks
 * Counts are additive so callers can count once and subtract on each drop:
 * `countMessages(m, model, tools) = Σ countMessage(mᵢ, model) + REPLY_PRIMING_TOKENS + countTools(tools, model)`.
 * Exact for models with a public encoding; otherwise a calibrated over-estimate. Never 0 for
 * non-empty text.
 * @public
 */
export interface TokenEstimator {
  /** Tokens of a bare text. */
  countText(text: string, model: string): number;
  /** Tokens of one message, including the per-message overhead (3, plus 1 for a `name`). */
  countMessage(message: Message, model: string): number;
  /** Tokens of tool definitions as the provider renders them. */
  countTools(tools: readonly ToolDefinition[], model: string): number;
  /** Tokens of a whole prompt: messages + reply priming (3) + tools. */
  countMessages(messages: readonly Message[], model: string, tools?: readonly ToolDefinition[]): number;
  /** Whether counts for this model come from its real tokenizer. */
  isExact(model: string): boolean;
}

/**
 * Tokens that prime the assistant's reply in a chat prompt.
 * @public
 */
export const REPLY_PRIMING_TOKENS = 3;

/**
 * The known models.
 * @public
 */
export interface ModelCatalog {
  /**
   * The model with this id.
   * @throws {@link ModelError} `UNKNOWN_MODEL`.
   */
  get(id: string): ModelInfo;
  /** The model with this id, or `undefined`. */
  find(id: string): ModelInfo | undefined;
  /** Every model, in a stable order. */
  list(): readonly ModelInfo[];
  /**
   * The model for a role: the explicit mapping when set, else the first model of that role, else
   * of the next stronger role, else the default model.
   */
  forRole(role: ModelRole): ModelInfo;
  /** The model for a task tier (1 fast, 2 balanced, 3 flagship), by {@link ModelCatalog.forRole}. */
  forTier(tier: TaskTier): ModelInfo;
  /** The default model. */
  defaultModel(): ModelInfo;
}

/**
 * Cost of a call split by usage component.
 * @public
 */
export interface CostBreakdown {
  /** Uncached input tokens. */
  readonly input: Money;
  /** Cache reads. */
  readonly cacheRead: Money;
  /** Cache writes. */
  readonly cacheWrite: Money;
  /** Non-reasoning output tokens. */
  readonly output: Money;
  /** Reasoning tokens. */
  readonly reasoning: Money;
  /** Sum of the above. */
  readonly total: Money;
}

/**
 * Prices usage exactly.
 * @public
 */
export interface CostCalculator {
  /**
   * Exact cost of a usage on a model (the pricing rule of {@link ModelPricing}).
   * @throws {@link ModelError} `UNKNOWN_MODEL`; {@link ValidationError} for negative or
   * inconsistent usage (subsets larger than their totals).
   */
  cost(model: string, usage: Usage): Money;
  /** The same, by component. */
  breakdown(model: string, usage: Usage): CostBreakdown;
  /**
   * Worst case of a call: all input at the highest input-side rate the model can charge (input, cache
   * write, 1-hour cache write) + `maxOutputTokens` at the highest output rate, so it bounds `cost`.
   */
  worstCase(model: string, inputTokens: number, maxOutputTokens: number): Money;
}

/**
 * Options of {@link BudgetLedger.reserve}.
 * @public
 */
export interface ReserveOptions {
  /** After this many ms without settle/release the reservation expires and returns its amount. @defaultValue 600000 */
  readonly leaseMs?: number;
  /**
   * Caller-chosen id. Reserving an open id again with the same amount and scopes returns that
   * reservation; reserving a closed (settled, released, expired) id fails with `RESERVATION_CLOSED`.
   */
  readonly id?: ReservationId;
  /** Who holds it (e.g. a process id), so a restarted host can release a dead holder's reservations. */
  readonly holder?: string;
  /** For reports and events. */
  readonly runId?: RunId;
  /** For reports and events. */
  readonly taskId?: TaskId;
}

/**
 * An open hold on budget.
 * @public
 */
export interface Reservation {
  /** Id for settle and release. */
  readonly id: ReservationId;
  /** Every scope it holds budget in, outermost first. */
  readonly scopes: readonly string[];
  /** The amount held. */
  readonly amount: Money;
  /** Epoch ms at which the lease expires. */
  readonly expiresAt: number;
  /** Who holds it. */
  readonly holder?: string;
}

/**
 * The outcome of a settle (returned again, unchanged, by a repeated settle).
 * @public
 */
export interface Settlement {
  /** The reservation. */
  readonly id: ReservationId;
  /** The amount that had been reserved. */
  readonly reserved: Money;
  /** The actual amount charged (may exceed `reserved`: money spent is never dropped). */
  readonly actual: Money;
  /** The usage the caller settled with ({@link SettleOptions.usage}), when it gave one. */
  readonly usage?: Usage;
}

/**
 * Options of {@link BudgetLedger.settle}.
 * @public
 */
export interface SettleOptions {
  /**
   * The provider-reported usage behind `actual`, kept with the settlement so that a process resuming
   * the run after a crash can account a call the dead owner answered but never journaled
   * ({@link BudgetLedger.lookup}).
   */
  readonly usage?: Usage;
}

/**
 * State of a reservation as the ledger knows it.
 * @public
 */
export type ReservationState = 'open' | 'settled' | 'released' | 'expired';

/**
 * What the ledger knows of one reservation ({@link BudgetLedger.lookup}).
 * @public
 */
export interface ReservationStatus {
  /** Where it stands. */
  readonly state: ReservationState;
  /** The hold as it was made (with its current lease expiry). */
  readonly reservation: Reservation;
  /** The settlement, once `settled`. */
  readonly settlement?: Settlement;
}

/**
 * A scope's state.
 * @public
 */
export interface BudgetSnapshot {
  /** Scope name, e.g. `run:r1`, `user:u1`, `tenant:acme`. */
  readonly scope: string;
  /** The limit; `null` for a tracked scope without a limit. */
  readonly limit: Money | null;
  /** Settled spend. */
  readonly spent: Money;
  /** Open reservations. */
  readonly reserved: Money;
}

/**
 * Budgets that are never overspent, even with calls in flight.
 *
 * @remarks
 * reserve → settle | release. A reserve fits every named scope atomically or fails without
 * changing anything; `spent + reserved ≤ limit` holds in every scope at every moment, under any
 * concurrency. Scopes nest by naming them together (run ⊂ user ⊂ tenant).
 * @public
 */
export interface BudgetLedger {
  /** Creates a scope or changes its limit (`null`: track without a limit). */
  setLimit(scope: string, limit: Money | null): Promise<void>;
  /**
   * Holds `amount` in every scope until settle, release or lease expiry.
   * @throws {@link BudgetError} `BUDGET_EXCEEDED` ({@link BudgetExceededDetails}) or `UNKNOWN_SCOPE`;
   * {@link ValidationError} for a negative or non-integer amount or bad lease.
   */
  reserve(scopes: readonly string[], amount: Money, options?: ReserveOptions): Promise<Reservation>;
  /**
   * Charges the actual cost and frees the rest. Idempotent: a repeated settle returns the first
   * {@link Settlement}. An actual above the reservation is still charged in full.
   * @throws {@link BudgetError} `RESERVATION_NOT_FOUND`, or `RESERVATION_CLOSED` after a release
   * or expiry.
   */
  settle(id: ReservationId, actual: Money, options?: SettleOptions): Promise<Settlement>;
  /**
   * Extends an open reservation's lease to `leaseMs` from now (default: the lease it was made with),
   * so a call that outlives the lease keeps its hold: a holder renews its reservations while their
   * calls run (heartbeat).
   * @throws {@link BudgetError} `RESERVATION_NOT_FOUND`, or `RESERVATION_CLOSED` once settled,
   * released or expired; {@link ValidationError} for a bad lease.
   */
  renew(id: ReservationId, leaseMs?: number): Promise<Reservation>;
  /**
   * What the ledger knows of a reservation, or `undefined` when it never had it or has forgotten it.
   * A ledger keeps closed reservations at least as long as their scope (memory) or its retention
   * (Redis), so a resumed run can find what its dead owner settled.
   */
  lookup(id: ReservationId): Promise<ReservationStatus | undefined>;
  /**
   * Returns a reservation's amount unspent. Releasing a released or expired reservation is a no-op.
   * @throws {@link BudgetError} `RESERVATION_NOT_FOUND`, or `RESERVATION_CLOSED` after a settle.
   */
  release(id: ReservationId): Promise<void>;
  /** Releases every open reservation of a holder (e.g. a crashed process); returns how many. */
  releaseHolder(holder: string): Promise<number>;
  /**
   * A scope's limit, spend and open reservations.
   * @throws {@link BudgetError} `UNKNOWN_SCOPE`.
   */
  snapshot(scope: string): Promise<BudgetSnapshot>;
}

/**
 * One priced LLM or tool call, attributed for reporting.
 * @public
 */
export interface UsageRecord {
  /** The run. */
  readonly runId: string;
  /** The task. */
  readonly taskId?: string;
  /** Catalog model id (LLM calls). */
  readonly model?: string;
  /** Task tier. */
  readonly tier?: TaskTier;
  /** Tool name (tool calls). */
  readonly tool?: string;
  /** Free-form phase, e.g. `plan`, `implement`, `summarize`. */
  readonly phase?: string;
  /** Tokens (zero for a tool call). */
  readonly usage: Usage;
  /** Exact cost. */
  readonly cost: Money;
  /**
   * Where an LLM result came from. A `dedup` or `cache` result was billed by another call: it is
   * counted in `dedupedCalls` and adds no tokens and no cost to totals.
   * @defaultValue `'provider'`
   */
  readonly source?: ResultSource;
}

/**
 * Usage and cost summed over some records.
 * @public
 */
export interface UsageTotals {
  /** Summed tokens. */
  readonly usage: Usage;
  /** Summed cost. */
  readonly cost: Money;
  /** Number of billed calls (provider results and tool calls). */
  readonly calls: number;
  /** Results served by deduplication or a cache (not billed); absent when there were none. */
  readonly dedupedCalls?: number;
}

/**
 * A billing report: totals and breakdowns that add up exactly to the total.
 * @public
 */
export interface BillingReport {
  /** Everything. */
  readonly total: UsageTotals;
  /** By run id. */
  readonly byRun: Readonly<Record<string, UsageTotals>>;
  /** By task id (`runId/taskId`). */
  readonly byTask: Readonly<Record<string, UsageTotals>>;
  /** By catalog model id (LLM calls only). */
  readonly byModel: Readonly<Record<string, UsageTotals>>;
  /** By tier (`1`, `2`, `3`, or `none`). */
  readonly byTier: Readonly<Record<string, UsageTotals>>;
  /** By tool (tool calls only). */
  readonly byTool: Readonly<Record<string, UsageTotals>>;
  /** By phase (`none` when unset). */
  readonly byPhase: Readonly<Record<string, UsageTotals>>;
}

/**
 * Filter for {@link UsageTracker.report}.
 * @public
 */
export interface UsageFilter {
  /** Only this run. */
  readonly runId?: string;
}

/**
 * Collects priced usage and reports it.
 * @public
 */
export interface UsageTracker {
  /** Adds a record. */
  record(record: UsageRecord): void;
  /** Totals (optionally of one run). */
  totals(filter?: UsageFilter): UsageTotals;
  /** A full report (optionally of one run). */
  report(filter?: UsageFilter): BillingReport;
}
