/**
 * The tiered prompt builder: a task prompt in XML-tag sections, sized to its tier's token budget.
 *
 * @remarks
 * The point is that each task receives only what it needs: the caller passes only the contracts
 * and dependencies the task names, and the tier decides which further sections appear. Over budget,
 * the most expendable sections are shortened (the cut is marked in the text) or dropped, and every
 * cut is reported; nothing is lost silently. Not responsible for dependency outputs: those arrive
 * as separate messages from {@link createContextBuilder}.
 */
import type { TaskTier } from '@runtime/contracts';
import { contextTooLarge, describeValue, isIntegerAtLeast, validationFailed, type Issue } from './internal/errors.js';
import { longestFittingPrefix } from './internal/fit-text.js';
import { CUT_ORDER, renderBlock, renderBlocks, SECTION_ORDER, sectionBodies, type PromptBlock } from './internal/prompt-blocks.js';
import type { PromptCut, PromptOmission, TieredPrompt, TieredPromptInput, TieredPromptOptions } from './tiered-prompt-types.js';

/**
 * Default token budget of a tier's prompt text.
 * @public
 */
export const DEFAULT_TIER_BUDGETS: Readonly<Record<TaskTier, number>> = Object.freeze({ 1: 1_000, 2: 2_200, 3: 4_500 });

/**
 * The `<thinking_instruction>` of tier-3 prompts when the input gives none.
 * @public
 */
export const DEFAULT_THINKING_INSTRUCTION =
  'Before answering, think through the contracts, the dependencies and the edge cases step by step; check your answer against every success criterion, then give only the final result.';

const INPUT_FIELD: Readonly<Partial<Record<string, keyof TieredPromptInput>>> = {
  contract: 'contracts',
  pattern: 'pattern',
  dependencies: 'dependencies',
  business_rules: 'businessRules',
  edge_cases: 'edgeCases',
  security: 'security',
  architecture_context: 'architectureContext',
  thinking_instruction: 'thinkingInstruction',
};

function validate(input: TieredPromptInput, options: TieredPromptOptions): void {
  const issues: Issue[] = [];
  if (input.tier !== 1 && input.tier !== 2 && input.tier !== 3) issues.push({ path: 'tier', message: `must be 1, 2 or 3, got ${describeValue(input.tier)}` });
  for (const field of ['role', 'task'] as const) {
    if (typeof input[field] !== 'string' || input[field].trim() === '') issues.push({ path: field, message: 'must be a non-empty string' });
  }
  if (!Array.isArray(input.successCriteria) || input.successCriteria.length === 0) {
    issues.push({ path: 'successCriteria', message: 'needs at least one success criterion' });
  }
  (input.contracts ?? []).forEach((contract, index) => {
    if (typeof contract.name !== 'string' || contract.name === '') issues.push({ path: `contracts[${index}].name`, message: 'must be a non-empty string' });
    if (typeof contract.text !== 'string') issues.push({ path: `contracts[${index}].text`, message: 'must be a string' });
  });
  for (const [tier, budget] of Object.entries(options.budgets ?? {})) {
    if (budget !== undefined && !isIntegerAtLeast(budget, 1)) issues.push({ path: `budgets.${tier}`, message: `must be an integer ≥ 1, got ${describeValue(budget)}` });
  }
  if (issues.length > 0) throw validationFailed('tiered prompt input', issues);
}

function isPresent(value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value === 'string') return value.trim() !== '';
  return Array.isArray(value) ? value.length > 0 : true;
}

function initialBlocks(input: TieredPromptInput): { blocks: PromptBlock[]; omitted: PromptOmission[] } {
  const bodies = sectionBodies(input, input.thinkingInstruction ?? DEFAULT_THINKING_INSTRUCTION);
  const blocks: PromptBlock[] = [];
  const omitted: PromptOmission[] = [];
  for (const [section, minimumTier] of SECTION_ORDER) {
    if (input.tier < minimumTier) {
      const field = INPUT_FIELD[section];
      if (field !== undefined && isPresent(input[field])) {
        omitted.push({ section, reason: `tier ${input.tier} prompts do not carry <${section}> (tier ${minimumTier} and up)` });
      }
      continue;
    }
    if (section === 'contract') {
      for (const contract of input.contracts ?? []) blocks.push({ section, name: contract.name, body: contract.text.trim() });
      continue;
    }
    const body = bodies[section];
    if (body !== '') blocks.push({ section, body });
  }
  return { blocks, omitted };
}

/** Cuttable blocks in cut order: by section expendability, later contracts before earlier ones. */
function cutCandidates(blocks: readonly PromptBlock[]): PromptBlock[] {
  const rank = (block: PromptBlock): number => CUT_ORDER.indexOf(block.section);
  return blocks
    .map((block, index) => ({ block, index }))
    .filter(({ block }) => rank(block) >= 0)
    .sort((left, right) => rank(left.block) - rank(right.block) || right.index - left.index)
    .map(({ block }) => block);
}

/**
 * Builds a tier's prompt in XML-tag sections and fits it into the tier's token budget.
 *
 * @remarks
 * Sections in order: `role`, `contract` (one per contract), `pattern`, `dependencies`,
 * `business_rules`, `edge_cases`, `security`, `architecture_context`, `task`, `success_criteria`,
 * `thinking_instruction`; empty ones are left out, and inputs of sections above the tier are
 * reported in `omitted`. Over budget (with `onOverBudget: 'cut'`), sections are cut in this order
 * until the text fits: architecture context, edge cases, business rules, pattern, dependencies,
 * security, contracts (last named first). Each is first shortened to the longest prefix that lets
 * the prompt fit, ending in a visible `[cut …]` marker, or dropped when no prefix helps. Role,
 * task, success criteria and the thinking instruction are never cut.
 *
 * @throws {@link @runtime/contracts#ValidationError} `VALIDATION_FAILED` for a malformed input or budget;
 * {@link @runtime/contracts#ContextError} `CONTEXT_TOO_LARGE` (`details.maxTokens`, `tokens`, `minimumTokens`) when
 * the prompt cannot fit, or is over budget with `onOverBudget: 'fail'`.
 * @example
 * ```ts
 * const prompt = buildTieredPrompt(
 *   { tier: 1, role: 'TypeScript engineer', task: 'Implement createMemoryStore.', successCriteria: ['tests pass'] },
 *   { estimator, model: 'gpt-4o-mini' },
 * );
 * ```
 * @public
 */
export function buildTieredPrompt(input: TieredPromptInput, options: TieredPromptOptions): TieredPrompt {
  validate(input, options);
  const { estimator, model } = options;
  const budget = options.budgets?.[input.tier] ?? DEFAULT_TIER_BUDGETS[input.tier];
  const count = (text: string): number => estimator.countText(text, model);
  const { blocks, omitted } = initialBlocks(input);
  const cuts: PromptCut[] = [];
  let tokens = count(renderBlocks(blocks));

  if (tokens > budget) {
    const candidates = cutCandidates(blocks);
    const minimumTokens = count(renderBlocks(blocks.filter((block) => !candidates.includes(block))));
    const details = { maxTokens: budget, tokens, minimumTokens, tier: input.tier };
    if (options.onOverBudget === 'fail') {
      throw contextTooLarge(`Tier ${input.tier} prompt of ${tokens} tokens is over its budget of ${budget} tokens.`, details);
    }
    if (minimumTokens > budget) {
      throw contextTooLarge(
        `Tier ${input.tier} prompt cannot fit its budget of ${budget} tokens: role, task, success criteria and thinking instruction alone need ${minimumTokens}.`,
        details,
      );
    }
    for (const candidate of candidates) {
      if (tokens <= budget) break;
      const position = blocks.indexOf(candidate);
      const tokensBefore = count(renderBlock(candidate));
      const marker = `\n[cut: this section had ${tokensBefore} tokens; its end was removed to fit the tier ${input.tier} prompt budget of ${budget} tokens]`;
      const withBody = (body: string): PromptBlock[] => blocks.map((block, index) => (index === position ? { ...block, body } : block));
      const kept = longestFittingPrefix(candidate.body, (prefix) => count(renderBlocks(withBody(prefix + marker))) <= budget);
      const base = candidate.name === undefined ? { section: candidate.section } : { section: candidate.section, name: candidate.name };
      if (kept !== undefined && kept.trim() !== '') {
        const shortened = { ...candidate, body: kept.trimEnd() + marker };
        blocks[position] = shortened;
        cuts.push({ ...base, action: 'truncated', tokensBefore, tokensAfter: count(renderBlock(shortened)) });
      } else {
        blocks.splice(position, 1);
        cuts.push({ ...base, action: 'dropped', tokensBefore, tokensAfter: 0 });
      }
      tokens = count(renderBlocks(blocks));
    }
  }

  const text = renderBlocks(blocks);
  const sections = blocks.map((block) => ({
    section: block.section,
    ...(block.name === undefined ? {} : { name: block.name }),
    tokens: count(renderBlock(block)),
  }));
  return { text, tier: input.tier, tokens, budget, sections, cuts, omitted };
}
