import type { ModelCatalogFile, Run, RunSpec } from '@runtime/contracts';
import { createCostCalculator, createModelCatalog, createTokenEstimator } from '@runtime/cost';
import { describe, expect, it } from 'vitest';
import { scriptedPlannerLlm, shopAnswers, shopPrd, shopScript } from '../test/scripted-llm.js';
import { planCommand } from './plan-command.js';
import { renderContract } from './render.js';

const CATALOG: ModelCatalogFile = {
  models: [
    { id: 'm-fast', provider: 'mock', role: 'fast', maxInputTokens: 128_000, maxOutputTokens: 16_384, encoding: 'o200k_base', pricing: { inputPerMTok: 0.1, outputPerMTok: 0.4 } },
    { id: 'm-flagship', provider: 'mock', role: 'flagship', maxInputTokens: 200_000, maxOutputTokens: 32_000, encoding: 'o200k_base', pricing: { inputPerMTok: 2, outputPerMTok: 8 } },
  ],
  defaultModel: 'm-fast',
};
const catalog = createModelCatalog({ builtin: false, catalogs: [CATALOG] });
const services = { catalog, estimator: createTokenEstimator({ catalog }), calculator: createCostCalculator({ catalog }) };

describe('planCommand', () => {
  it('without a budget: plan, estimate and a JSON (YAML 1.2) document; no run', async () => {
    const result = await planCommand({ prd: shopPrd }, { ...services, planner: { llm: scriptedPlannerLlm(shopAnswers()), model: 'm-fast' } });
    expect(result.fit).toBeUndefined();
    expect(result.run).toBeUndefined();
    const document = JSON.parse(result.document) as { path: string; estimate: { total: { worstCaseUsd: string } }; tasks: unknown[]; spec: RunSpec };
    expect(document.path).toBe('contract-first');
    expect(document.estimate.total.worstCaseUsd).toBe(result.estimate.total.worstCaseUsd);
    expect(document.tasks).toHaveLength(result.plan.tasks.length);
    expect(document.spec.tasks).toHaveLength(result.spec.tasks.length);
  });

  it('with --run: the spec (budget in its policy) goes to runSpec; without runSpec it is a typed error', async () => {
    const seen: RunSpec[] = [];
    const runSpec = (spec: RunSpec): Promise<Run> => {
      seen.push(spec);
      return Promise.resolve({ id: 'r1', state: 'completed', createdAt: '', updatedAt: '', tasks: [], usage: {} as Run['usage'], budget: null } as unknown as Run);
    };
    const result = await planCommand({ prd: shopPrd, budgetUsd: 100, run: true }, { ...services, planner: { llm: scriptedPlannerLlm(shopAnswers()), model: 'm-fast' }, runSpec });
    expect(seen).toEqual([result.spec]);
    expect(result.spec.policy?.budgetUsd).toBe(100);
    expect(result.fit?.changes).toEqual([]);
    await expect(planCommand({ prd: shopPrd, run: true }, { ...services, planner: { llm: scriptedPlannerLlm(shopAnswers()), model: 'm-fast' } })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { reason: 'PLANNER_INVALID_INPUT' },
    });
  });
});

describe('renderContract', () => {
  it('renders entities, events and a service interface with TypeScript types', () => {
    const text = renderContract(shopScript.contracts.orders);
    expect(text).toContain('// Requires: accounts.getUser, catalog.getProduct');
    expect(text).toContain('export interface Order {\n  readonly id: string;\n  readonly userId: string;\n  readonly items: readonly OrderItem[];\n  readonly totalCents: number;\n  readonly placedAt: string;\n}');
    expect(text).toContain('export interface OrderPlacedEvent {');
    expect(text).toContain('  /** @throws OUT_OF_STOCK, EMPTY_CART */\n  checkout(userId: string): Promise<Order>;');
    expect(text).toContain('listOrders(userId: string): Promise<readonly Order[]>;');
  });
});
