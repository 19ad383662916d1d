/**
 * Token counting, model pricing, budgets (reserve, settle, release) and usage tracking (`@runtime/cost`).
 *
 * @remarks
 * This package is a shell: its components (TokenEstimator, ModelCatalog, CostCalculator, BudgetLedger/Enforcer (in memory and Redis), UsageTracker, billing report and cost attribution) land in later issues.
 * It depends on `@runtime/contracts` only and receives collaborators through contract interfaces;
 * it never imports another domain package.
 *
 * @packageDocumentation
 */

/**
 * The npm name of this package.
 *
 * @public
 */
export const PACKAGE_NAME = '@runtime/cost';
