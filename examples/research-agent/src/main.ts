/**
 * `pnpm --filter @runtime/example-research-agent demo`: runs the research agent offline and prints
 * its steps, tool calls, the answer, the brief and what it cost.
 */
import type { RuntimeEvent } from '@runtime/contracts';
import { QUESTION, runResearchAgent } from './research-agent.js';

function describeEvent(event: RuntimeEvent): string | undefined {
  switch (event.type) {
    case 'agent.step':
      return `  step ${event.step}: ${event.kind === 'final_answer' ? 'final answer' : `${event.toolCalls} tool call(s)`} ($${event.costUsd.toFixed(6)})`;
    case 'tool.called':
      return `    → ${event.tool}(${event.arguments})`;
    case 'tool.completed':
      return `    ← ${event.tool}: ${event.result.slice(0, 90)}${event.result.length > 90 ? '…' : ''}${event.costUsd > 0 ? ` ($${event.costUsd})` : ''}`;
    case 'tool.failed':
      return `    ✗ ${event.tool}: ${event.error.code} ${event.error.message}`;
    case 'task.started':
      return `task ${event.taskId} started on ${event.model}`;
    case 'task.completed':
      return `task ${event.taskId} completed ($${event.costUsd.toFixed(6)})`;
    case 'task.failed':
      return `task ${event.taskId} failed: ${event.error.code} ${event.error.message}`;
    default:
      return undefined;
  }
}

console.log(`Question: ${QUESTION}\n`);
const result = await runResearchAgent({
  onEvent: (event) => {
    const line = describeEvent(event);
    if (line !== undefined) console.log(line);
  },
});
const research = result.run.tasks.find((task) => task.id === 'research');
const brief = result.run.tasks.find((task) => task.id === 'brief');
console.log(`\n${research?.output ?? '(no answer)'}\n${brief?.output ?? '(no brief)'}\n`);
console.log(`Run ${result.run.state}: $${result.run.usage.costUsd} (ledger: $${result.ledgerSpentUsd}), tool calls: ${result.toolCalls.join(', ')}`);
