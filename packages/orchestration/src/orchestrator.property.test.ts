import fc from 'fast-check';
import { TERMINAL_TASK_STATES, type RuntimeEvent, type TaskSpec } from '@runtime/contracts';
import { describe, expect, it } from 'vitest';
import { createScriptedLlm, providerError } from './testing.js';
import { harness } from '../test/support/setup.js';

interface DagCase {
  readonly tasks: TaskSpec[];
  readonly latencies: number[];
  readonly failing: Set<string>;
  readonly maxParallelism: number;
  readonly failurePolicy: 'failFast' | 'continue';
}

const dagCase: fc.Arbitrary<DagCase> = fc
  .record({
    size: fc.integer({ min: 1, max: 25 }),
    edges: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 60 }),
    latencies: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 25, maxLength: 25 }),
    failing: fc.array(fc.nat(), { maxLength: 2 }),
    maxParallelism: fc.integer({ min: 1, max: 6 }),
    failurePolicy: fc.constantFrom('failFast' as const, 'continue' as const),
  })
  .map(({ size, edges, latencies, failing, maxParallelism, failurePolicy }) => {
    // Edges only from a lower to a higher index: acyclic by construction.
    const deps = Array.from({ length: size }, () => new Set<number>());
    for (const [x, y] of edges) {
      const from = x % size;
      const to = y % size;
      if (from < to) deps[to]?.add(from);
    }
    const tasks = deps.map((set, index) => ({ id: `t${index}`, prompt: `task ${index}`, deps: [...set].map((dep) => `t${dep}`) }));
    return {
      tasks,
      latencies,
      failing: new Set(failing.map((index) => `t${index % size}`)),
      maxParallelism,
      failurePolicy,
    };
  });

async function collect(iterable: AsyncIterable<RuntimeEvent>): Promise<RuntimeEvent[]> {
  const out: RuntimeEvent[] = [];
  for await (const event of iterable) out.push(event);
  return out;
}

describe('orchestrator properties on random DAGs', () => {
  it('deps end before dependents start, concurrency ≤ maxParallelism, all terminal, event log matches', async () => {
    await fc.assert(
      fc.asyncProperty(dagCase, async (input) => {
        const llm = createScriptedLlm({
          latency: (id) => input.latencies[Number(id.slice(1))] ?? 0,
          fail: (id) => (input.failing.has(id) ? providerError(400) : undefined),
        });
        const { orchestrator, ledger } = harness(llm);
        const started = await orchestrator.start({
          tasks: input.tasks,
          policy: { maxParallelism: input.maxParallelism, failurePolicy: input.failurePolicy },
        });
        const run = await orchestrator.wait(started.id);

        expect(llm.maxActive).toBeLessThanOrEqual(input.maxParallelism);
        expect(ledger.open()).toBe(0);
        // Every dependency's call ended before its dependent's call started.
        const position = new Map<string, number>();
        llm.log.forEach((entry, index) => position.set(`${entry.type}:${entry.taskId}`, index));
        for (const spec of input.tasks) {
          const start = position.get(`start:${spec.id}`);
          if (start === undefined) continue;
          for (const dep of spec.deps ?? []) expect(position.get(`end:${typeof dep === 'string' ? dep : dep.id}`) ?? Infinity).toBeLessThan(start);
        }
        for (const view of run.tasks) expect(TERMINAL_TASK_STATES.has(view.state)).toBe(true);

        const events = await collect(orchestrator.events(run.id));
        expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
        const terminalType = { completed: 'run.completed', failed: 'run.failed', aborted: 'run.aborted' } as const;
        expect(events.at(-1)?.type).toBe(terminalType[run.state as keyof typeof terminalType]);
        const finalEvent = new Map<string, string>();
        const completedAt = new Map<string, number>();
        for (const event of events) {
          if (event.type === 'task.completed' || event.type === 'task.failed' || event.type === 'task.skipped') {
            expect(finalEvent.has(event.taskId)).toBe(false);
            finalEvent.set(event.taskId, event.type.slice(5));
            if (event.type === 'task.completed') completedAt.set(event.taskId, event.seq);
          }
          if (event.type === 'task.started') {
            const spec = input.tasks.find((candidate) => candidate.id === event.taskId);
            for (const dep of spec?.deps ?? []) expect(completedAt.get(typeof dep === 'string' ? dep : dep.id) ?? Infinity).toBeLessThan(event.seq);
          }
        }
        for (const view of run.tasks) expect(finalEvent.get(view.id)).toBe(view.state);
        const anyFailed = run.tasks.some((view) => view.state === 'failed');
        expect(run.state).toBe(anyFailed ? 'failed' : 'completed');
      }),
      { numRuns: 40 },
    );
  });
});
