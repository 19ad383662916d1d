/**
 * The project plan format: a project's shared context and its tasks, from which
 * {@link planToRunSpec} derives a run with one tiered prompt per task.
 */
import type { TaskDependency, TaskTier } from '@runtime/contracts';

/**
 * A shared contract: a named text block (e.g. TypeScript interfaces) that tasks name to receive.
 * @public
 */
export interface ProjectContract {
  /** Unique name. */
  readonly name: string;
  /** One line on what it covers. */
  readonly description?: string;
  /** The contract text. */
  readonly text: string;
}

/**
 * A business or security rule that tasks name by id.
 * @public
 */
export interface ProjectRule {
  /** Unique id within its list. */
  readonly id: string;
  /** The rule. */
  readonly text: string;
}

/**
 * One task of a project.
 * @public
 */
export interface ProjectTask {
  /** Task id (`[A-Za-z0-9._-]{1,128}`), unique in the project. */
  readonly id: string;
  /** Short title. */
  readonly title: string;
  /** Complexity tier; decides the prompt's sections, budget and model. */
  readonly tier: TaskTier;
  /** Who the model acts as. */
  readonly role: string;
  /** What to do. */
  readonly task: string;
  /** What the task hands to its dependents (shown in their `<dependencies>` section). */
  readonly deliverable: string;
  /** Observable conditions of success. */
  readonly successCriteria: readonly string[];
  /** The implementation pattern to follow. */
  readonly pattern?: string;
  /** Names of the project contracts this task needs (only these are inlined). */
  readonly contracts?: readonly string[];
  /** Tasks whose output this task needs, with optional routing (`select`, `maxTokens`). */
  readonly deps?: readonly TaskDependency[];
  /** Ids of the business rules that apply (tier ≥ 2). */
  readonly businessRules?: readonly string[];
  /** Edge cases to handle (tier ≥ 2). */
  readonly edgeCases?: readonly string[];
  /** Ids of the security rules that apply (tier 3). */
  readonly security?: readonly string[];
  /** How to reason before answering (tier 3). */
  readonly thinkingInstruction?: string;
  /** Completion token cap of the task. */
  readonly maxOutputTokens?: number;
}

/**
 * A project: shared context plus a task DAG.
 * @public
 */
export interface ProjectPlan {
  /** Project name. */
  readonly name: string;
  /** What the project builds. */
  readonly summary: string;
  /** System prompt given to every task. */
  readonly system?: string;
  /** How the parts fit together (tier-3 prompts carry it). */
  readonly architectureContext: string;
  /** Shared contracts. */
  readonly contracts: readonly ProjectContract[];
  /** Business rules. */
  readonly businessRules: readonly ProjectRule[];
  /** Security rules. */
  readonly securityRules: readonly ProjectRule[];
  /** The tasks (at least one). */
  readonly tasks: readonly ProjectTask[];
}
