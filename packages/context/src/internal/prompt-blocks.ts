/**
 * Rendering of tiered prompt sections as XML-tag blocks.
 */
import type { TaskTier } from '@runtime/contracts';
import type { PromptSection, TieredPromptInput } from '../tiered-prompt-types.js';

/** One section of a prompt, before rendering. */
export interface PromptBlock {
  readonly section: PromptSection;
  readonly name?: string;
  readonly body: string;
}

/** Sections in rendering order, with the lowest tier that carries each. */
export const SECTION_ORDER: readonly (readonly [PromptSection, TaskTier])[] = [
  ['role', 1],
  ['contract', 1],
  ['pattern', 1],
  ['dependencies', 2],
  ['business_rules', 2],
  ['edge_cases', 2],
  ['security', 3],
  ['architecture_context', 3],
  ['task', 1],
  ['success_criteria', 1],
  ['thinking_instruction', 3],
];

/** Sections that may be shortened or dropped to fit a budget, most expendable first. */
export const CUT_ORDER: readonly PromptSection[] = [
  'architecture_context',
  'edge_cases',
  'business_rules',
  'pattern',
  'dependencies',
  'security',
  'contract',
];

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

/** `<section name="…">\nbody\n</section>`. */
export function renderBlock(block: PromptBlock): string {
  const name = block.name === undefined ? '' : ` name="${escapeAttribute(block.name)}"`;
  return `<${block.section}${name}>\n${block.body}\n</${block.section}>`;
}

/** The whole prompt text. */
export function renderBlocks(blocks: readonly PromptBlock[]): string {
  return blocks.map(renderBlock).join('\n\n');
}

function list(items: readonly string[] | undefined): string {
  return (items ?? []).map((item) => `- ${item.trim()}`).join('\n');
}

/** The body of each non-contract section from the input (empty when absent). */
export function sectionBodies(input: TieredPromptInput, thinkingInstruction: string): Readonly<Record<Exclude<PromptSection, 'contract'>, string>> {
  const dependencies = (input.dependencies ?? []).map((dependency) => `- ${dependency.id}: ${dependency.description.trim()}`);
  return {
    role: input.role.trim(),
    pattern: (input.pattern ?? '').trim(),
    dependencies:
      dependencies.length === 0
        ? ''
        : `${dependencies.join('\n')}\nEach dependency's output follows in its own <dependency_output id="…"> message.`,
    business_rules: list(input.businessRules),
    edge_cases: list(input.edgeCases),
    security: list(input.security),
    architecture_context: (input.architectureContext ?? '').trim(),
    task: input.task.trim(),
    success_criteria: list(input.successCriteria),
    thinking_instruction: input.tier === 3 ? thinkingInstruction.trim() : '',
  };
}
