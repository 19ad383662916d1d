/**
 * Regenerates `examples/runtime-layer/plan.json` from `project.json`:
 * `pnpm --filter @runtime/context gen:example`.
 */
import { writeFileSync } from 'node:fs';
import { EXAMPLE_PLAN_PATH, generateExamplePlan, renderExamplePlan } from './example-plan.js';

writeFileSync(EXAMPLE_PLAN_PATH, renderExamplePlan());
for (const task of generateExamplePlan().tasks) {
  const metadata = task.metadata ?? {};
  console.log(`${task.id.padEnd(16)} tier ${task.tier ?? '-'}  prompt ${metadata['promptTokens'] ?? '?'}/${metadata['promptBudget'] ?? '?'} tokens  cuts: ${metadata['promptCuts'] ?? '?'}`);
}
console.log(`wrote ${EXAMPLE_PLAN_PATH}`);
