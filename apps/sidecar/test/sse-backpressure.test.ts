/**
 * SSE backpressure through the real process and real sockets: 200 clients that never read a
 * 10,000-event run cost bounded memory, `/healthz` stays fast meanwhile, and a client resuming with
 * Last-Event-ID gets exactly the rest. (Closing a subscriber that stays behind is tested in
 * `src/http/event-stream.test.ts`: the kernel's socket buffers on loopback absorb megabytes per
 * socket, more than a short test can make 200 clients hold back.)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Run } from '@runtime/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createClient } from './support/http-client.js';
import { healthzLatency, metricValue, openNonReadingClient, residentBytes } from './support/process-probes.js';
import { startServeProcess, type ServeProcess } from './support/sidecar-process.js';

const CLIENTS = 200;
const TASKS = 2_000;
const MB = 1024 * 1024;

let directory: string;
let serve: ServeProcess;
const sockets: Socket[] = [];

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'sidecar-sse-'));
  const configPath = join(directory, 'sidecar.yaml');
  writeFileSync(configPath, stringify({ server: { bodyLimitBytes: 64 * MB }, store: { kind: 'sqlite', path: join(directory, 'runtime.db') } }));
  serve = await startServeProcess({ RUNTIME_CONFIG: configPath });
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  serve.child.kill('SIGKILL');
  await serve.exited;
  rmSync(directory, { recursive: true, force: true });
});

describe('SSE backpressure', () => {
  it('200 non-reading clients of a 10,000-event run: bounded RSS, fast /healthz, Last-Event-ID resumes', async () => {
    const client = createClient(serve.url);
    // Each output is ~1 KB (the mock echoes the prompt): one stream is ~3 MB, 200 of them 600 MB
    // if the server held what the clients do not read.
    const filler = 'x'.repeat(1_000);
    const created = await client.request<Run>('POST', '/v1/runs', {
      body: { tasks: Array.from({ length: TASKS }, (_, index) => ({ id: `t${index}`, prompt: `${index} ${filler}` })), policy: { maxParallelism: 64 } },
    });
    expect(created.status, created.text).toBe(201);
    const runId = created.body.id;
    const done = await client.waitForRun(runId, '', undefined, 60_000);
    expect(done.state).toBe('completed');

    const pid = serve.child.pid ?? 0;
    const baseline = residentBytes(pid);
    for (let index = 0; index < CLIENTS; index += 1) sockets.push(await openNonReadingClient(serve.url, `/v1/runs/${runId}/events`));

    // Opening 200 connections at once is a burst any server queues; the claim is about serving
    // while they are connected, so sampling starts once every stream is open.
    const metric = async (name: string) => metricValue((await client.request<string>('GET', '/metrics')).text, name);
    const openDeadline = Date.now() + 20_000;
    while ((await metric('runtime_event_streams')) + (await metric('runtime_event_streams_closed_slow_total')) < CLIENTS && Date.now() < openDeadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    let peak = baseline;
    let slowestHealthz = 0;
    let open = CLIENTS;
    // The sockets' kernel buffers take what they can, then every writer waits for a drain that
    // never comes; /healthz and memory are sampled meanwhile.
    const until = Date.now() + 8_000;
    while (Date.now() < until) {
      const probe = await healthzLatency(serve.url);
      expect(probe.status).toBe(200);
      slowestHealthz = Math.max(slowestHealthz, probe.ms);
      peak = Math.max(peak, residentBytes(pid));
      open = await metric('runtime_event_streams');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect((peak - baseline) / MB, `RSS ${(baseline / MB).toFixed(0)} → ${(peak / MB).toFixed(0)} MB`).toBeLessThan(200);
    expect(slowestHealthz, 'slowest /healthz in ms').toBeLessThan(250);
    // Each stream either still waits on its socket or was written in full: none is lost.
    expect(open + (await metric('runtime_event_streams_closed_slow_total'))).toBeLessThanOrEqual(CLIENTS);

    // A closed client resumes after the last event it got and receives exactly the rest.
    const all = await client.events(`/v1/runs/${runId}/events`, '');
    const terminal = all.at(-1);
    expect(terminal?.type).toBe('run.completed');
    expect(all.length).toBeGreaterThanOrEqual(5 * TASKS);
    const resumeAfter = Math.floor(all.length / 2);
    const rest = await client.events(`/v1/runs/${runId}/events`, '', { 'last-event-id': String(resumeAfter) });
    expect(rest.map((event) => event.seq)).toEqual(all.filter((event) => event.seq > resumeAfter).map((event) => event.seq));
  }, 120_000);
});
