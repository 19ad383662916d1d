/**
 * Types of the tiered prompt builder ({@link buildTieredPrompt}).
 */
import type { TaskTier, TokenEstimator } from '@runtime/contracts';

/**
 * An XML-tag section of a tiered prompt.
 * @public
 */
export type PromptSection =
  | 'role'
  | 'contract'
  | 'pattern'
  | 'dependencies'
  | 'business_rules'
  | 'edge_cases'
  | 'security'
  | 'architecture_context'
  | 'task'
  | 'success_criteria'
  | 'thinking_instruction';

/**
 * A shared contract inlined into a prompt (a named text block, e.g. TypeScript interfaces).
 * @public
 */
export interface PromptContract {
  /** Name, shown as `<contract name="…">`. */
  readonly name: string;
  /** The contract text. */
  readonly text: string;
}

/**
 * A dependency as described in the `<dependencies>` section (its output arrives separately).
 * @public
 */
export interface PromptDependency {
  /** The dependency's task id. */
  readonly id: string;
  /** What it delivers. */
  readonly description: string;
}

/**
 * What a tiered prompt is built from. Only the sections of the prompt's tier are rendered: tier 1
 * carries role, contract, pattern, task and success criteria; tier 2 adds dependencies, business
 * rules and edge cases; tier 3 adds security, architecture context and a thinking instruction.
 * @public
 */
export interface TieredPromptInput {
  /** The task's tier. */
  readonly tier: TaskTier;
  /** Who the model acts as. */
  readonly role: string;
  /** What to do. */
  readonly task: string;
  /** Observable conditions of success (at least one). */
  readonly successCriteria: readonly string[];
  /** Only the contracts this task names. */
  readonly contracts?: readonly PromptContract[];
  /** The implementation pattern to follow. */
  readonly pattern?: string;
  /** Only this task's dependencies (tier ≥ 2). */
  readonly dependencies?: readonly PromptDependency[];
  /** Business rules that apply (tier ≥ 2). */
  readonly businessRules?: readonly string[];
  /** Edge cases to handle (tier ≥ 2). */
  readonly edgeCases?: readonly string[];
  /** Security requirements (tier 3). */
  readonly security?: readonly string[];
  /** How the task fits the system (tier 3). */
  readonly architectureContext?: string;
  /** How to reason before answering (tier 3). @defaultValue {@link DEFAULT_THINKING_INSTRUCTION} */
  readonly thinkingInstruction?: string;
}

/**
 * Options of {@link buildTieredPrompt}.
 * @public
 */
export interface TieredPromptOptions {
  /** Counts tokens; the only source of token counts. */
  readonly estimator: TokenEstimator;
  /** Model the prompt is counted for. */
  readonly model: string;
  /** Token budget of each tier's prompt text. @defaultValue {@link DEFAULT_TIER_BUDGETS} */
  readonly budgets?: Readonly<Partial<Record<TaskTier, number>>>;
  /**
   * Over budget: `cut` shortens or drops the most expendable sections (each cut is marked in the
   * text and listed in {@link TieredPrompt.cuts}); `fail` throws `CONTEXT_TOO_LARGE`.
   * @defaultValue `'cut'`
   */
  readonly onOverBudget?: 'cut' | 'fail';
}

/**
 * Tokens of one rendered section.
 * @public
 */
export interface PromptSectionReport {
  /** The section. */
  readonly section: PromptSection;
  /** The contract name, for `contract` sections. */
  readonly name?: string;
  /** Tokens of the rendered section, tags included. */
  readonly tokens: number;
}

/**
 * One cut made to fit the budget.
 * @public
 */
export interface PromptCut {
  /** The section. */
  readonly section: PromptSection;
  /** The contract name, for `contract` sections. */
  readonly name?: string;
  /** `truncated`: its end was replaced by a marker; `dropped`: the whole section was removed. */
  readonly action: 'truncated' | 'dropped';
  /** Tokens of the rendered section before. */
  readonly tokensBefore: number;
  /** Tokens after (0 when dropped). */
  readonly tokensAfter: number;
}

/**
 * Input given for a section that the prompt's tier does not carry.
 * @public
 */
export interface PromptOmission {
  /** The section. */
  readonly section: PromptSection;
  /** Why it is not in the prompt. */
  readonly reason: string;
}

/**
 * A built tiered prompt and an account of how it was fitted.
 * @public
 */
export interface TieredPrompt {
  /** The prompt text. */
  readonly text: string;
  /** Its tier. */
  readonly tier: TaskTier;
  /** Tokens of `text` (`estimator.countText`). */
  readonly tokens: number;
  /** The tier's budget. */
  readonly budget: number;
  /** Rendered sections in order, with their tokens. */
  readonly sections: readonly PromptSectionReport[];
  /** Cuts made to fit the budget, in the order they were made (empty when it fitted). */
  readonly cuts: readonly PromptCut[];
  /** Inputs left out because the tier does not carry them. */
  readonly omitted: readonly PromptOmission[];
}
