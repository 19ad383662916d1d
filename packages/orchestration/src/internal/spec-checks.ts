/** Validation of run specs and policies that the resolver does not cover (it checks the graph). */
import {
  ValidationError,
  asTaskId,
  type ModelCatalog,
  type ModelInfo,
  type RunSpec,
  type TaskSpec,
  type ToolRegistry,
} from '@runtime/contracts';
import { MAX_TIMER_DELAY_MS } from './deadline-timer.js';

function invalid(message: string, details: Record<string, unknown>): ValidationError {
  return new ValidationError({ code: 'VALIDATION_FAILED', message, details });
}

function positive(value: number | undefined, name: string, integer: boolean): void {
  if (value === undefined) return;
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw invalid(`${name} must be a ${integer ? 'positive integer' : 'positive number'}.`, { field: name, value });
  }
}

/** A deadline a timer can hold: `setTimeout` fires at once for anything above 2^31 − 1 ms. */
function atMostTimer(value: number | undefined, name: string): void {
  if (value === undefined || value <= MAX_TIMER_DELAY_MS) return;
  throw invalid(`${name} must be at most ${MAX_TIMER_DELAY_MS} ms (about 24.8 days), got ${value}.`, { field: name, value, max: MAX_TIMER_DELAY_MS });
}

/** Checks the policy of a run spec. */
export function checkRunSpec(spec: RunSpec): void {
  if (!Array.isArray(spec.tasks) || spec.tasks.length === 0) {
    throw invalid('A run needs at least one task.', { field: 'tasks' });
  }
  const policy = spec.policy ?? {};
  const parallelism = policy.maxParallelism;
  if (parallelism !== undefined && (!Number.isInteger(parallelism) || parallelism < 1 || parallelism > 256)) {
    throw invalid('policy.maxParallelism must be an integer in 1..256.', { field: 'policy.maxParallelism', value: parallelism });
  }
  positive(policy.timeoutMs, 'policy.timeoutMs', false);
  positive(policy.taskTimeoutMs, 'policy.taskTimeoutMs', false);
  atMostTimer(policy.timeoutMs, 'policy.timeoutMs');
  atMostTimer(policy.taskTimeoutMs, 'policy.taskTimeoutMs');
  positive(policy.budgetUsd, 'policy.budgetUsd', false);
  positive(policy.context?.maxTokens, 'policy.context.maxTokens', true);
  positive(policy.context?.keepLastN, 'policy.context.keepLastN', true);
  const failure = policy.failurePolicy;
  if (failure !== undefined && failure !== 'failFast' && failure !== 'continue') {
    throw invalid('policy.failurePolicy must be "failFast" or "continue".', { field: 'policy.failurePolicy', value: failure });
  }
}

/** A task's model and output cap, resolved once when it is submitted. */
export interface TaskPlan {
  readonly model: ModelInfo;
  readonly maxOutputTokens: number;
}

/** Checks a task's prompt and resolves its model and output cap. */
export function planTask(task: TaskSpec, catalog: ModelCatalog, defaultMaxOutputTokens: number): TaskPlan {
  const hasPrompt = typeof task.prompt === 'string' && task.prompt.length > 0;
  const hasMessages = Array.isArray(task.messages) && task.messages.length > 0;
  if (hasPrompt === hasMessages) {
    throw invalid(`Task "${task.id}" needs exactly one of a non-empty prompt or non-empty messages.`, { task: task.id });
  }
  if (task.tier !== undefined && task.tier !== 1 && task.tier !== 2 && task.tier !== 3) {
    throw invalid(`Task "${task.id}" has tier ${String(task.tier)}; tiers are 1, 2 and 3.`, { task: task.id, tier: task.tier });
  }
  const model =
    task.model !== undefined ? catalog.get(task.model) : task.tier !== undefined ? catalog.forTier(task.tier) : catalog.defaultModel();
  const requested = task.maxOutputTokens;
  if (requested !== undefined && (!Number.isInteger(requested) || requested < 1 || requested > model.maxOutputTokens)) {
    throw invalid(`Task "${task.id}" asks for ${requested} output tokens; model "${model.id}" allows 1..${model.maxOutputTokens}.`, {
      task: task.id,
      maxOutputTokens: requested,
      limit: model.maxOutputTokens,
    });
  }
  return { model, maxOutputTokens: requested ?? Math.min(model.maxOutputTokens, defaultMaxOutputTokens) };
}

/**
 * Checks a task's tool names (`agent.tools` and `tools`) against the registry of the `agents`
 * option: unknown names, and any tool or agent without that option, are refused with
 * `VALIDATION_FAILED` naming the task and the tool (`details.task`, `details.tool`).
 */
export function checkTaskTools(task: TaskSpec, tools: ToolRegistry | undefined): void {
  const agent = task.agent;
  if (agent !== undefined) {
    const maxSteps = agent.maxSteps;
    if (maxSteps !== undefined && (!Number.isInteger(maxSteps) || maxSteps < 1 || maxSteps > 256)) {
      throw invalid(`Task "${task.id}" has agent.maxSteps ${String(maxSteps)}; it must be an integer in 1..256.`, { task: task.id, field: 'agent.maxSteps', value: maxSteps });
    }
    const choice = agent.toolChoice;
    if (choice !== undefined && choice !== 'auto' && choice !== 'required' && choice !== 'none') {
      throw invalid(`Task "${task.id}" has agent.toolChoice "${String(choice)}"; it must be "auto", "required" or "none".`, { task: task.id, field: 'agent.toolChoice', value: choice });
    }
    if (!Array.isArray(agent.tools)) throw invalid(`Task "${task.id}" needs agent.tools (a list of tool names).`, { task: task.id, field: 'agent.tools' });
  }
  const names = [...(agent?.tools ?? []), ...(task.tools ?? [])];
  if (tools === undefined) {
    if (agent === undefined && names.length === 0) return;
    const tool = names[0];
    throw invalid(
      tool === undefined
        ? `Task "${task.id}" is an agent task, but this runtime has no agent runner configured (the orchestrator's \`agents\` option).`
        : `Task "${task.id}" names tool "${tool}", but this runtime has no tools configured (the orchestrator's \`agents\` option).`,
      { task: task.id, ...(tool === undefined ? {} : { tool }), field: agent === undefined ? 'tools' : 'agent' },
    );
  }
  // The registry names the task and the first unknown (or repeated) tool.
  if (agent !== undefined) tools.check(asTaskId(task.id), agent.tools);
  if (task.tools !== undefined) tools.check(asTaskId(task.id), task.tools);
}
