/**
 * End to end: a PRD of 10 features → the contract-first planner (a scripted planning model) → a
 * RunSpec run on the mock provider through `createRuntime`; and the same PRD under a budget too small
 * for the all-flagship plan → a degraded plan that fits, with its report, run under that budget.
 * Also the planner's pricing (`estimatePlan`, `fitBudget`, `planCommand`) on the real cost package —
 * here because a domain package may not depend on `@runtime/cost`, even in its tests.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { addMoney, moneyToDecimalString, usd, type LlmClient, type LlmRequest, type LlmResult, type RuntimeError } from '@runtime/contracts';
import { createCostCalculator, createModelCatalog, createTokenEstimator } from '@runtime/cost';
import fc from 'fast-check';
import { criticalityOrder, estimatePlan, fitBudget, planCommand, planFromPrd, planRunSpec, type EstimateDeps, type Plan } from '@runtime/planner';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, OFFLINE_CATALOG } from '../src/index.js';

const folder = fileURLToPath(new URL('../../planner/test/fixtures/prd-shop/', import.meta.url));
const prd = readFileSync(`${folder}prd.md`, 'utf8');
const script = JSON.parse(readFileSync(`${folder}script.json`, 'utf8')) as {
  requirements: object;
  domains: object;
  contracts: Record<string, object>;
};

/** The planning model: answers each `[planner:<stage>]` call from the PRD's script. */
function planningModel(): LlmClient & { calls: number } {
  const answers: Record<string, object | undefined> = {
    requirements: script.requirements,
    domains: script.domains,
    ...Object.fromEntries(Object.entries(script.contracts).map(([domain, contract]) => [`contract:${domain}`, contract])),
  };
  const client = {
    provider: 'scripted-planner',
    calls: 0,
    complete(request: LlmRequest): Promise<LlmResult> {
      client.calls += 1;
      const stage = /^\[planner:([^\]]+)\]/.exec(request.messages.at(-1)?.content ?? '')?.[1] ?? '';
      const answer = answers[stage];
      if (answer === undefined) return Promise.reject(new Error(`unscripted planner stage ${stage}`));
      return Promise.resolve({ output: JSON.stringify(answer), usage: { inputTokens: 50, outputTokens: 50, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 }, finishReason: 'stop' });
    },
  };
  return client;
}

function allTier(plan: Plan, tier: 1 | 2 | 3): Plan {
  return { ...plan, tasks: plan.tasks.map((task) => (task.state === 'pending' ? { ...task, tier } : task)) };
}

function allFlagship(plan: Plan): Plan {
  return allTier(plan, 3);
}

describe('planner end to end on the mock provider', () => {
  it('PRD of 10 features → contract-first plan → run completed, every planned task ran on its tier', async () => {
    const runtime = createRuntime({ tracing: false });
    try {
      const plan = await planFromPrd(prd, { llm: planningModel(), model: 'mock-balanced' });
      expect(plan.path).toBe('contract-first');
      expect(plan.requirements).toHaveLength(10);
      const spec = planRunSpec(plan, { maxParallelism: 4 });
      const run = await runtime.run(spec);
      expect(run.state).toBe('completed');
      expect(run.tasks.map((task) => task.id).sort()).toEqual(plan.tasks.filter((task) => task.state === 'pending').map((task) => task.id).sort());
      for (const task of run.tasks) {
        const planned = plan.tasks.find((candidate) => candidate.id === task.id);
        expect(task.state).toBe('completed');
        expect(task.model).toBe(runtime.catalog.forTier(planned?.tier ?? 2).id);
      }
      const estimate = estimatePlan(plan, { catalog: runtime.catalog, estimator: runtime.estimator, calculator: runtime.costs });
      const spent = run.tasks.reduce((sum, task) => sum + runtime.costs.cost(task.model, task.usage), 0n);
      expect(spent <= estimate.total.worstCase).toBe(true);
    } finally {
      await runtime.close();
    }
  });

  it('the same PRD under a budget too small for the all-flagship plan: degraded plan that fits, with the report, runs within it', async () => {
    const runtime = createRuntime({ tracing: false });
    const services = { catalog: runtime.catalog, estimator: runtime.estimator, calculator: runtime.costs };
    try {
      const planned = await planFromPrd(prd, { llm: planningModel(), model: 'mock-balanced' });
      const flagship = estimatePlan(allFlagship(planned), services).total.worstCase;
      const own = estimatePlan(planned, services).total.worstCase;
      expect(own < flagship).toBe(true);
      const budgetUsd = Number(moneyToDecimalString(((own * 6n) / 10n) as typeof own));
      const result = await planCommand(
        { prd, budgetUsd, run: true, policy: { maxParallelism: 4 } },
        { ...services, planner: { llm: planningModel(), model: 'mock-balanced' }, runSpec: (spec) => runtime.run(spec) },
      );
      expect(result.fit?.changes.length).toBeGreaterThan(0);
      expect(result.fit?.changes.some((change) => change.kind === 'tier')).toBe(true);
      expect(result.estimate.total.worstCase <= usd(budgetUsd)).toBe(true);
      expect(result.spec.policy?.budgetUsd).toBe(budgetUsd);
      const report = JSON.parse(result.document) as { path: string; budget: { budgetUsd: number; changes: unknown[] } };
      expect(report.path).toBe('contract-first');
      expect(report.budget.budgetUsd).toBe(budgetUsd);
      expect(report.budget.changes).toHaveLength(result.fit?.changes.length ?? -1);
      expect(result.run?.state).toBe('completed');
      expect((result.run?.budget?.spentUsd ?? Infinity) <= budgetUsd).toBe(true);
    } finally {
      await runtime.close();
    }
  });
});

const catalog = createModelCatalog({ builtin: false, catalogs: [OFFLINE_CATALOG] });
const deps: EstimateDeps = { catalog, estimator: createTokenEstimator({ catalog }), calculator: createCostCalculator({ catalog }) };

describe('planner pricing on the real cost package', () => {
  let plan: Plan;
  beforeAll(async () => {
    plan = await planFromPrd(prd, { model: 'mock-balanced', llm: planningModel() });
  });

  it('estimatePlan: per task the calculator worst case of the run spec; tiers and total add up; expected ≤ worst', () => {
    const estimate = estimatePlan(plan, deps);
    const spec = planRunSpec(plan);
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
    // A dependent's worst input counts each dependency's output cap plus a 16-token header.
    const test = estimate.tasks.find((task) => task.id === 'test.orders');
    const own = deps.estimator.countMessages([{ role: 'user', content: spec.tasks.find((task) => task.id === 'test.orders')?.prompt ?? '' }], test?.model ?? '');
    const caps = ['impl.orders.R5', 'impl.orders.R6', 'impl.orders.R7'].map((id) => estimate.tasks.find((task) => task.id === id)?.maxOutputTokens ?? 0);
    expect(test?.worstInputTokens).toBe(own + caps.reduce((sum, cap) => sum + cap + 16, 0));
  });

  it('fitBudget: a budget the plan already fits changes nothing', () => {
    const fit = fitBudget(plan, 1_000, deps);
    expect(fit.changes).toEqual([]);
    expect(fit.plan).toBe(plan);
  });

  it('fitBudget below the all-flagship plan: 3→2 on the least critical tasks first, fits, every change reported', () => {
    const flagship = allFlagship(plan);
    const full = estimatePlan(flagship, deps).total.worstCase;
    const cheapest = estimatePlan(allTier(plan, 1), deps).total.worstCase;
    const budget = Number(moneyToDecimalString(((full + cheapest) / 2n) as typeof full));
    const fit = fitBudget(flagship, budget, deps);
    expect(fit.estimate.total.worstCase <= usd(budget)).toBe(true);
    expect(fit.before.total.worstCase).toBe(full);
    expect(fit.changes.length).toBeGreaterThan(0);
    expect(fit.changes.every((change) => change.kind === 'tier' && change.from === 3 && change.to === 2)).toBe(true);
    const degraded = fit.changes.map((change) => change.task);
    expect(degraded).toEqual(criticalityOrder(flagship).slice(0, degraded.length));
    expect(fit.plan.tasks.find((task) => task.id === 'integrate')?.tier).toBe(3);
  });

  it('fitBudget below all-tier-1 compacts context; below the compaction floor it is a typed error', () => {
    const cheapest = estimatePlan(allTier(plan, 1), deps).total.worstCase;
    const budget = Number(moneyToDecimalString(((cheapest * 9n) / 10n) as typeof cheapest));
    const fit = fitBudget(plan, budget, deps);
    expect(fit.estimate.total.worstCase <= usd(budget)).toBe(true);
    expect(fit.plan.tasks.every((task) => task.state === 'done' || task.tier === 1)).toBe(true);
    expect(fit.changes.some((change) => change.kind === 'maxOutputTokens')).toBe(true);
    let error: RuntimeError | undefined;
    try {
      fitBudget(plan, 0.000001, deps);
    } catch (caught) {
      error = caught as RuntimeError;
    }
    expect(error?.code).toBe('BUDGET_EXCEEDED');
    expect(error?.details.reason).toBe('PLANNER_BUDGET_UNREACHABLE');
    expect(() => fitBudget(plan, -1, deps)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }) as Error);
  });

  it('property: any budget either fits as estimated or is refused, and the changes explain every difference', () => {
    const flagship = allFlagship(plan);
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

  it('planCommand without a budget: plan, estimate and a JSON (YAML 1.2) document; --run without a runner is a typed error', async () => {
    const result = await planCommand({ prd }, { ...deps, planner: { llm: planningModel(), model: 'mock-balanced' } });
    expect(result.fit).toBeUndefined();
    expect(result.run).toBeUndefined();
    const document = JSON.parse(result.document) as { path: string; estimate: { total: { worstCaseUsd: string } }; tasks: unknown[]; spec: { tasks: unknown[] } };
    expect(document.path).toBe('contract-first');
    expect(document.estimate.total.worstCaseUsd).toBe(result.estimate.total.worstCaseUsd);
    expect(document.tasks).toHaveLength(result.plan.tasks.length);
    expect(document.spec.tasks).toHaveLength(result.spec.tasks.length);
    await expect(planCommand({ prd, run: true }, { ...deps, planner: { llm: planningModel(), model: 'mock-balanced' } })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { reason: 'PLANNER_INVALID_INPUT' },
    });
  });
});

describe('planner output caps on models with small limits', () => {
  it('the spec caps every task at its tier model maximum, so it runs on models below the planner caps (1024/2048/4096)', async () => {
    const small = {
      ...OFFLINE_CATALOG,
      models: (OFFLINE_CATALOG.models ?? []).map((model) => ({ ...model, maxOutputTokens: 1000 })),
    };
    const catalog = createModelCatalog({ builtin: false, catalogs: [small] });
    const runtime = createRuntime({ tracing: false, catalog });
    try {
      const services = { catalog, estimator: runtime.estimator, calculator: runtime.costs };
      const result = await planCommand(
        { prd, run: true },
        { ...services, planner: { llm: planningModel(), model: 'mock-balanced' }, runSpec: (spec) => runtime.run(spec) },
      );
      for (const task of result.spec.tasks) expect(task.maxOutputTokens ?? 0).toBeLessThanOrEqual(1000);
      expect(result.run?.state).toBe('completed');
      const estimated = new Map(result.estimate.tasks.map((task) => [task.id, task.maxOutputTokens]));
      for (const task of result.spec.tasks) expect(task.maxOutputTokens).toBe(estimated.get(task.id));
    } finally {
      await runtime.close();
    }
  });
});
