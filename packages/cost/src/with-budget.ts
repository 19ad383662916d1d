/**
 * The budget guard: wraps any async LLM call in estimate → reserve → call → settle / release.
 *
 * @remarks
 * The worst case (estimated input + `maxOutputTokens` at the highest output rate) is reserved
 * before the call, so concurrent calls can never overshoot a limit. After the call the actual
 * cost is computed from the provider-reported usage and settled; if the call throws, the
 * reservation is released and the error rethrown. If the call succeeded but its usage cannot be
 * read, the full reservation is settled (the money was probably spent) and the error rethrown.
 */
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
  /** Provider-reported usage. */
  readonly usage: Usage;
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
  try {
    usage = options.usage(result);
    cost = calculator.cost(model, usage);
  } catch (error) {
    await ledger.settle(reservation.id, reservation.amount);
    throw error;
  }
  const settlement = await ledger.settle(reservation.id, cost);
  return { result, usage, cost, settlement };
}
