/**
 * The `--json` form of a billing summary (USD numbers, exact to 1e-9).
 */
import { moneyToUsd } from '@runtime/contracts';
import type { BillingSummary } from './billing-summary.js';

/**
 * JSON-safe billing.
 * @public
 */
export interface BillingJson {
  /** Total cost in USD. */
  readonly totalUsd: number;
  /** Flagship model of the comparison. */
  readonly flagshipModel: string;
  /** Total with every task on the flagship model. */
  readonly flagshipTotalUsd: number;
  /** Per task. */
  readonly tasks: readonly {
    readonly id: string;
    readonly model: string;
    readonly state: string;
    readonly inputTokens: number;
    readonly outputTokens: number;
    readonly costUsd: number;
    readonly flagshipCostUsd: number;
  }[];
}

/**
 * Converts a summary.
 * @public
 */
export function billingToJson(summary: BillingSummary): BillingJson {
  return {
    totalUsd: moneyToUsd(summary.total),
    flagshipModel: summary.flagshipModel,
    flagshipTotalUsd: moneyToUsd(summary.flagshipTotal),
    tasks: summary.rows.map((row) => ({
      id: row.id,
      model: row.model,
      state: row.state,
      inputTokens: row.usage.inputTokens,
      outputTokens: row.usage.outputTokens,
      costUsd: moneyToUsd(row.cost),
      flagshipCostUsd: moneyToUsd(row.flagshipCost),
    })),
  };
}
