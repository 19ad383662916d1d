import { RuntimeError } from '@runtime/contracts';
import { describe, expect, it } from 'vitest';
import { scriptedPlannerLlm, shopAnswers, shopPrd, shopScript } from '../test/scripted-llm.js';
import { CATCH_ALL_DOMAIN, domainCountRange, planFromPrd } from './planner.js';
import { planRunSpec } from './run-spec.js';

const base = { model: 'mock-balanced' };

describe('planFromPrd', () => {
  it('domain count range scales with the feature count', () => {
    expect(domainCountRange(1)).toEqual([2, 3]);
    expect(domainCountRange(5)).toEqual([2, 3]);
    expect(domainCountRange(6)).toEqual([3, 5]);
    expect(domainCountRange(15)).toEqual([3, 5]);
    expect(domainCountRange(30)).toEqual([4, 7]);
    expect(domainCountRange(31)).toEqual([6, 10]);
  });

  it('contract-first: catch-all domain, contracts in parallel under the limit, design tasks done with the contract, DAG and RunSpec', async () => {
    const llm = scriptedPlannerLlm(shopAnswers(), 10);
    const plan = await planFromPrd(shopPrd, { ...base, llm, concurrency: 2 });
    expect(plan.path).toBe('contract-first');
    expect(plan.requirements).toHaveLength(10);
    expect(plan.domainRange).toEqual([3, 5]);
    expect(plan.domains.map((domain) => domain.name)).toEqual(['accounts', 'catalog', 'orders', CATCH_ALL_DOMAIN]);
    expect(plan.domains.at(-1)?.requirementIds).toEqual(['R8', 'R10']);
    expect(llm.maxActive).toBe(2);
    expect(llm.stages.filter((stage) => stage.startsWith('contract:')).sort()).toEqual(['contract:accounts', 'contract:catalog', 'contract:orders', 'contract:shared']);
    expect(plan.gate).toEqual({ initial: [], repaired: false, afterRepair: [] });
    const design = plan.tasks.filter((task) => task.kind === 'design');
    expect(design.map((task) => task.id)).toEqual(['design.accounts', 'design.catalog', 'design.orders', 'design.shared']);
    for (const task of design) {
      expect(task.state).toBe('done');
      expect(task.output).toBe(plan.renderedContracts[task.domain ?? '']);
    }
    expect(plan.renderedContracts.orders).toContain('export interface OrderItem {');
    expect(plan.renderedContracts.orders).toContain('checkout(userId: string): Promise<Order>;');
    const checkout = plan.tasks.find((task) => task.id === 'impl.orders.R6');
    expect(checkout?.deps).toEqual(['design.orders', 'design.accounts', 'design.catalog']);
    expect(checkout?.tier).toBe(3);
    expect(plan.tasks.find((task) => task.id === 'impl.catalog.R4')?.tier).toBe(1);
    expect(plan.tasks.find((task) => task.id === 'test.orders')?.deps).toEqual(['design.orders', 'impl.orders.R5', 'impl.orders.R6', 'impl.orders.R7']);
    const spec = planRunSpec(plan);
    expect(spec.tasks.some((task) => task.id.startsWith('design.'))).toBe(false);
    const runCheckout = spec.tasks.find((task) => task.id === 'impl.orders.R6');
    expect(runCheckout?.deps).toBeUndefined();
    expect(runCheckout?.prompt).toContain('<contract domain="accounts">');
    expect(runCheckout?.prompt).toContain('<contract domain="catalog">');
    expect(spec.tasks.find((task) => task.id === 'integrate')?.deps).toEqual(['test.accounts', 'test.catalog', 'test.orders', 'test.shared']);
  });

  it('an invalid answer gets one retry with the validation errors fed back', async () => {
    const llm = scriptedPlannerLlm(shopAnswers({ requirements: '{"requirements": [{"id": "R1"}]}' }));
    const plan = await planFromPrd(shopPrd, { ...base, llm });
    expect(plan.requirements).toHaveLength(10);
    expect(llm.stages.slice(0, 2)).toEqual(['requirements', 'requirements:retry']);
    const retry = llm.requests[1];
    expect(retry?.messages.at(-2)).toEqual({ role: 'assistant', content: '{"requirements": [{"id": "R1"}]}' });
    expect(retry?.messages.at(-1)?.content).toContain('requirements.0.title');
  });

  it('a domain count out of range is invalid and retried', async () => {
    const one = { domains: [{ name: 'everything', description: 'All.', requirementIds: ['R1'] }] };
    const llm = scriptedPlannerLlm(shopAnswers({ domains: one }));
    const plan = await planFromPrd(shopPrd, { ...base, llm });
    expect(plan.domains).toHaveLength(4);
    expect(llm.requests.find((request) => request.messages.at(-1)?.content.startsWith('[planner:domains:retry]'))?.messages.at(-1)?.content).toContain('expected 3..5 domains, got 1');
  });

  it('two invalid answers: typed error naming the stage and the issues', async () => {
    const llm = scriptedPlannerLlm(shopAnswers({ requirements: 'not json', 'requirements:retry': '{"requirements": []}' }));
    const error = await planFromPrd(shopPrd, { ...base, llm }).catch((caught: unknown) => caught);
    expect(RuntimeError.isInstance(error)).toBe(true);
    expect((error as RuntimeError).code).toBe('VALIDATION_FAILED');
    expect((error as RuntimeError).details).toMatchObject({ reason: 'PLANNER_INVALID_ANSWER', stage: 'requirements' });
    expect(((error as RuntimeError).details.issues as unknown[]).length).toBeGreaterThan(0);
    expect(llm.requests).toHaveLength(2);
  });

  it('gate findings → one repair round with the findings fed back → contract-first, reported', async () => {
    const llm = scriptedPlannerLlm(shopAnswers({ 'contract:orders': shopScript.inconsistentOrders, 'repair:orders': shopScript.contracts.orders, 'repair:accounts': shopScript.contracts.accounts }));
    const plan = await planFromPrd(shopPrd, { ...base, llm });
    expect(plan.path).toBe('contract-first');
    expect(plan.gate.repaired).toBe(true);
    expect(plan.gate.initial).toHaveLength(1);
    expect(plan.gate.initial[0]).toMatchObject({ kind: 'type-conflict', places: ['accounts/User.id', 'orders/User.id'] });
    expect(plan.gate.afterRepair).toEqual([]);
    expect(llm.stages.filter((stage) => stage.startsWith('repair:')).sort()).toEqual(['repair:accounts', 'repair:orders']);
    const repair = llm.requests.find((request) => request.messages.at(-1)?.content.startsWith('[planner:repair:orders]'));
    expect(repair?.messages.at(-1)?.content).toContain('type-conflict');
    expect(repair?.messages.at(-1)?.content).toContain('accounts/User.id ↔ orders/User.id');
  });

  it('still inconsistent after the repair round: fallback to feature-based planning, said in the plan', async () => {
    const llm = scriptedPlannerLlm(shopAnswers({ 'contract:orders': shopScript.inconsistentOrders, 'repair:orders': shopScript.inconsistentOrders, 'repair:accounts': shopScript.contracts.accounts }));
    const plan = await planFromPrd(shopPrd, { ...base, llm });
    expect(plan.path).toBe('feature-based');
    expect(plan.fallbackReason).toContain('after one repair round');
    expect(plan.gate.afterRepair).toHaveLength(1);
    expect(plan.contracts).toEqual([]);
    expect(plan.tasks.filter((task) => task.kind === 'feature')).toHaveLength(10);
    expect(plan.tasks.at(-1)?.deps).toHaveLength(10);
    expect(planRunSpec(plan).metadata).toEqual({ planner: 'feature-based' });
  });

  it('still inconsistent with onGateFailure fail: typed error with the findings', async () => {
    const llm = scriptedPlannerLlm(shopAnswers({ 'contract:orders': shopScript.inconsistentOrders, 'repair:orders': shopScript.inconsistentOrders, 'repair:accounts': shopScript.contracts.accounts }));
    const error = await planFromPrd(shopPrd, { ...base, llm, onGateFailure: 'fail' }).catch((caught: unknown) => caught);
    expect((error as RuntimeError).code).toBe('VALIDATION_FAILED');
    expect((error as RuntimeError).details.reason).toBe('PLANNER_GATE_FAILED');
    expect((error as RuntimeError).details.findings).toHaveLength(1);
  });

  it('refuses an empty PRD and a bad concurrency', async () => {
    const llm = scriptedPlannerLlm(shopAnswers());
    await expect(planFromPrd('  ', { ...base, llm })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', details: { reason: 'PLANNER_INVALID_INPUT' } });
    await expect(planFromPrd(shopPrd, { ...base, llm, concurrency: 0 })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(llm.requests).toHaveLength(0);
  });
});
