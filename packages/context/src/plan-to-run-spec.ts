/**
 * Turns a {@link ProjectPlan} into a contracts `RunSpec`: one task per project task, each with a
 * tiered prompt that inlines only the contracts, rules and dependencies the task names.
 */
import type { Metadata, RunPolicy, RunSpec, TaskSpec, TaskTier, TokenEstimator } from '@runtime/contracts';
import type { ProjectPlan, ProjectRule, ProjectTask } from './project-plan.js';
import { buildTieredPrompt } from './tiered-prompt.js';
import type { TieredPrompt, TieredPromptInput } from './tiered-prompt-types.js';
import { validateProjectPlan } from './validate-project-plan.js';

/**
 * Options of {@link planToRunSpec}.
 * @public
 */
export interface PlanToRunSpecOptions {
  /** Counts prompt tokens for the tier budgets. */
  readonly estimator: TokenEstimator;
  /** Model the prompts are counted for. */
  readonly model: string;
  /** Prompt budget per tier. @defaultValue {@link DEFAULT_TIER_BUDGETS} */
  readonly budgets?: Readonly<Partial<Record<TaskTier, number>>>;
  /** Completion token cap per tier, for tasks that set none. @defaultValue `{ 1: 1024, 2: 2048, 3: 4096 }` */
  readonly maxOutputTokens?: Readonly<Partial<Record<TaskTier, number>>>;
  /** The run's policy. */
  readonly policy?: RunPolicy;
}

const DEFAULT_MAX_OUTPUT_TOKENS: Readonly<Record<TaskTier, number>> = { 1: 1_024, 2: 2_048, 3: 4_096 };

function rulesById(rules: readonly ProjectRule[], ids: readonly string[] | undefined): string[] {
  const byId = new Map(rules.map((rule) => [rule.id, rule.text]));
  return (ids ?? []).map((id) => `${byId.get(id) ?? ''} [${id}]`);
}

/**
 * The tiered prompt input of one project task: only the contracts, rules and dependencies it names.
 * @remarks
 * Expects a plan checked by {@link validateProjectPlan} (every name it uses exists).
 * @public
 */
export function projectTaskPromptInput(project: ProjectPlan, task: ProjectTask): TieredPromptInput {
  const contracts = new Map(project.contracts.map((contract) => [contract.name, contract.text]));
  const tasks = new Map(project.tasks.map((candidate) => [candidate.id, candidate]));
  const dependencies = (task.deps ?? []).map((dependency) => {
    const id = typeof dependency === 'string' ? dependency : dependency.id;
    const source = tasks.get(id);
    return { id, description: source === undefined ? id : `${source.title} — ${source.deliverable}` };
  });
  return {
    tier: task.tier,
    role: task.role,
    task: task.task,
    successCriteria: task.successCriteria,
    contracts: (task.contracts ?? []).map((name) => ({ name, text: contracts.get(name) ?? '' })),
    ...(task.pattern === undefined ? {} : { pattern: task.pattern }),
    dependencies,
    businessRules: rulesById(project.businessRules, task.businessRules),
    edgeCases: task.edgeCases ?? [],
    security: rulesById(project.securityRules, task.security),
    architectureContext: project.architectureContext,
    ...(task.thinkingInstruction === undefined ? {} : { thinkingInstruction: task.thinkingInstruction }),
  };
}

function describeCuts(prompt: TieredPrompt): string {
  if (prompt.cuts.length === 0) return 'none';
  return prompt.cuts
    .map((cut) => `${cut.section}${cut.name === undefined ? '' : `:${cut.name}`} ${cut.action} ${cut.tokensBefore}→${cut.tokensAfter}`)
    .join('; ');
}

/**
 * Turns a project plan into a `RunSpec` with one tiered prompt per task.
 *
 * @remarks
 * Pure and deterministic: the same project and options give the same spec. Each task keeps its id,
 * tier and dependencies (with their routing options); its prompt comes from
 * {@link buildTieredPrompt}; the project's system prompt becomes each task's `system`. Task
 * metadata records the title, the prompt's tokens and budget, and any cut made to fit
 * (`promptCuts`, `none` when nothing was cut), so no cut is silent.
 *
 * @throws {@link @runtime/contracts#ValidationError} and {@link @runtime/contracts#DagError} from {@link validateProjectPlan};
 * {@link @runtime/contracts#ContextError} `CONTEXT_TOO_LARGE` when a task's prompt cannot fit its tier's budget.
 * @example
 * ```ts
 * const spec = planToRunSpec(JSON.parse(text), { estimator, model: 'gpt-4o', policy: { maxParallelism: 4 } });
 * ```
 * @public
 */
export function planToRunSpec(project: unknown, options: PlanToRunSpecOptions): RunSpec {
  const plan = validateProjectPlan(project);
  const tasks: TaskSpec[] = plan.tasks.map((task) => {
    const prompt = buildTieredPrompt(projectTaskPromptInput(plan, task), {
      estimator: options.estimator,
      model: options.model,
      ...(options.budgets === undefined ? {} : { budgets: options.budgets }),
    });
    const metadata: Metadata = {
      title: task.title,
      promptTokens: String(prompt.tokens),
      promptBudget: String(prompt.budget),
      promptCuts: describeCuts(prompt),
    };
    return {
      id: task.id,
      tier: task.tier,
      ...(task.deps === undefined || task.deps.length === 0 ? {} : { deps: task.deps }),
      maxOutputTokens: task.maxOutputTokens ?? options.maxOutputTokens?.[task.tier] ?? DEFAULT_MAX_OUTPUT_TOKENS[task.tier],
      ...(plan.system === undefined ? {} : { system: plan.system }),
      metadata,
      prompt: prompt.text,
    };
  });
  return {
    tasks,
    ...(options.policy === undefined ? {} : { policy: options.policy }),
    metadata: { project: plan.name },
  };
}
