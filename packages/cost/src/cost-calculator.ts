/**
 * Exact pricing of token usage.
 *
 * @remarks
 * Prices become integer femto-dollars per token once per model, so every cost is an exact
 * `bigint` product and a million tiny charges sum to exactly the product. Cached and reasoning
 * tokens are subsets of input and output (ARCHITECTURE.md "Pricing rule"): nothing is billed twice.
 * Not responsible for estimating tokens (see {@link createTokenEstimator}).
 */
import { money, normalizeUsage } from '@runtime/contracts';
import type { CostBreakdown, CostCalculator, ModelCatalog, ModelInfo, Money, Usage } from '@runtime/contracts';
import { invalid } from './internal/errors.js';
import { toTokenRates } from './internal/rates.js';
import type { TokenRates } from './internal/rates.js';

/**
 * Options of {@link createCostCalculator}.
 * @public
 */
export interface CostCalculatorOptions {
  /** Where models and their prices come from. */
  readonly catalog: ModelCatalog;
}

function checkTokens(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalid(field, 'must be an integer ≥ 0', { value: String(value) });
  }
  return value;
}

/**
 * Creates a {@link @runtime/contracts#CostCalculator} over a catalog.
 *
 * @example
 * ```ts
 * const calculator = createCostCalculator({ catalog: createModelCatalog() });
 * formatUsd(calculator.cost('gpt-4o-mini', { inputTokens: 1000, outputTokens: 200, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 }));
 * ```
 * @public
 */
export function createCostCalculator(options: CostCalculatorOptions): CostCalculator {
  const { catalog } = options;
  const ratesByModel = new WeakMap<ModelInfo, TokenRates>();
  const rates = (model: string): TokenRates => {
    const info = catalog.get(model);
    let found = ratesByModel.get(info);
    if (found === undefined) {
      found = toTokenRates(info.pricing, `models.${info.id}.pricing`);
      ratesByModel.set(info, found);
    }
    return found;
  };

  const breakdown = (model: string, usage: Usage): CostBreakdown => {
    const rate = rates(model);
    if (typeof usage !== 'object' || usage === null) throw invalid('usage', 'must be an object');
    // A provider answered: impossible numbers are normalised and priced, never refused.
    usage = normalizeUsage(usage).usage;
    const uncached = BigInt(usage.inputTokens - usage.cacheReadTokens - usage.cacheWriteTokens);
    const input = uncached * rate.input;
    const cacheRead = BigInt(usage.cacheReadTokens) * rate.cacheRead;
    const hour = usage.cacheWrite1hTokens ?? 0;
    const cacheWrite = BigInt(usage.cacheWriteTokens - hour) * rate.cacheWrite + BigInt(hour) * rate.cacheWrite1h;
    const output = BigInt(usage.outputTokens - usage.reasoningTokens) * rate.output;
    const reasoning = BigInt(usage.reasoningTokens) * rate.reasoning;
    return {
      input: money(input),
      cacheRead: money(cacheRead),
      cacheWrite: money(cacheWrite),
      output: money(output),
      reasoning: money(reasoning),
      total: money(input + cacheRead + cacheWrite + output + reasoning),
    };
  };

  return {
    cost: (model, usage): Money => breakdown(model, usage).total,
    breakdown,
    worstCase: (model, inputTokens, maxOutputTokens): Money => {
      const rate = rates(model);
      const input = BigInt(checkTokens(inputTokens, 'inputTokens'));
      const output = BigInt(checkTokens(maxOutputTokens, 'maxOutputTokens'));
      // Every input token may be written to the cache (Anthropic: up to 2× input for the 1-hour TTL).
      return money(input * rate.inputWorst + output * rate.outputWorst);
    },
  };
}
