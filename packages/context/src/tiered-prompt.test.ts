import { describe, expect, it } from 'vitest';
import { ContextError, ValidationError } from '@runtime/contracts';
import { createFakeTokenEstimator } from '../test/support/fake-token-estimator.js';
import { buildTieredPrompt, DEFAULT_THINKING_INSTRUCTION } from './tiered-prompt.js';
import type { TieredPromptInput } from './tiered-prompt-types.js';
import { thrown } from '../test/support/thrown.js';

const estimator = createFakeTokenEstimator();
const options = { estimator, model: 'test-model' };

const full: TieredPromptInput = {
  tier: 3,
  role: 'Senior TypeScript engineer',
  task: 'Implement the budget ledger.',
  successCriteria: ['spent + reserved never exceeds the limit', 'settle is idempotent'],
  contracts: [
    { name: 'BudgetLedger', text: 'interface BudgetLedger { reserve(): void }' },
    { name: 'Money', text: 'type Money = bigint' },
  ],
  pattern: 'reserve → settle | release',
  dependencies: [{ id: 'contracts', description: 'the shared interfaces' }],
  businessRules: ['Money is exact.'],
  edgeCases: ['settle twice'],
  security: ['never log API keys'],
  architectureContext: 'The orchestrator reserves before every call.',
};

describe('buildTieredPrompt', () => {
  it('renders tier 3 with every section in order, in XML tags', () => {
    const prompt = buildTieredPrompt(full, options);
    expect(prompt.text).toBe(
      [
        '<role>\nSenior TypeScript engineer\n</role>',
        '<contract name="BudgetLedger">\ninterface BudgetLedger { reserve(): void }\n</contract>',
        '<contract name="Money">\ntype Money = bigint\n</contract>',
        '<pattern>\nreserve → settle | release\n</pattern>',
        "<dependencies>\n- contracts: the shared interfaces\nEach dependency's output follows in its own <dependency_output id=\"…\"> message.\n</dependencies>",
        '<business_rules>\n- Money is exact.\n</business_rules>',
        '<edge_cases>\n- settle twice\n</edge_cases>',
        '<security>\n- never log API keys\n</security>',
        '<architecture_context>\nThe orchestrator reserves before every call.\n</architecture_context>',
        '<task>\nImplement the budget ledger.\n</task>',
        '<success_criteria>\n- spent + reserved never exceeds the limit\n- settle is idempotent\n</success_criteria>',
        `<thinking_instruction>\n${DEFAULT_THINKING_INSTRUCTION}\n</thinking_instruction>`,
      ].join('\n\n'),
    );
    expect(prompt).toMatchObject({ tier: 3, budget: 4_500, cuts: [], omitted: [] });
    expect(prompt.tokens).toBe(estimator.countText(prompt.text, 'test-model'));
    expect(prompt.sections.map((section) => section.name ?? section.section)).toEqual([
      'role', 'BudgetLedger', 'Money', 'pattern', 'dependencies', 'business_rules', 'edge_cases', 'security', 'architecture_context', 'task', 'success_criteria', 'thinking_instruction',
    ]);
  });

  it('tier 1 carries only role, contract, pattern, task and success criteria, and reports what it left out', () => {
    const prompt = buildTieredPrompt({ ...full, tier: 1 }, options);
    expect(prompt.sections.map((section) => section.section)).toEqual(['role', 'contract', 'contract', 'pattern', 'task', 'success_criteria']);
    expect(prompt.budget).toBe(1_000);
    expect(prompt.omitted.map((omission) => omission.section)).toEqual(['dependencies', 'business_rules', 'edge_cases', 'security', 'architecture_context']);
    expect(prompt.omitted[0]?.reason).toBe('tier 1 prompts do not carry <dependencies> (tier 2 and up)');
  });

  it('tier 2 adds dependencies, business rules and edge cases', () => {
    const prompt = buildTieredPrompt({ ...full, tier: 2 }, options);
    expect(prompt.sections.map((section) => section.section)).toEqual([
      'role', 'contract', 'contract', 'pattern', 'dependencies', 'business_rules', 'edge_cases', 'task', 'success_criteria',
    ]);
    expect(prompt.text).not.toContain('<thinking_instruction>');
    expect(prompt.budget).toBe(2_200);
  });

  it('over budget, cuts the most expendable sections first, marks each cut in the text and reports it', () => {
    const input: TieredPromptInput = { ...full, architectureContext: 'Context sentence. '.repeat(200), edgeCases: ['case '.repeat(100)] };
    const uncut = buildTieredPrompt(input, options).tokens;
    const budget = uncut - 500;
    const prompt = buildTieredPrompt(input, { ...options, budgets: { 3: budget } });
    expect(prompt.tokens).toBeLessThanOrEqual(budget);
    expect(prompt.tokens).toBe(estimator.countText(prompt.text, 'test-model'));
    expect(prompt.cuts).toHaveLength(1);
    expect(prompt.cuts[0]).toMatchObject({ section: 'architecture_context', action: 'truncated' });
    expect(prompt.text).toMatch(/\[cut: this section had \d+ tokens; its end was removed to fit the tier 3 prompt budget of \d+ tokens\]\n<\/architecture_context>/);
    // Everything else is intact.
    expect(prompt.text).toContain(`<edge_cases>\n- ${'case '.repeat(100).trim()}\n</edge_cases>`);
  });

  it('drops whole sections and then cuts contracts, last named first, when the budget is very tight', () => {
    const input: TieredPromptInput = { ...full, contracts: [{ name: 'A', text: 'a '.repeat(400) }, { name: 'B', text: 'b '.repeat(400) }] };
    const minimal = buildTieredPrompt({ tier: 3, role: full.role, task: full.task, successCriteria: full.successCriteria }, options).tokens;
    const prompt = buildTieredPrompt(input, { ...options, budgets: { 3: minimal + 150 } });
    expect(prompt.tokens).toBeLessThanOrEqual(minimal + 150);
    const sections = prompt.cuts.map((cut) => `${cut.name ?? cut.section}:${cut.action}`);
    expect(sections.slice(0, 6)).toEqual([
      'architecture_context:dropped',
      'edge_cases:dropped',
      'business_rules:dropped',
      'pattern:dropped',
      'dependencies:dropped',
      'security:dropped',
    ]);
    expect(sections.slice(6)).toEqual(['B:dropped', 'A:truncated']);
    expect(prompt.text).toContain('<task>\nImplement the budget ledger.\n</task>');
  });

  it('fails with CONTEXT_TOO_LARGE when the uncuttable sections alone exceed the budget, or when asked to fail', () => {
    const tooSmall = thrown(() => buildTieredPrompt(full, { ...options, budgets: { 3: 10 } }));
    expect(ContextError.isInstance(tooSmall) && tooSmall.details['maxTokens']).toBe(10);
    expect(ContextError.isInstance(tooSmall) && Number(tooSmall.details['minimumTokens'])).toBeGreaterThan(10);
    const strict = thrown(() => buildTieredPrompt(full, { ...options, budgets: { 3: 200 }, onOverBudget: 'fail' }));
    expect(ContextError.isInstance(strict) && strict.code).toBe('CONTEXT_TOO_LARGE');
  });

  it('rejects malformed input with VALIDATION_FAILED', () => {
    const error = thrown(() => buildTieredPrompt({ ...full, tier: 4 as 3, role: ' ', successCriteria: [] }, options));
    expect(ValidationError.isInstance(error) && error.details['issues']).toEqual([
      { path: 'tier', message: 'must be 1, 2 or 3, got 4' },
      { path: 'role', message: 'must be a non-empty string' },
      { path: 'successCriteria', message: 'needs at least one success criterion' },
    ]);
    expect(() => buildTieredPrompt(full, { ...options, budgets: { 2: 0 } })).toThrow(/budgets\.2: must be an integer ≥ 1/);
  });
});
