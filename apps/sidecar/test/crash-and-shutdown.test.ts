/**
 * Durability of the real process: SIGKILL mid-run then restart (the run completes, no task is
 * executed twice), and graceful SIGTERM (stop accepting, finish in-flight work, exit 0).
 */
import type { Run } from '@runtime/contracts';
import { describe, expect, it } from 'vitest';
import { KEYS } from './support/e2e-config.js';
import { createClient } from './support/http-client.js';
import type { ServeProcess } from './support/sidecar-process.js';
import { useServeProcesses } from './support/serve-processes.js';

const app = useServeProcesses();

function serve(): Promise<ServeProcess> {
  return app.serve();
}

const chainTask = (index: number) => ({
  id: `t${index}`,
  prompt: `step ${index} [task=t${index}][delay=60]`,
  ...(index < 2 ? {} : { deps: [`t${index - 2}`] }),
});

describe('crash and restart', () => {
  it('resumes a run after SIGKILL: it completes and no task is executed twice', async () => {
    const first = await serve();
    const client = createClient(first.url);
    const created = await client.request<Run>('POST', '/v1/runs', {
      key: KEYS.acme,
      body: { tasks: Array.from({ length: 12 }, (_, index) => chainTask(index)), policy: { maxParallelism: 2 } },
    });
    expect(created.status).toBe(201);
    await client.waitForRun(created.body.id, KEYS.acme, (run) => run.tasks.filter((view) => view.state === 'completed').length >= 4);
    // Hold every answer, give the sidecar time to journal what it already received, then kill it
    // with calls in flight.
    app.fake.pause();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const beforeCrash = await client.waitForRun(created.body.id, KEYS.acme, () => true);
    expect(beforeCrash.state).toBe('running');
    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull();
    app.fake.resume();

    // The dead owner's lease expires (RUNTIME_LEASE_TTL_MS) and the new process takes the run over.
    const second = await serve();
    const resumed = createClient(second.url);
    const run = await resumed.waitForRun(created.body.id, KEYS.acme, undefined, 20_000);
    expect(second.logs()).toContain('run resumed');
    expect(run.state).toBe('completed');
    for (const view of run.tasks) {
      expect(view.state).toBe('completed');
      expect(app.fake.deliveredCount(view.id), view.id).toBe(1);
    }
    const completedBefore = beforeCrash.tasks.filter((view) => view.state === 'completed');
    expect(completedBefore.length).toBeGreaterThanOrEqual(4);
    for (const view of completedBefore) expect(run.tasks.find((after) => after.id === view.id)?.usage).toEqual(view.usage);
    expect(run.usage.costUsd).toBeCloseTo(run.tasks.reduce((sum, view) => sum + view.usage.costUsd, 0), 9);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 60_000);
});

describe('graceful shutdown', () => {
  it('on SIGTERM stops accepting, lets the call in flight finish, holds new calls, exits 0; the run resumes on restart', async () => {
    const first = await serve();
    const client = createClient(first.url);
    const created = await client.request<Run>('POST', '/v1/runs', {
      key: KEYS.acme,
      body: {
        tasks: [
          { id: 'slow', prompt: 'slow [task=slow][delay=700]' },
          { id: 'next', prompt: 'next [task=next]', deps: ['slow'] },
        ],
      },
    });
    await client.waitForRun(created.body.id, KEYS.acme, (run) => run.tasks[0]?.state === 'running');
    first.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const refused = await fetch(`${first.url}/healthz`).then(
      (response) => response.status,
      () => 'refused',
    );
    expect(refused === 'refused' || refused === 503).toBe(true);
    expect(await first.exited).toBe(0);
    expect(first.logs()).toContain('stopped');
    // The call in flight finished and was delivered; the dependent call was held, never sent.
    expect(app.fake.deliveredCount('slow')).toBe(1);
    expect(app.fake.calls.filter((call) => call.taskId === 'next')).toHaveLength(0);

    const second = await serve();
    const run = await createClient(second.url).waitForRun(created.body.id, KEYS.acme);
    expect(run.state).toBe('completed');
    expect(app.fake.deliveredCount('slow')).toBe(1);
    expect(app.fake.deliveredCount('next')).toBe(1);
  }, 60_000);
});
