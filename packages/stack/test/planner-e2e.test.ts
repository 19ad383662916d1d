/**
 * End to end: a PRD of 10 features → the contract-first planner (a scripted planning model) → a
 * RunSpec run on the mock provider through `createRuntime`; and the same PRD under a budget too small
 * for the all-flagship plan → a degraded plan that fits, with its report, run under that budget.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { moneyToDecimalString, usd, type LlmClient, type LlmRequest, type LlmResult } from '@runtime/contracts';
import { estimatePlan, planCommand, planFromPrd, planToRunSpec, type Plan } from '@runtime/planner';
import { describe, expect, it } from 'vitest';
import { createRuntime } from '../src/index.js';

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

function allFlagship(plan: Plan): Plan {
  return { ...plan, tasks: plan.tasks.map((task) => (task.state === 'pending' ? { ...task, tier: 3 as const } : task)) };
}

describe('planner end to end on the mock provider', () => {
  it('PRD of 10 features → contract-first plan → run completed, every planned task ran on its tier', async () => {
    const runtime = createRuntime({ tracing: false });
    try {
      const plan = await planFromPrd(prd, { llm: planningModel(), model: 'mock-balanced' });
      expect(plan.path).toBe('contract-first');
      expect(plan.requirements).toHaveLength(10);
      const spec = planToRunSpec(plan, { maxParallelism: 4 });
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
