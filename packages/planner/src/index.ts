/**
 * Contract-first planning for agent-runtime: a PRD becomes requirements, domains, per-domain
 * contracts checked against each other by a consistency gate, and a domain-scoped task DAG with a
 * tier per task — priced before it runs and fitted to a budget.
 *
 * @remarks
 * Depends on `@runtime/contracts` only: the model is reached through an `LlmClient`, prices through
 * the caller's `ModelCatalog`, `TokenEstimator` and `CostCalculator`.
 *
 * @packageDocumentation
 */
export { type PlannerFailureReason } from './errors.js';
export {
  criticalityOrder,
  DEPENDENCY_HEADER_TOKENS,
  dependencyPromptTokens,
  estimatePlan,
  fitBudget,
  type BudgetFit,
  type CostTotals,
  type EstimateDeps,
  type PlanChange,
  type PlanEstimate,
  type TaskCostEstimate,
} from './estimate.js';
export { checkContracts, type Finding, type FindingKind } from './gate.js';
export type { GateReport, Plan, PlannedTask, PlannedTaskKind, PlanningPath } from './plan.js';
export { planCommand, type PlanCommandDeps, type PlanCommandInput, type PlanCommandResult } from './plan-command.js';
export { CATCH_ALL_DOMAIN, domainCountRange, planFromPrd, type PlanOptions } from './planner.js';
export { renderContract } from './render.js';
export { planRunSpec } from './run-spec.js';
export {
  domainContractSchema,
  domainSchema,
  fieldSchema,
  requirementSchema,
  type ContractField,
  type Domain,
  type DomainContract,
  type Requirement,
} from './schemas.js';
export { type PlannerModel } from './structured.js';
