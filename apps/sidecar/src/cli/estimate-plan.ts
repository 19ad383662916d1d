/**
 * Worst-case cost of a whole DAG before running it.
 *
 * @remarks
 * Per task: its own messages (system + prompt or messages) counted by the estimator, plus every
 * dependency's output at its worst (the dependency's output cap, plus a short header naming it),
 * plus its own output cap — the task's `maxOutputTokens`, else the policy's
 * `defaultMaxOutputTokens`, else 4096, never above the model's maximum: the cap the run sends —
 * priced by the calculator. The sum is an upper bound of what the run can
 * spend (retries aside: each retry of a failed attempt is billed only for what the provider
 * reports).
 */
import {
  addMoney,
  moneyToUsd,
  ZERO_MONEY,
  type CostCalculator,
  type Message,
  type ModelCatalog,
  type ModelInfo,
  type Money,
  type RunSpec,
  type TaskSpec,
  type TokenEstimator,
} from '@runtime/contracts';
import { ModelError } from '@runtime/contracts';
import { createDependencyResolver } from '@runtime/orchestration';
import { dependencyPromptTokens } from '@runtime/planner';

/**
 * One task's worst case.
 * @public
 */
export interface TaskEstimate {
  /** Task id. */
  readonly id: string;
  /** Catalog model id. */
  readonly model: string;
  /** Tier, when given. */
  readonly tier?: number;
  /** Prompt tokens at worst (own messages + dependency outputs at their caps). */
  readonly inputTokens: number;
  /** Output cap. */
  readonly maxOutputTokens: number;
  /** Worst-case cost. */
  readonly maxCost: Money;
}

/**
 * The whole plan's worst case.
 * @public
 */
export interface PlanEstimate {
  /** Per task, in plan order. */
  readonly tasks: readonly TaskEstimate[];
  /** Sum of the tasks' worst cases. */
  readonly maxCost: Money;
  /** The same in USD. */
  readonly maxCostUsd: number;
}

/** The output cap of a task that sets none, as the orchestrator applies it (and sends it). */
const DEFAULT_MAX_OUTPUT_TOKENS = 4096;

/**
 * The model a task runs on: its `model`, else its tier's, else the default.
 * @throws {@link ModelError} `UNKNOWN_MODEL`
 * @public
 */
export function modelForTask(catalog: ModelCatalog, task: TaskSpec): ModelInfo {
  if (task.model !== undefined) {
    const model = catalog.find(task.model);
    if (model === undefined) throw new ModelError({ code: 'UNKNOWN_MODEL', message: `Task ${task.id} names unknown model ${task.model}.`, details: { task: task.id, model: task.model } });
    return model;
  }
  return task.tier === undefined ? catalog.defaultModel() : catalog.forTier(task.tier);
}

/**
 * Estimates a plan.
 * @throws {@link @runtime/contracts#ValidationError} `DAG_CYCLE`, `UNKNOWN_DEPENDENCY`, `DUPLICATE_TASK_ID`
 * like starting the run; {@link ModelError} `UNKNOWN_MODEL`.
 * @public
 */
export function estimatePlan(
  services: { readonly catalog: ModelCatalog; readonly estimator: TokenEstimator; readonly calculator: CostCalculator },
  spec: RunSpec,
): PlanEstimate {
  // The same checks as starting the run: a plan `run` refuses (cycle, unknown dependency,
  // duplicate id) has no estimate either.
  createDependencyResolver().resolve(spec.tasks);
  const defaultCap = spec.policy?.defaultMaxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS;
  const caps = new Map<string, number>();
  for (const task of spec.tasks) {
    const model = modelForTask(services.catalog, task);
    caps.set(task.id, Math.min(task.maxOutputTokens ?? defaultCap, model.maxOutputTokens));
  }
  const tasks: TaskEstimate[] = [];
  let total: Money = ZERO_MONEY;
  for (const task of spec.tasks) {
    const model = modelForTask(services.catalog, task);
    const messages: Message[] = [];
    if (task.system !== undefined) messages.push({ role: 'system', content: task.system });
    if (task.prompt !== undefined) messages.push({ role: 'user', content: task.prompt });
    for (const message of task.messages ?? []) messages.push(message);
    const inputTokens = services.estimator.countMessages(messages, model.id) + dependencyPromptTokens(task, caps);
    const maxOutputTokens = caps.get(task.id) ?? model.maxOutputTokens;
    const maxCost = services.calculator.worstCase(model.id, inputTokens, maxOutputTokens);
    total = addMoney(total, maxCost);
    tasks.push({ id: task.id, model: model.id, ...(task.tier === undefined ? {} : { tier: task.tier }), inputTokens, maxOutputTokens, maxCost });
  }
  return { tasks, maxCost: total, maxCostUsd: moneyToUsd(total) };
}
