/**
 * What a plan costs before it runs, and fitting it into a budget.
 */
import {
  addMoney,
  moneyToDecimalString,
  usd,
  type CostCalculator,
  type Message,
  type ModelCatalog,
  type Money,
  type TaskSpec,
  type TaskTier,
  type TokenEstimator,
} from '@runtime/contracts';
import { budgetUnreachable, invalidInput } from './errors.js';
import type { Plan, PlannedTask } from './plan.js';
import { planRunSpec } from './run-spec.js';

/**
 * What {@link estimatePlan} and {@link fitBudget} price with (the caller's implementations).
 * @public
 */
export interface EstimateDeps {
  /** Resolves the model of each tier. */
  readonly catalog: ModelCatalog;
  /** Counts prompt tokens. */
  readonly estimator: TokenEstimator;
  /** Prices usage and worst cases. */
  readonly calculator: CostCalculator;
  /** Share of a task's output cap it is expected to use (and a dependency's output to route). @defaultValue 0.5 */
  readonly expectedOutputRatio?: number;
}

/**
 * One run task's cost.
 * @public
 */
export interface TaskCostEstimate {
  /** Task id. */
  readonly id: string;
  /** Tier. */
  readonly tier: TaskTier;
  /** Model of the tier. */
  readonly model: string;
  /** Prompt tokens at worst (own prompt + dependency outputs at their caps + headers). */
  readonly worstInputTokens: number;
  /** Output cap. */
  readonly maxOutputTokens: number;
  /** Worst case (the calculator's `worstCase`). */
  readonly worstCase: Money;
  /** Expected cost (output and routed dependency outputs at `expectedOutputRatio` of their caps). */
  readonly expected: Money;
}

/**
 * Totals of a group of tasks.
 * @public
 */
export interface CostTotals {
  /** Tasks counted. */
  readonly tasks: number;
  /** Sum of worst cases. */
  readonly worstCase: Money;
  /** Sum of expected costs. */
  readonly expected: Money;
  /** `worstCase` in USD (exact decimal). */
  readonly worstCaseUsd: string;
  /** `expected` in USD (exact decimal). */
  readonly expectedUsd: string;
}

/**
 * A plan's cost.
 * @public
 */
export interface PlanEstimate {
  /** Per run task (done design tasks cost nothing). */
  readonly tasks: readonly TaskCostEstimate[];
  /** Per tier. */
  readonly byTier: Readonly<Record<TaskTier, CostTotals>>;
  /** The whole plan. */
  readonly total: CostTotals;
}

/**
 * Tokens allowed for the header naming a routed dependency in a task's prompt.
 * @public
 */
export const DEPENDENCY_HEADER_TOKENS = 16;

/**
 * Prompt tokens a task's dependencies add: each routed output at its producer's output cap (`caps`,
 * by task id), or the edge's `maxTokens` when smaller, times `ratio` (rounded up; 1 for the worst
 * case), plus {@link DEPENDENCY_HEADER_TOKENS} each. The rule every plan estimate uses.
 * @public
 */
export function dependencyPromptTokens(task: Pick<TaskSpec, 'deps'>, caps: ReadonlyMap<string, number>, ratio = 1): number {
  let tokens = 0;
  for (const dependency of task.deps ?? []) {
    const id = typeof dependency === 'string' ? dependency : dependency.id;
    const cap = caps.get(id) ?? 0;
    const routed = typeof dependency === 'string' || dependency.maxTokens === undefined ? cap : Math.min(cap, dependency.maxTokens);
    tokens += Math.ceil(routed * ratio) + DEPENDENCY_HEADER_TOKENS;
  }
  return tokens;
}

function totals(items: readonly TaskCostEstimate[]): CostTotals {
  const worstCase = addMoney(...items.map((item) => item.worstCase));
  const expected = addMoney(...items.map((item) => item.expected));
  return { tasks: items.length, worstCase, expected, worstCaseUsd: moneyToDecimalString(worstCase), expectedUsd: moneyToDecimalString(expected) };
}

/**
 * Estimates the plan's worst-case and expected cost, per task, per tier and in total.
 *
 * @remarks
 * Prices the `RunSpec` the plan runs as ({@link planRunSpec}): per task, its tier's model
 * (`catalog.forTier`); worst input = its system + prompt counted by the estimator + each routed
 * dependency at its output cap (or `dependencyMaxTokens`) + a 16-token header; worst case =
 * `calculator.worstCase(model, worst input, output cap)`, the output cap clamped to the model's
 * maximum as in the spec. Expected = `calculator.cost` of the prompt plus dependencies and output at
 * `expectedOutputRatio` of their caps.
 * @public
 */
export function estimatePlan(plan: Plan, deps: EstimateDeps): PlanEstimate {
  const ratio = deps.expectedOutputRatio ?? 0.5;
  if (!(ratio > 0 && ratio <= 1)) throw invalidInput('expectedOutputRatio must be in (0, 1].', { expectedOutputRatio: ratio });
  const spec = planRunSpec(plan, undefined, deps.catalog);
  const caps = new Map<string, number>();
  for (const task of spec.tasks) caps.set(task.id, task.maxOutputTokens ?? deps.catalog.forTier(task.tier ?? 2).maxOutputTokens);
  const tasks: TaskCostEstimate[] = spec.tasks.map((task) => {
    const tier = task.tier ?? 2;
    const model = deps.catalog.forTier(tier);
    const messages: Message[] = [];
    if (task.system !== undefined) messages.push({ role: 'system', content: task.system });
    messages.push({ role: 'user', content: task.prompt ?? '' });
    const own = deps.estimator.countMessages(messages, model.id);
    const worstDeps = dependencyPromptTokens(task, caps);
    const expectedDeps = dependencyPromptTokens(task, caps, ratio);
    const maxOutputTokens = caps.get(task.id) ?? model.maxOutputTokens;
    const worstCase = deps.calculator.worstCase(model.id, own + worstDeps, maxOutputTokens);
    const expected = deps.calculator.cost(model.id, {
      inputTokens: own + expectedDeps,
      outputTokens: Math.ceil(maxOutputTokens * ratio),
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
    });
    return { id: task.id, tier, model: model.id, worstInputTokens: own + worstDeps, maxOutputTokens, worstCase, expected };
  });
  const byTier = {
    1: totals(tasks.filter((task) => task.tier === 1)),
    2: totals(tasks.filter((task) => task.tier === 2)),
    3: totals(tasks.filter((task) => task.tier === 3)),
  };
  return { tasks, byTier, total: totals(tasks) };
}

/**
 * One change {@link fitBudget} made.
 * @public
 */
export type PlanChange =
  | { readonly kind: 'tier'; readonly task: string; readonly from: TaskTier; readonly to: TaskTier; readonly reason: string }
  | { readonly kind: 'maxOutputTokens'; readonly task: string; readonly from: number; readonly to: number }
  | { readonly kind: 'dependencyMaxTokens'; readonly task: string; readonly from: number | null; readonly to: number };

/**
 * The outcome of {@link fitBudget}.
 * @public
 */
export interface BudgetFit {
  /** The plan that fits (the input plan when nothing had to change). */
  readonly plan: Plan;
  /** Its estimate. */
  readonly estimate: PlanEstimate;
  /** The estimate before any change. */
  readonly before: PlanEstimate;
  /** The budget. */
  readonly budgetUsd: number;
  /** Every change, in the order made. */
  readonly changes: readonly PlanChange[];
}

/** Smallest output cap and dependency cap compaction goes down to. */
const COMPACTION_FLOOR_TOKENS = 256;

/**
 * Criticality rank of the pending tasks, least critical first.
 *
 * @remarks
 * Ordered by: off the critical path before on it (the critical path is the longest dependency chain
 * of pending tasks); then tests before implementation/features before integration; then leaves
 * (nothing depends on them) before inner tasks; then `could` before `should` before `must`
 * requirements; then id.
 * @public
 */
export function criticalityOrder(plan: Plan): string[] {
  const pending = plan.tasks.filter((task) => task.state === 'pending');
  const ids = new Set(pending.map((task) => task.id));
  const byId = new Map(pending.map((task) => [task.id, task]));
  const dependents = new Map<string, string[]>();
  for (const task of pending) for (const dep of task.deps) if (ids.has(dep)) dependents.set(dep, [...(dependents.get(dep) ?? []), task.id]);
  const down = new Map<string, number>();
  const up = new Map<string, number>();
  const depth = (id: string, memo: Map<string, number>, next: (id: string) => readonly string[]): number => {
    const known = memo.get(id);
    if (known !== undefined) return known;
    const value = 1 + Math.max(0, ...next(id).map((other) => depth(other, memo, next)));
    memo.set(id, value);
    return value;
  };
  const longest = Math.max(0, ...pending.map((task) => depth(task.id, down, (id) => dependents.get(id) ?? [])));
  const onCritical = (id: string): boolean =>
    depth(id, down, (x) => dependents.get(x) ?? []) + depth(id, up, (x) => (byId.get(x)?.deps ?? []).filter((dep) => ids.has(dep))) - 1 === longest;
  const kindRank: Record<PlannedTask['kind'], number> = { test: 0, feature: 1, implement: 1, integrate: 2, design: 3 };
  const priorityRank = (task: PlannedTask): number => {
    const priorities = task.requirementIds.map((id) => plan.requirements.find((requirement) => requirement.id === id)?.priority ?? 'must');
    return Math.max(0, ...priorities.map((priority) => ({ could: 0, should: 1, must: 2 })[priority]));
  };
  return [...pending]
    .sort(
      (a, b) =>
        Number(onCritical(a.id)) - Number(onCritical(b.id)) ||
        kindRank[a.kind] - kindRank[b.kind] ||
        Number((dependents.get(a.id) ?? []).length > 0) - Number((dependents.get(b.id) ?? []).length > 0) ||
        priorityRank(a) - priorityRank(b) ||
        a.id.localeCompare(b.id),
    )
    .map((task) => task.id);
}

/**
 * Degrades and compacts a plan until its worst case fits `budgetUsd`, reporting every change.
 *
 * @remarks
 * Steps, each followed by a new estimate, stopping as soon as the worst case fits:
 * 1. tier 3 → 2, least critical task first ({@link criticalityOrder});
 * 2. tier 2 → 1, least critical task first;
 * 3. compaction rounds: every pending task's output cap and routed dependency cap are halved (not
 *    below 256 tokens), least critical first, one task at a time.
 * @throws {@link @runtime/contracts#BudgetError} `BUDGET_EXCEEDED` (`details.reason`
 * `PLANNER_BUDGET_UNREACHABLE`) when even all-tier-1 at the compaction floor does not fit;
 * {@link @runtime/contracts#ValidationError} for a budget that is not a positive finite number.
 * @public
 */
export function fitBudget(plan: Plan, budgetUsd: number, deps: EstimateDeps): BudgetFit {
  if (!(Number.isFinite(budgetUsd) && budgetUsd > 0)) throw invalidInput('The budget must be a positive number of USD.', { budgetUsd });
  const limit = usd(budgetUsd);
  const before = estimatePlan(plan, deps);
  const changes: PlanChange[] = [];
  let current = plan;
  let estimate = before;
  const fits = (): boolean => estimate.total.worstCase <= limit;
  const replace = (id: string, patch: Partial<PlannedTask>): void => {
    current = { ...current, tasks: current.tasks.map((task) => (task.id === id ? { ...task, ...patch } : task)) };
    estimate = estimatePlan(current, deps);
  };
  const order = criticalityOrder(plan);
  for (const [from, to] of [[3, 2], [2, 1]] as const) {
    for (const id of order) {
      if (fits()) return { plan: current, estimate, before, budgetUsd, changes };
      const task = current.tasks.find((candidate) => candidate.id === id);
      if (task?.tier !== from) continue;
      changes.push({ kind: 'tier', task: id, from, to, reason: `degraded to fit $${budgetUsd} (criticality rank ${order.indexOf(id) + 1} of ${order.length})` });
      replace(id, { tier: to, tierReason: `${task.tierReason}; degraded ${from}→${to} for the budget` });
    }
  }
  for (;;) {
    let changed = false;
    for (const id of order) {
      if (fits()) return { plan: current, estimate, before, budgetUsd, changes };
      const task = current.tasks.find((candidate) => candidate.id === id);
      if (task === undefined) continue;
      const output = Math.max(COMPACTION_FLOOR_TOKENS, Math.floor(task.maxOutputTokens / 2));
      const depCap = Math.max(COMPACTION_FLOOR_TOKENS, Math.floor((task.dependencyMaxTokens ?? 2 * task.maxOutputTokens) / 2));
      const patch: { maxOutputTokens?: number; dependencyMaxTokens?: number } = {};
      if (output < task.maxOutputTokens) {
        changes.push({ kind: 'maxOutputTokens', task: id, from: task.maxOutputTokens, to: output });
        patch.maxOutputTokens = output;
      }
      const hasDeps = task.deps.some((dep) => current.tasks.find((candidate) => candidate.id === dep)?.state === 'pending');
      if (hasDeps && (task.dependencyMaxTokens === undefined || depCap < task.dependencyMaxTokens)) {
        changes.push({ kind: 'dependencyMaxTokens', task: id, from: task.dependencyMaxTokens ?? null, to: depCap });
        patch.dependencyMaxTokens = depCap;
      }
      if (patch.maxOutputTokens !== undefined || patch.dependencyMaxTokens !== undefined) {
        changed = true;
        replace(id, patch);
      }
    }
    if (fits()) return { plan: current, estimate, before, budgetUsd, changes };
    if (!changed) throw budgetUnreachable(budgetUsd, moneyToDecimalString(estimate.total.worstCase));
  }
}

