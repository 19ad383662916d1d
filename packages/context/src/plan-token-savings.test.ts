/**
 * Token savings of per-task routing and tiered prompts on the example plan, against giving every
 * task the whole project context. Both sides get the same simulated dependency outputs and are
 * counted the same way (ContextBuilder.tokens with one estimator).
 */
import { describe, expect, it } from 'vitest';
import { asTaskId, type RoutedOutput, type TaskDependency } from '@runtime/contracts';
import { createFakeTokenEstimator } from '../test/support/fake-token-estimator.js';
import { EXAMPLE_MODEL, generateExamplePlan, loadExampleProject } from '../scripts/example-plan.js';
import { createContextBuilder } from './context-builder.js';
import { createContextRouter } from './context-router.js';
import type { ProjectPlan } from './project-plan.js';

const model = EXAMPLE_MODEL;

/** A deterministic stand-in for what a task answers: about 1,500 tokens of code. */
function simulatedOutput(id: string): string {
  const lines = [`// packages/${id}/src/index.ts`];
  for (let line = 0; lines.join('\n').length < 6_000; line += 1) {
    lines.push(`export function ${id.replace(/-/g, '_')}_${line}(input: Input${line}): Output${line} { return transform(input, ${line}); }`);
  }
  return lines.join('\n');
}

/** Everything the project knows, as one document: what a task gets without routing. */
function wholeProjectContext(project: ProjectPlan): string {
  const parts = [`# ${project.name}\n${project.summary}`, `## Architecture\n${project.architectureContext}`];
  for (const contract of project.contracts) parts.push(`## Contract ${contract.name}\n${contract.text}`);
  parts.push(`## Business rules\n${project.businessRules.map((rule) => `- ${rule.text}`).join('\n')}`);
  parts.push(`## Security rules\n${project.securityRules.map((rule) => `- ${rule.text}`).join('\n')}`);
  for (const task of project.tasks) {
    parts.push(
      [
        `## Task ${task.id}: ${task.title} (tier ${task.tier})`,
        `Role: ${task.role}`,
        task.task,
        `Delivers: ${task.deliverable}`,
        ...(task.pattern === undefined ? [] : [`Pattern: ${task.pattern}`]),
        ...task.successCriteria.map((criterion) => `- success: ${criterion}`),
        ...(task.edgeCases ?? []).map((edgeCase) => `- edge case: ${edgeCase}`),
      ].join('\n'),
    );
  }
  return parts.join('\n\n');
}

const idOf = (dependency: TaskDependency): string => (typeof dependency === 'string' ? dependency : dependency.id);

describe('token savings on the example plan (12 tasks)', () => {
  it('routed, tiered prompts need at most half the tokens of the whole project context per task', () => {
    const estimator = createFakeTokenEstimator();
    const builder = createContextBuilder({ estimator });
    const router = createContextRouter({ estimator });
    const project = loadExampleProject();
    const spec = generateExamplePlan();
    const whole = wholeProjectContext(project);
    const rows: string[] = [];
    let routedTotal = 0;
    let wholeTotal = 0;
    for (const task of spec.tasks) {
      const deps = task.deps ?? [];
      const routed: RoutedOutput[] = deps.map((dependency) =>
        router.route({
          dependencyId: asTaskId(idOf(dependency)),
          output: simulatedOutput(idOf(dependency)),
          model,
          ...(typeof dependency === 'string' || dependency.maxTokens === undefined ? {} : { maxTokens: dependency.maxTokens }),
        }),
      );
      const uncapped: RoutedOutput[] = deps.map((dependency) => router.route({ dependencyId: asTaskId(idOf(dependency)), output: simulatedOutput(idOf(dependency)), model }));
      const source = project.tasks.find((candidate) => candidate.id === task.id);
      const wholePrompt = `${whole}\n\n# Your task: ${task.id}\n${source?.task ?? ''}`;
      const routedTokens = builder.build({ task, model, dependencies: routed }).tokens;
      const { prompt: _ownPrompt, messages: _ownMessages, ...base } = task;
      const wholeTokens = builder.build({ task: { ...base, prompt: wholePrompt }, model, dependencies: uncapped }).tokens;
      routedTotal += routedTokens;
      wholeTotal += wholeTokens;
      rows.push(`${task.id.padEnd(16)} tier ${task.tier ?? '-'}  routed ${String(routedTokens).padStart(6)}  whole ${String(wholeTokens).padStart(6)}`);
      expect(routedTokens).toBeLessThan(wholeTokens);
    }
    rows.push(`${'total'.padEnd(23)}  routed ${String(routedTotal).padStart(6)}  whole ${String(wholeTotal).padStart(6)}  (${((routedTotal / wholeTotal) * 100).toFixed(1)}%)`);
    console.log(`Prompt tokens per task, routed + tiered vs whole project context:\n${rows.join('\n')}`);
    expect(spec.tasks).toHaveLength(12);
    expect(routedTotal * 2).toBeLessThanOrEqual(wholeTotal);
  });
});
