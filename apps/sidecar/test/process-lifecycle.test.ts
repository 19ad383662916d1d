/**
 * The `runtime` bin as an operator runs it, with a real child process in its own process group:
 * SIGTERM to the group drains and exits 0 (a repeated signal is ignored, a third forces 128 +
 * signal), SIGKILL leaves nothing listening and no process behind, and a `serve` that cannot
 * listen (EADDRINUSE) exits non-zero without resuming or executing any run.
 */
import { connect, createServer, type Server } from 'node:net';
import type { Run } from '@runtime/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { KEYS } from './support/e2e-config.js';
import { createClient } from './support/http-client.js';
import { spawnCli, type ServeProcess } from './support/sidecar-process.js';
import { useServeProcesses } from './support/serve-processes.js';

const app = useServeProcesses();
let blocker: Server | undefined;

afterEach(async () => {
  await new Promise<void>((resolve) => (blocker === undefined ? resolve() : blocker.close(() => resolve())));
  blocker = undefined;
});

function serveInGroup(): Promise<ServeProcess> {
  return app.serve({ detached: true });
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function refusesConnections(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

async function startSlowRun(url: string): Promise<string> {
  const client = createClient(url);
  const created = await client.request<Run>('POST', '/v1/runs', {
    key: KEYS.acme,
    body: { tasks: [{ id: 'slow', prompt: 'slow [task=slow][delay=800]' }, { id: 'next', prompt: 'next [task=next]', deps: ['slow'] }] },
  });
  expect(created.status).toBe(201);
  await client.waitForRun(created.body.id, KEYS.acme, (run) => run.tasks[0]?.state === 'running');
  return created.body.id;
}

describe('runtime serve as a process', () => {
  it('SIGTERM to the process group, delivered twice: drains the call in flight, logs the second, exits 0', async () => {
    const serve = await serveInGroup();
    const pgid = serve.child.pid ?? 0;
    await startSlowRun(serve.url);
    process.kill(-pgid, 'SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 50));
    process.kill(-pgid, 'SIGTERM');
    expect(await serve.exited).toBe(0);
    expect(serve.logs()).toContain('ignored');
    expect(serve.logs()).toContain('stopped');
    expect(app.fake.deliveredCount('slow')).toBe(1);
    expect(groupAlive(pgid)).toBe(false);
  }, 30_000);

  it('a third signal during the drain stops at once with 128 + the signal number', async () => {
    const serve = await serveInGroup();
    const pgid = serve.child.pid ?? 0;
    await startSlowRun(serve.url);
    app.fake.pause();
    for (let index = 0; index < 3; index += 1) {
      process.kill(-pgid, 'SIGINT');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await serve.exited).toBe(128 + 2);
  }, 30_000);

  it('SIGKILL of the group leaves nothing listening and no process behind', async () => {
    const serve = await serveInGroup();
    const pgid = serve.child.pid ?? 0;
    await startSlowRun(serve.url);
    process.kill(-pgid, 'SIGKILL');
    await serve.exited;
    expect(await refusesConnections(serve.url)).toBe(true);
    expect(groupAlive(pgid)).toBe(false);
  }, 30_000);

  it('EADDRINUSE: exits non-zero, resumes nothing, executes no task', async () => {
    // An interrupted run in the journal: its owner is SIGKILLed mid-call.
    const first = await serveInGroup();
    const runId = await startSlowRun(first.url);
    process.kill(-(first.child.pid ?? 0), 'SIGKILL');
    await first.exited;
    // Past the dead owner's lease (RUNTIME_LEASE_TTL_MS): the run is up for takeover.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const callsBefore = app.fake.calls.length;

    blocker = createServer();
    const port = await new Promise<number>((resolve) => {
      blocker?.listen(0, '127.0.0.1', () => {
        const address = blocker?.address();
        resolve(typeof address === 'object' && address !== null ? address.port : 0);
      });
    });
    const child = spawnCli(['serve'], { ...app.config.env, RUNTIME_LOG_LEVEL: 'info', RUNTIME_PORT: String(port) });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
    expect(code, output).not.toBe(0);
    expect(output).toContain('EADDRINUSE');
    expect(output).not.toContain('run resumed');
    // Give a wrongly resumed run time to call the provider: nothing may arrive.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(app.fake.calls.length).toBe(callsBefore);

    // The run is still there for a start that can listen.
    await new Promise<void>((resolve) => blocker?.close(() => resolve()));
    blocker = undefined;
    const second = await serveInGroup();
    const run = await createClient(second.url).waitForRun(runId, KEYS.acme, undefined, 20_000);
    expect(run.state).toBe('completed');
  }, 60_000);
});
