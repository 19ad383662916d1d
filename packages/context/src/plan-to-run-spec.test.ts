import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseOrThrow, runSpecSchema } from '@runtime/contracts/schemas';
import { createFakeTokenEstimator } from '../test/support/fake-token-estimator.js';
import { EXAMPLE_PLAN_PATH, generateExamplePlan, loadExampleProject, renderExamplePlan } from '../scripts/example-plan.js';
import { planToRunSpec } from './plan-to-run-spec.js';
import type { ProjectPlan } from './project-plan.js';

describe('the example plan (examples/runtime-layer)', () => {
  it('plan.json is up to date with project.json (regenerate: pnpm --filter @runtime/context gen:example)', () => {
    expect(readFileSync(EXAMPLE_PLAN_PATH, 'utf8')).toBe(renderExamplePlan());
  });

  it('is a valid RunSpec of 12 tiered tasks forming a DAG with fan-out and fan-in', () => {
    const spec = parseOrThrow(runSpecSchema, JSON.parse(readFileSync(EXAMPLE_PLAN_PATH, 'utf8')), 'example plan');
    expect(spec.tasks).toHaveLength(12);
    expect(new Set(spec.tasks.map((task) => task.tier))).toEqual(new Set([1, 2, 3]));
    const dependents = new Map<string, number>();
    for (const task of spec.tasks) for (const dependency of task.deps ?? []) {
      const id = typeof dependency === 'string' ? dependency : dependency.id;
      dependents.set(id, (dependents.get(id) ?? 0) + 1);
    }
    expect(dependents.get('contracts')).toBeGreaterThanOrEqual(5);
    expect(spec.tasks.find((task) => task.id === 'orchestration')?.deps?.length).toBeGreaterThanOrEqual(4);
  });

  it('inlines only the contracts each task names, and fits every prompt in its tier budget without cuts', () => {
    const project = loadExampleProject();
    for (const task of generateExamplePlan().tasks) {
      const source = project.tasks.find((candidate) => candidate.id === task.id);
      const inlined = [...(task.prompt ?? '').matchAll(/<contract name="([^"]+)">/g)].map((match) => match[1]);
      expect(inlined).toEqual(source?.contracts ?? []);
      expect(Number(task.metadata?.['promptTokens'])).toBeLessThanOrEqual(Number(task.metadata?.['promptBudget']));
      expect(task.metadata?.['promptCuts']).toBe('none');
      expect(task.system).toBe(project.system);
    }
  });
});

describe('planToRunSpec', () => {
  const project: ProjectPlan = {
    name: 'tiny',
    summary: 'A tiny project.',
    architectureContext: 'Two tasks.',
    contracts: [
      { name: 'A', text: 'interface A { a: string }' },
      { name: 'B', text: 'interface B { b: number }' },
    ],
    businessRules: [{ id: 'r1', text: 'Rule one.' }],
    securityRules: [{ id: 's1', text: 'Secure.' }],
    tasks: [
      { id: 'first', title: 'First', tier: 1, role: 'Engineer', task: 'Do A.', deliverable: 'A done', successCriteria: ['works'], contracts: ['A'] },
      {
        id: 'second',
        title: 'Second',
        tier: 3,
        role: 'Engineer',
        task: 'Do B. '.repeat(50),
        deliverable: 'B done',
        successCriteria: ['works'],
        contracts: ['B'],
        deps: [{ id: 'first', maxTokens: 100 }],
        businessRules: ['r1'],
        security: ['s1'],
        maxOutputTokens: 500,
      },
    ],
  };
  const options = { estimator: createFakeTokenEstimator(), model: 'm' };

  it('maps tasks with tier, deps with routing options, output caps and a tiered prompt', () => {
    const spec = planToRunSpec(project, { ...options, policy: { maxParallelism: 2 } });
    expect(spec.policy).toEqual({ maxParallelism: 2 });
    expect(spec.metadata).toEqual({ project: 'tiny' });
    const [first, second] = spec.tasks;
    expect(first).toMatchObject({ id: 'first', tier: 1, maxOutputTokens: 1024 });
    expect(first?.deps).toBeUndefined();
    expect(second).toMatchObject({ id: 'second', tier: 3, deps: [{ id: 'first', maxTokens: 100 }], maxOutputTokens: 500 });
    expect(second?.prompt).toContain('<dependencies>\n- first: First — A done');
    expect(second?.prompt).toContain('- Rule one. [r1]');
    expect(second?.prompt).toContain('<security>\n- Secure. [s1]\n</security>');
    expect(second?.prompt).toContain('<architecture_context>\nTwo tasks.\n</architecture_context>');
    expect(second?.prompt).not.toContain('interface A');
  });

  it('records cuts in the task metadata when a prompt is over its tier budget', () => {
    const spec = planToRunSpec(project, { ...options, budgets: { 3: 200 } });
    expect(spec.tasks[1]?.metadata?.['promptCuts']).toMatch(/^architecture_context dropped \d+→0; /);
    expect(Number(spec.tasks[1]?.metadata?.['promptTokens'])).toBeLessThanOrEqual(200);
  });

  it('is deterministic', () => {
    expect(planToRunSpec(project, options)).toEqual(planToRunSpec(structuredClone(project), options));
  });
});
