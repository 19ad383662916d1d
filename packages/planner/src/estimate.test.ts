import { addMoney, moneyToDecimalString, usd, type ModelCatalogFile, type RuntimeError } from '@runtime/contracts';
import { createCostCalculator, createModelCatalog, createTokenEstimator } from '@runtime/cost';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { scriptedPlannerLlm, shopAnswers, shopPrd } from '../test/scripted-llm.js';
import { criticalityOrder, estimatePlan, fitBudget, type EstimateDeps } from './estimate.js';
import type { Plan } from './plan.js';
import { planFromPrd } from './planner.js';
import { planToRunSpec } from './run-spec.js';

const CATALOG: ModelCatalogFile = {
  models: [
    { id: 'm-fast', provider: 'mock', role: 'fast', maxInputTokens: 128_000, maxOutputTokens: 16_384, encoding: 'o200k_base', pricing: { inputPerMTok: 0.1, outputPerMTok: 0.4 } },
    { id: 'm-balanced', provider: 'mock', role: 'balanced', maxInputTokens: 128_000, maxOutputTokens: 16_384, encoding: 'o200k_base', pricing: { inputPerMTok: 0.4, outputPerMTok: 1.6 } },
    { id: 'm-flagship', provider: 'mock', role: 'flagship', maxInputTokens: 200_000, maxOutputTokens: 32_000, encoding: 'o200k_base', pricing: { inputPerMTok: 2, outputPerMTok: 8 } },
  ],
  defaultModel: 'm-balanced',
};
const catalog = createModelCatalog({ builtin: false, catalogs: [CATALOG] });
const deps: EstimateDeps = { catalog, estimator: createTokenEstimator({ catalog }), calculator: createCostCalculator({ catalog }) };

let plan: Plan;
beforeAll(async () => {
  plan = await planFromPrd(shopPrd, { model: 'm-balanced', llm: scriptedPlannerLlm(shopAnswers()) });
});

function allTier(p: Plan, tier: 1 | 2 | 3): Plan {
  return { ...p, tasks: p.tasks.map((task) => (task.state === 'pending' ? { ...task, tier } : task)) };
}

describe('estimatePlan', () => {
  it('per task worst case is the calculator worst case of the run spec; tiers and total add up; expected ≤ worst', () => {
    const estimate = estimatePlan(plan, deps);
    const spec = planToRunSpec(plan);
    expect(estimate.tasks.map((task) => task.id)).toEqual(spec.tasks.map((task) => task.id));
    for (const task of estimate.tasks) {
      expect(task.model).toBe(catalog.forTier(task.tier).id);
      expect(task.worstCase).toBe(deps.calculator.worstCase(task.model, task.worstInputTokens, task.maxOutputTokens));
      expect(task.expected <= task.worstCase).toBe(true);
    }
    expect(addMoney(estimate.byTier[1].worstCase, estimate.byTier[2].worstCase, estimate.byTier[3].worstCase)).toBe(estimate.total.worstCase);
    expect(addMoney(estimate.byTier[1].expected, estimate.byTier[2].expected, estimate.byTier[3].expected)).toBe(estimate.total.expected);
    expect(estimate.byTier[1].tasks + estimate.byTier[2].tasks + estimate.byTier[3].tasks).toBe(spec.tasks.length);
    expect(estimate.total.worstCaseUsd).toBe(moneyToDecimalString(estimate.total.worstCase));
    // A dependent's worst input counts each dependency's output cap plus its header.
    const test = estimate.tasks.find((task) => task.id === 'test.orders');
    const own = deps.estimator.countMessages([{ role: 'user', content: spec.tasks.find((task) => task.id === 'test.orders')?.prompt ?? '' }], test?.model ?? '');
    const depCaps = ['impl.orders.R5', 'impl.orders.R6', 'impl.orders.R7'].map((id) => estimate.tasks.find((task) => task.id === id)?.maxOutputTokens ?? 0);
    expect(test?.worstInputTokens).toBe(own + depCaps.reduce((a, b) => a + b + 16, 0));
  });
});

describe('fitBudget', () => {
  it('a budget the plan already fits changes nothing', () => {
    const fit = fitBudget(plan, 1_000, deps);
    expect(fit.changes).toEqual([]);
    expect(fit.plan).toBe(plan);
  });

  it('criticality: tests and leaves first, the integration task last', () => {
    const order = criticalityOrder(plan);
    expect(order.at(-1)).toBe('integrate');
    expect(order.indexOf('test.catalog')).toBeLessThan(order.indexOf('impl.catalog.R3'));
  });

  it('a budget below the all-flagship plan: tiers degraded (least critical first), fits, every change reported', () => {
    const flagship = allTier(plan, 3);
    const full = estimatePlan(flagship, deps).total.worstCase;
    const cheapest = estimatePlan(allTier(plan, 1), deps).total.worstCase;
    const budget = Number(moneyToDecimalString(((full + cheapest) / 2n) as typeof full));
    const fit = fitBudget(flagship, budget, deps);
    expect(fit.estimate.total.worstCase <= usd(budget)).toBe(true);
    expect(fit.before.total.worstCase).toBe(full);
    expect(fit.changes.length).toBeGreaterThan(0);
    expect(fit.changes.every((change) => change.kind === 'tier' && change.from === 3 && change.to === 2)).toBe(true);
    const order = criticalityOrder(flagship);
    const degraded = fit.changes.map((change) => change.task);
    expect(degraded).toEqual(order.slice(0, degraded.length));
    expect(fit.plan.tasks.find((task) => task.id === 'integrate')?.tier).toBe(3);
  });

  it('a budget below all-tier-1 compacts context; below the compaction floor it is a typed error', () => {
    const cheapest = estimatePlan(allTier(plan, 1), deps).total.worstCase;
    const budget = Number(moneyToDecimalString(((cheapest * 9n) / 10n) as typeof cheapest));
    const fit = fitBudget(plan, budget, deps);
    expect(fit.estimate.total.worstCase <= usd(budget)).toBe(true);
    expect(fit.plan.tasks.every((task) => task.state === 'done' || task.tier === 1)).toBe(true);
    expect(fit.changes.some((change) => change.kind === 'maxOutputTokens')).toBe(true);
    const error = (() => {
      try {
        fitBudget(plan, 0.000001, deps);
        return undefined;
      } catch (caught) {
        return caught as RuntimeError;
      }
    })();
    expect(error?.code).toBe('BUDGET_EXCEEDED');
    expect(error?.details.reason).toBe('PLANNER_BUDGET_UNREACHABLE');
    expect(() => fitBudget(plan, -1, deps)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }) as Error);
  });

  it('property: any budget either fits exactly as reported or is refused; the changes explain every difference', () => {
    const flagship = allTier(plan, 3);
    const full = Number(estimatePlan(flagship, deps).total.worstCaseUsd);
    fc.assert(
      fc.property(fc.double({ min: full / 50, max: full * 1.2, noNaN: true }), (raw) => {
        const budget = Math.round(raw * 1e9) / 1e9;
        if (budget <= 0) return;
        let fit;
        try {
          fit = fitBudget(flagship, budget, deps);
        } catch (error) {
          expect((error as RuntimeError).code).toBe('BUDGET_EXCEEDED');
          return;
        }
        expect(fit.estimate.total.worstCase <= usd(budget)).toBe(true);
        expect(fit.estimate).toEqual(estimatePlan(fit.plan, deps));
        for (const task of fit.plan.tasks) {
          const original = flagship.tasks.find((candidate) => candidate.id === task.id);
          const mine = fit.changes.filter((change) => change.task === task.id);
          const tier = mine.filter((change) => change.kind === 'tier').at(-1);
          expect(task.tier).toBe(tier === undefined ? original?.tier : tier.to);
          const output = mine.filter((change) => change.kind === 'maxOutputTokens').at(-1);
          expect(task.maxOutputTokens).toBe(output === undefined ? original?.maxOutputTokens : output.to);
          const routed = mine.filter((change) => change.kind === 'dependencyMaxTokens').at(-1);
          expect(task.dependencyMaxTokens).toBe(routed === undefined ? original?.dependencyMaxTokens : routed.to);
        }
      }),
      { numRuns: 40 },
    );
  });
});
