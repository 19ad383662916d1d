/**
 * The budget guard: wraps any async LLM call in estimate → reserve → call → settle / release.
 *
 * @remarks
 * The worst case (estimated input + `maxOutputTokens` at the highest output rate) is reserved
 * before the call, so concurrent calls can never overshoot a limit. After the call the actual
 * cost is computed from the provider-reported usage and settled; if the call throws, the
 * reservation is released and the error rethrown. Once the call has answered it is billed exactly
 * once, whatever happens next: impossible usage is normalised (`normalizeUsage`, the changes in
 * `usageAdjustments`), missing input usage is estimated from the request (and missing output
 * then as the output cap; `estimated: true`), a transient ledger error on settle is retried (settle is
 * idempotent), and a lease that expired during the call is still charged by the late settle. Only
 * when the usage cannot be read at all (the mapper throws) is the full reservation settled and the
 * error rethrown.
 */
import { RuntimeError, normalizeUsage } from '@runtime/contracts';
import type {
  BudgetLedger,
  CostCalculator,
  Message,
  Money,
  Reservation,
  RunId,
  Settlement,
  TaskId,
  TokenEstimator,
  ToolDefinition,
  Usage,
  UsageAdjustment,
} from '@runtime/contracts';
import { invalid } from './internal/errors.js';

/**
 * Options of {@link withBudget}.
 * @public
 */
export interface WithBudgetOptions<Result> {
  /** The ledger to reserve in. */
  readonly ledger: BudgetLedger;
  /** Prices the worst case and the actual usage. */
  readonly calculator: CostCalculator;
  /** Counts `messages` when `inputTokens` is not given. */
  readonly estimator?: TokenEstimator;
  /** Catalog model id. */
  readonly model: string;
  /** Scopes to hold budget in, outermost first (e.g. `['tenant:acme', 'user:u1']`). */
  readonly scopes: readonly string[];
  /** The prompt, counted with `estimator`. */
  readonly messages?: readonly Message[];
  /** Tools offered, counted with `estimator`. */
  readonly tools?: readonly ToolDefinition[];
  /** Prompt tokens, when already known (wins over `messages`). */
  readonly inputTokens?: number;
  /** The completion cap passed to the provider. */
  readonly maxOutputTokens: number;
  /** Reads the provider-reported usage from the result (e.g. {@link openAiUsage}). */
  readonly usage: (result: Result) => Usage;
  /** Lease of the reservation in ms. @defaultValue the ledger's default */
  readonly leaseMs?: number;
  /** Holder of the reservation. */
  readonly holder?: string;
  /** For reports. */
  readonly runId?: RunId;
  /** For reports. */
  readonly taskId?: TaskId;
}

/**
 * What {@link withBudget} returns.
 * @public
 */
export interface BudgetedCall<Result> {
  /** The call's own result, untouched. */
  readonly result: Result;
  /** Provider-reported usage, normalised; estimated (`estimated: true`) when the provider reported none. */
  readonly usage: Usage;
  /** What {@link @runtime/contracts#normalizeUsage} changed in the reported usage, when anything. */
  readonly usageAdjustments?: readonly UsageAdjustment[];
  /** Its exact cost. */
  readonly cost: Money;
  /** The settled reservation. */
  readonly settlement: Settlement;
}

/**
 * Runs `call` under a budget: reserves the worst case first and refuses (`BUDGET_EXCEEDED`)
 * before any money is spent; settles the actual cost after; releases on failure.
 *
 * @example
 * ```ts
 * const { result, cost } = await withBudget(
 *   { ledger, calculator, estimator, model: 'gpt-4o-mini', scopes: ['user:u1'], messages, maxOutputTokens: 300, usage: openAiUsage },
 *   () => client.chat.completions.create({ model: 'gpt-4o-mini', messages, max_tokens: 300 }),
 * );
 * ```
 * @throws {@link @runtime/contracts#BudgetError} `BUDGET_EXCEEDED` or `UNKNOWN_SCOPE` before calling;
 * {@link @runtime/contracts#ModelError} `UNKNOWN_MODEL`; {@link @runtime/contracts#ValidationError} for bad options; whatever `call` throws.
 * @public
 */
export async function withBudget<Result>(
  options: WithBudgetOptions<Result>,
  call: (reservation: Reservation) => Promise<Result>,
): Promise<BudgetedCall<Result>> {
  const { ledger, calculator, model } = options;
  let inputTokens = options.inputTokens;
  if (inputTokens === undefined) {
    if (options.estimator === undefined || options.messages === undefined) {
      throw invalid('inputTokens', 'give inputTokens, or messages with an estimator');
    }
    inputTokens = options.estimator.countMessages(options.messages, model, options.tools);
  }
  const worstCase = calculator.worstCase(model, inputTokens, options.maxOutputTokens);
  const reservation = await ledger.reserve(options.scopes, worstCase, {
    ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }),
    ...(options.holder === undefined ? {} : { holder: options.holder }),
    ...(options.runId === undefined ? {} : { runId: options.runId }),
    ...(options.taskId === undefined ? {} : { taskId: options.taskId }),
  });
  let result: Result;
  try {
    result = await call(reservation);
  } catch (error) {
    try {
      await ledger.release(reservation.id);
    } catch (releaseError) {
      throw new AggregateError([error, releaseError], 'The call failed and its reservation could not be released.');
    }
    throw error;
  }
  let usage: Usage;
  let cost: Money;
  let usageAdjustments: readonly UsageAdjustment[] | undefined;
  try {
    const normalized = normalizeUsage(options.usage(result));
    usage = normalized.usage;
    if (normalized.adjusted) usageAdjustments = normalized.details;
    if (usage.inputTokens === 0 && inputTokens > 0) {
      // A prompt was sent, so input was not reported: estimate it from the request (and, when the
      // output is missing too, bill the output cap it was reserved for). Never $0 for an answer.
      usage = {
        ...usage,
        inputTokens, // normalised usage with no input has no cached subsets either
        outputTokens: usage.outputTokens === 0 ? options.maxOutputTokens : usage.outputTokens,
        estimated: true,
      };
    }
    cost = calculator.cost(model, usage);
  } catch (error) {
    await settleOnce(ledger, reservation, reservation.amount);
    throw error;
  }
  const settlement = await settleOnce(ledger, reservation, cost);
  return { result, usage, cost, settlement, ...(usageAdjustments === undefined ? {} : { usageAdjustments }) };
}

/** Attempts of a settle that fails with a retryable error (a store blip). */
const SETTLE_ATTEMPTS = 3;

/**
 * Settles once: retries transient errors (settle is idempotent) and accepts a late settle that the
 * ledger charged after the lease expired (`RESERVATION_CLOSED` with `details.charged`).
 */
async function settleOnce(ledger: BudgetLedger, reservation: Reservation, actual: Money): Promise<Settlement> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await ledger.settle(reservation.id, actual);
    } catch (error) {
      if (RuntimeError.isInstance(error) && error.code === 'RESERVATION_CLOSED' && error.details['charged'] === true) {
        return { id: reservation.id, reserved: reservation.amount, actual };
      }
      if (!(RuntimeError.isInstance(error) && error.isRetryable) || attempt >= SETTLE_ATTEMPTS) throw error;
    }
  }
}
