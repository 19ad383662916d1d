import { describe, expect, it } from 'vitest';
import { createRuntime } from './create-runtime.js';

describe('createRuntime', () => {
  it('runs a DAG offline with the defaults in a few lines', async () => {
    const runtime = createRuntime();
    const run = await runtime.run({
      tasks: [
        { id: 'outline', prompt: 'Outline a post about budgets.' },
        { id: 'draft', prompt: 'Write the post.', deps: ['outline'] },
      ],
      policy: { budgetUsd: 0.5 },
    });
    expect(run.state).toBe('completed');
    expect(run.tasks.map((task) => task.model)).toEqual(['mock-balanced', 'mock-balanced']);
    expect(run.usage.costUsd).toBeGreaterThan(0);
    expect(runtime.usage.totals({ runId: run.id }).calls).toBe(2);
    expect(run.budget).toMatchObject({ limitUsd: 0.5, reservedUsd: 0 });
    expect(run.budget?.spentUsd).toBe(run.usage.costUsd);
    await runtime.close();
  });

  it('wires the policy enforcer when asked, and runs under the default tier', async () => {
    const runtime = createRuntime({ policy: true });
    expect(runtime.policy).toBeDefined();
    const run = await runtime.run({ tasks: [{ id: 'a', prompt: 'Hi.' }, { id: 'b', prompt: 'Bye.', deps: ['a'] }] });
    expect(run.state).toBe('completed');
  });

  it('refuses a model outside the tier allowlist with POLICY_VIOLATION', async () => {
    const runtime = createRuntime({
      policy: {
        check: (input) =>
          Promise.resolve(
            input.model === 'mock-flagship'
              ? { decision: 'POLICY_VIOLATION', rule: 'modelAllowlist', limit: 'mock-fast', observed: input.model, message: 'Model not allowed.' }
              : { decision: 'CONTINUE' },
          ),
        settle: () => Promise.resolve(),
      },
    });
    const run = await runtime.run({ tasks: [{ id: 'big', prompt: 'Think.', tier: 3 }] });
    expect(run.tasks[0]?.error).toMatchObject({ code: 'POLICY_VIOLATION', details: { rule: 'modelAllowlist' } });
  });
});
