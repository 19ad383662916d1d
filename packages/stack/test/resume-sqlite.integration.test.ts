/**
 * Resume across processes with the real parts: a runtime journals to SQLite and "dies" with a call
 * in flight (its connection to the file is gone, so its owner lease is no longer renewed); a second
 * runtime (fresh in-memory ledger) on the same file is refused while that lease lives and resumes
 * the run once it has expired.
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
  it('keeps completed outputs and spend, re-runs only the in-flight task, and restores the budget', { timeout: 20_000 }, async () => {
    const path = join(folder, 'runs.db');
    const dying = createScriptedLlm({ latency: (id) => (id === 'b' ? Number.POSITIVE_INFINITY : 0) });
    const first = realRuntime(dying, { store: createSqliteRunStore({ path }), owner: 'first', leaseTtlMs: 2_000 });
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
    // The crash: the first process's store goes away without releasing anything (no close of the
    // orchestrator, which would hand the lease over gracefully).
    await first.store.close();

    const llm = createScriptedLlm();
    const second = realRuntime(llm, { store: createSqliteRunStore({ path }), owner: 'second' });
    const stale = await second.store.findRunsByState('running');
    expect(stale.map((run) => run.id)).toEqual([started.id]);
    expect(stale[0]?.lease).toMatchObject({ owner: 'first', epoch: 1 });
    // While the dead owner's lease lives, the run is not taken.
    await expect(second.orchestrator.resume(started.id)).rejects.toMatchObject({ code: 'RUN_OWNED', details: { owner: 'first' } });
    await vi.waitFor(async () => expect((await second.store.findResumableRuns(Date.now())).map((record) => record.id)).toEqual([started.id]), { timeout: 10_000, interval: 50 });
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
    expect((await second.store.getRun(started.id))?.lease).toBeUndefined();
    await second.orchestrator.close();
    await second.close();
    await first.orchestrator.close();
  });
});
