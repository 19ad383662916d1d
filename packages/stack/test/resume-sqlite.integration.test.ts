/**
 * Resume across processes with the real parts: a runtime journals to SQLite and "dies" with a call
 * in flight; a second runtime (fresh in-memory ledger) on the same file resumes the run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteRunStore } from '@runtime/orchestration/sqlite';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createScriptedLlm } from '@runtime/orchestration/testing';
import { realRuntime } from './support/real-runtime.js';

const folder = mkdtempSync(join(tmpdir(), 'stack-resume-'));

afterAll(() => {
  rmSync(folder, { recursive: true, force: true });
});

describe('resume with real cost + context on SQLite', () => {
  it('keeps completed outputs and spend, re-runs only the in-flight task, and restores the budget', async () => {
    const path = join(folder, 'runs.db');
    const dying = createScriptedLlm({ latency: (id) => (id === 'b' ? Number.POSITIVE_INFINITY : 0) });
    const first = realRuntime(dying, { store: createSqliteRunStore({ path }), owner: 'first' });
    const started = await first.orchestrator.start({
      tasks: [
        { id: 'a', prompt: 'Collect facts.' },
        { id: 'b', prompt: 'Use the facts.', deps: ['a'] },
        { id: 'c', prompt: 'Conclude.', deps: ['b'] },
      ],
      policy: { budgetUsd: 1 },
    });
    await vi.waitFor(() => expect(dying.calls.get('b')).toBe(1));
    const spentBefore = (await first.ledger.snapshot(`run:${started.id}`)).spent;

    const llm = createScriptedLlm();
    const second = realRuntime(llm, { store: createSqliteRunStore({ path }), owner: 'second' });
    const stale = await second.store.findRunsByState('running');
    expect(stale.map((run) => run.id)).toEqual([started.id]);
    await second.orchestrator.resume(started.id);
    const run = await second.orchestrator.wait(started.id);
    expect(run.state).toBe('completed');
    expect([...llm.calls.keys()]).toEqual(['b', 'c']);
    expect(llm.requests[0]?.messages.some((message) => message.content.includes('output of a'))).toBe(true);
    const expected = run.tasks.reduce((sum, task) => sum + second.costs.cost(task.model, task.usage), 0n);
    const snapshot = await second.ledger.snapshot(`run:${started.id}`);
    expect(snapshot.spent).toBe(expected);
    expect(snapshot.spent - spentBefore).toBe(expected - second.costs.cost(run.tasks[0]?.model ?? '', run.tasks[0]?.usage ?? run.usage));
    expect(snapshot.reserved).toBe(0n);
    await second.close();
  });
});
