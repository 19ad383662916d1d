/**
 * Token counting, model pricing, budgets that never overspend, and usage tracking (`@runtime/cost`).
 *
 * @remarks
 * Usable alone (`npm i @runtime/cost`): count tokens, price a call from the model catalog, and
 * reserve/settle against a budget around any LLM call you already make ({@link withBudget}).
 * Money is exact (`bigint` femto-dollars, see `@runtime/contracts`). The Redis-backed ledger lives
 * in the `@runtime/cost/redis` subpath. Depends on `@runtime/contracts` only.
 *
 * @packageDocumentation
 */

export { BUILTIN_CATALOG_AS_OF, BUILTIN_DEFAULT_MODEL, BUILTIN_MODELS } from './builtin-models.js';
export { createBudgetLedger, type BudgetLedgerOptions, type SweepableBudgetLedger } from './budget-ledger.js';
export { renderBillingReport, type RenderBillingReportOptions } from './billing-report.js';
export {
  loadModelCatalogFile,
  parseModelCatalogFile,
  validateModelCatalogFile,
  type CatalogFileFormat,
} from './catalog-file.js';
export { createCostCalculator, type CostCalculatorOptions } from './cost-calculator.js';
export { createModelCatalog, type ModelCatalogOptions } from './model-catalog.js';
export {
  anthropicUsage,
  openAiUsage,
  type AnthropicUsageShape,
  type OpenAiUsageShape,
} from './provider-usage.js';
export {
  gptTokenizerBackend,
  jsTiktokenBackend,
  type TokenEncoder,
  type TokenEncoderBackend,
} from './token-encoders.js';
export { DEFAULT_HEURISTIC_FACTOR, createTokenEstimator, type TokenEstimatorOptions } from './token-estimator.js';
export {
  createUsageTracker,
  type CostUsageTracker,
  type LlmCallUsage,
  type ToolCallUsage,
  type UsageTrackerOptions,
} from './usage-tracker.js';
export { withBudget, type BudgetedCall, type WithBudgetOptions } from './with-budget.js';

/**
 * The npm name of this package.
 *
 * @public
 */
export const PACKAGE_NAME = '@runtime/cost';
