/**
 * The example plan of `examples/runtime-layer/`: its project file, and the RunSpec generated from
 * it (`plan.json`, used by the demo and `runtime run`).
 *
 * @remarks
 * Prompts are sized with the ⌈characters / 4⌉ estimator of the tests, so the committed plan does
 * not depend on any tokenizer package (this package may import contracts only).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RunSpec } from '@runtime/contracts';
import { createFakeTokenEstimator } from '../test/support/fake-token-estimator.js';
import { planToRunSpec } from '../src/plan-to-run-spec.js';
import { validateProjectPlan } from '../src/validate-project-plan.js';
import type { ProjectPlan } from '../src/project-plan.js';

/** `examples/runtime-layer/project.json`. */
export const EXAMPLE_PROJECT_PATH = fileURLToPath(new URL('../../../examples/runtime-layer/project.json', import.meta.url));
/** `examples/runtime-layer/plan.json`. */
export const EXAMPLE_PLAN_PATH = fileURLToPath(new URL('../../../examples/runtime-layer/plan.json', import.meta.url));
/** The model name prompts are counted for (the heuristic estimator ignores it). */
export const EXAMPLE_MODEL = 'heuristic';

/** The validated example project. */
export function loadExampleProject(): ProjectPlan {
  return validateProjectPlan(JSON.parse(readFileSync(EXAMPLE_PROJECT_PATH, 'utf8')));
}

/** The RunSpec of the example project. */
export function generateExamplePlan(): RunSpec {
  return planToRunSpec(loadExampleProject(), {
    estimator: createFakeTokenEstimator(),
    model: EXAMPLE_MODEL,
    policy: { maxParallelism: 4, failurePolicy: 'failFast', budgetUsd: 5, context: { strategy: 'truncate' } },
  });
}

/** The text of `plan.json`. */
export function renderExamplePlan(): string {
  return `${JSON.stringify(generateExamplePlan(), null, 2)}\n`;
}
