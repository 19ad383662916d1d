/**
 * createRuntime passes the cross-replica request settings to its orchestrator: two runtimes on
 * one SQLite file, the owner silent (it checks its inbox only once a minute), the other asking with
 * a short `requestTimeoutMs` — it gets RUN_OWNED after that wait, not after twice the lease TTL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunStateError, type LlmClient } from '@runtime/contracts';
import { createSqliteRunStore } from '@runtime/orchestration/sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { createRuntime } from '../src/index.js';

const folder = mkdtempSync(join(tmpdir(), 'stack-run-requests-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** A provider that never answers until the call is aborted. */
const hanging: LlmClient = {
  provider: 'hanging',
  complete: (_request, options) =>
    new Promise((_resolve, reject) => {
      options?.signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
    }),
};

describe('createRuntime: requests to another replica', () => {
  it('inboxPollMs, requestPollMs and requestTimeoutMs reach the orchestrator', async () => {
    const path = join(folder, 'runs.db');
    const owner = createRuntime({ llm: hanging, store: createSqliteRunStore({ path }), owner: 'owner', inboxPollMs: 60_000 });
    const asker = createRuntime({ llm: hanging, store: createSqliteRunStore({ path }), owner: 'asker', requestPollMs: 10, requestTimeoutMs: 300 });
    let runId: Awaited<ReturnType<typeof owner.start>>['id'] | undefined;
    try {
      const run = await owner.start({ tasks: [{ id: 'a', prompt: 'hello' }] });
      runId = run.id;
      const started = Date.now();
      const error = await asker.orchestrator.abort(run.id).then(
        () => undefined,
        (reason: unknown) => reason,
      );
      const waited = Date.now() - started;
      expect(RunStateError.isInstance(error) && error.code).toBe('RUN_OWNED');
      expect(waited).toBeGreaterThanOrEqual(300);
      expect(waited).toBeLessThan(10_000);
    } finally {
      await asker.orchestrator.close();
      if (runId !== undefined) await owner.orchestrator.abort(runId);
      await owner.orchestrator.close();
    }
  });
});
