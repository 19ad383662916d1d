import { asRunId, asTaskId, type RuntimeEvent } from '@runtime/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createProgressPrinter } from './progress-printer.js';

const base = { runId: asRunId('run-1'), at: '2026-01-01T00:00:00.000Z' };
const usage = { inputTokens: 1200, outputTokens: 300, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, costUsd: 0.25 };

describe('createProgressPrinter', () => {
  it('prints a line per task transition with tokens, cost and the budget left', () => {
    const lines: string[] = [];
    let now = 0;
    const printer = createProgressPrinter({ write: (line) => lines.push(line), budgetUsd: 1, now: () => now, tiers: new Map([['a', 2]]) });
    const events: RuntimeEvent[] = [
      { ...base, seq: 1, type: 'run.started', tasks: 1 },
      { ...base, seq: 2, type: 'task.started', taskId: asTaskId('a'), attempt: 1, model: 'gpt-x' },
      { ...base, seq: 3, type: 'budget.reserved', taskId: asTaskId('a'), reservationId: 'r1', amountUsd: 0.5 },
      { ...base, seq: 4, type: 'budget.settled', taskId: asTaskId('a'), reservationId: 'r1', costUsd: 0.25, reservedUsd: 0.5 },
      { ...base, seq: 5, type: 'task.completed', taskId: asTaskId('a'), attempt: 1, usage, costUsd: 0.25 },
      { ...base, seq: 6, type: 'run.completed', usage },
    ];
    for (const event of events) {
      now += 500;
      printer.onEvent(event);
    }
    expect(lines[0]).toBe('run run-1: 1 tasks, budget $1.000000');
    expect(lines[1]).toMatch(/1\.0s {2}▶ started {3}a \(t2\)\s+gpt-x/);
    expect(lines[2]).toMatch(/✓ completed a \(t2\)\s+gpt-x\s+1,200 in\s+300 out {2}\$0\.250000 {2}budget left \$0\.750000/);
    expect(lines[3]).toContain('run completed in 3.0 s: 1,200 in / 300 out tokens, $0.250000');
    expect(printer.spentUsd).toBe(0.25);
  });
});

describe('budget left', () => {
  it('never goes up mid-run, whatever the interleaving of reservations, settlements and completions', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ reserved: fc.integer({ min: 1, max: 100_000 }), actualPercent: fc.integer({ min: 0, max: 100 }) }), { minLength: 1, maxLength: 12 }),
        fc.infiniteStream(fc.nat()),
        (tasks, choices) => {
          const lines: string[] = [];
          const printer = createProgressPrinter({ write: (line) => lines.push(line), budgetUsd: 10, now: () => 0 });
          // Each task: reserve → settle → complete, tasks interleaved at random.
          const steps = tasks.map(() => 0);
          const iterator = choices[Symbol.iterator]();
          let seq = 0;
          while (steps.some((step) => step < 3)) {
            const open = steps.flatMap((step, index) => (step < 3 ? [index] : []));
            const index = open[(iterator.next().value as number) % open.length] as number;
            const task = tasks[index] as { reserved: number; actualPercent: number };
            const taskId = asTaskId(`t${index}`);
            const reservedUsd = task.reserved / 1e6;
            const costUsd = Math.round((task.reserved * task.actualPercent) / 100) / 1e6;
            const step = steps[index] as number;
            seq += 1;
            if (step === 0) printer.onEvent({ ...base, seq, type: 'budget.reserved', taskId, reservationId: `r${index}`, amountUsd: reservedUsd });
            else if (step === 1) printer.onEvent({ ...base, seq, type: 'budget.settled', taskId, reservationId: `r${index}`, costUsd, reservedUsd });
            else printer.onEvent({ ...base, seq, type: 'task.completed', taskId, attempt: 1, usage: { ...usage, costUsd }, costUsd });
            steps[index] = step + 1;
          }
          const left = lines.map((line) => Number(/budget left \$([\d.]+)/.exec(line)?.[1])).filter((value) => !Number.isNaN(value));
          expect(left).toHaveLength(tasks.length);
          for (let index = 1; index < left.length; index += 1) expect(left[index]).toBeLessThanOrEqual(left[index - 1] as number);
        },
      ),
    );
  });
});
