/**
 * Context building, compaction, routing and memory for agent-runtime tasks (`@runtime/context`).
 *
 * @remarks
 * Each task gets exactly the context it needs and fits its model's window: the tiered prompt
 * builder inlines only what a task names, the router selects and caps dependency outputs, the
 * builder assembles the messages (each dependency counted once), and the compactor fits them into
 * a budget without silent information loss. Token counts come only from an injected
 * `TokenEstimator`. It depends on `@runtime/contracts` only and never imports another domain
 * package.
 *
 * @packageDocumentation
 */
export { PACKAGE_NAME } from './package-name.js';
export { createContextBuilder, ROUTED_INPUT_PRIORITY, type ContextBuilderOptions } from './context-builder.js';
export { createContextCompactor, type ContextCompactorOptions } from './context-compactor.js';
export { createContextRouter, type ContextRouterOptions } from './context-router.js';
export { createMemoryStore, type MemoryStoreOptions } from './memory-store.js';
export { buildTieredPrompt, DEFAULT_THINKING_INSTRUCTION, DEFAULT_TIER_BUDGETS } from './tiered-prompt.js';
export {
  type PromptContract,
  type PromptCut,
  type PromptDependency,
  type PromptOmission,
  type PromptSection,
  type PromptSectionReport,
  type TieredPrompt,
  type TieredPromptInput,
  type TieredPromptOptions,
} from './tiered-prompt-types.js';
export { type ProjectContract, type ProjectPlan, type ProjectRule, type ProjectTask } from './project-plan.js';
export { validateProjectPlan } from './validate-project-plan.js';
export { planToRunSpec, projectTaskPromptInput, type PlanToRunSpecOptions } from './plan-to-run-spec.js';
