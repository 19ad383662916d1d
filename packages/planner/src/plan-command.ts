/**
 * What `runtime plan prd.md [--budget usd] [--out plan.yaml] [--run]` does, as one function a CLI
 * wires to its arguments and files.
 */
import type { Run, RunPolicy, RunSpec } from '@runtime/contracts';
import { estimatePlan, fitBudget, type BudgetFit, type EstimateDeps, type PlanEstimate } from './estimate.js';
import type { Plan } from './plan.js';
import { planFromPrd, type PlanOptions } from './planner.js';
import { invalidInput } from './errors.js';
import { planRunSpec } from './run-spec.js';

/**
 * Input of {@link planCommand}.
 * @public
 */
export interface PlanCommandInput {
  /** The PRD's markdown. */
  readonly prd: string;
  /** Fit the plan to this budget (USD); it also becomes the run's `budgetUsd`. */
  readonly budgetUsd?: number;
  /** Run the plan once made. */
  readonly run?: boolean;
  /** Run policy of the spec (the budget is added to it). */
  readonly policy?: RunPolicy;
}

/**
 * Services of {@link planCommand}.
 * @public
 */
export interface PlanCommandDeps extends EstimateDeps {
  /** The planning model. */
  readonly planner: PlanOptions;
  /** Runs a spec (e.g. `runtime.run` of `@runtime/stack`); needed for `run`. */
  readonly runSpec?: (spec: RunSpec) => Promise<Run>;
}

/**
 * Outcome of {@link planCommand}.
 * @public
 */
export interface PlanCommandResult {
  /** The final plan (degraded when a budget required it). */
  readonly plan: Plan;
  /** Its estimate. */
  readonly estimate: PlanEstimate;
  /** The budget fit, when a budget was given. */
  readonly fit?: BudgetFit;
  /** The spec it runs as. */
  readonly spec: RunSpec;
  /**
   * The plan document for `--out`: JSON, which is also valid YAML 1.2 (money as exact decimal USD
   * strings).
   */
  readonly document: string;
  /** The run, when `run` was asked. */
  readonly run?: Run;
}

function jsonSafe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? undefined : value;
}

/**
 * Plans a PRD, fits it to the budget, renders the plan document and optionally runs it.
 * @throws what {@link planFromPrd}, {@link fitBudget} and `runSpec` throw;
 * {@link @runtime/contracts#ValidationError} when `run` is asked without `runSpec`.
 * @public
 */
export async function planCommand(input: PlanCommandInput, deps: PlanCommandDeps): Promise<PlanCommandResult> {
  const planned = await planFromPrd(input.prd, deps.planner);
  const fit = input.budgetUsd === undefined ? undefined : fitBudget(planned, input.budgetUsd, deps);
  const plan = fit?.plan ?? planned;
  const estimate = fit?.estimate ?? estimatePlan(plan, deps);
  const policy: RunPolicy | undefined =
    input.budgetUsd === undefined ? input.policy : { ...input.policy, budgetUsd: input.budgetUsd };
  const spec = planRunSpec(plan, policy, deps.catalog);
  const document = JSON.stringify(
    {
      path: plan.path,
      ...(plan.fallbackReason === undefined ? {} : { fallbackReason: plan.fallbackReason }),
      gate: plan.gate,
      estimate: { total: estimate.total, byTier: estimate.byTier },
      ...(fit === undefined ? {} : { budget: { budgetUsd: fit.budgetUsd, changes: fit.changes, worstCaseBeforeUsd: fit.before.total.worstCaseUsd } }),
      contracts: plan.renderedContracts,
      tasks: plan.tasks,
      spec,
    },
    jsonSafe,
    2,
  );
  if (input.run !== true) return { plan, estimate, ...(fit === undefined ? {} : { fit }), spec, document };
  if (deps.runSpec === undefined) {
    throw invalidInput('Running the plan needs a runSpec service.', {});
  }
  const run = await deps.runSpec(spec);
  return { plan, estimate, ...(fit === undefined ? {} : { fit }), spec, document, run };
}
