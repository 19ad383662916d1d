/**
 * A provider failing for good: the resilient client retries, the circuit opens, later tasks fail
 * fast with CIRCUIT_OPEN, and /metrics shows the open breaker. Own sidecar: an open circuit would
 * disturb other tests.
 */
import { rmSync } from 'node:fs';
import type { Run } from '@runtime/contracts';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load-config.js';
import { startSidecar, type RunningSidecar } from '../src/start-sidecar.js';
import { KEYS, writeE2eConfig, type E2eConfig } from './support/e2e-config.js';
import { startFakeOpenAiServer, type FakeOpenAiServer } from './support/fake-openai-server.js';
import { createClient } from './support/http-client.js';

let fake: FakeOpenAiServer;
let config: E2eConfig;
let sidecar: RunningSidecar;

beforeAll(async () => {
  fake = await startFakeOpenAiServer();
  config = writeE2eConfig(fake.baseUrl);
  sidecar = await startSidecar(loadConfig({ env: config.env }), { env: config.env, logger: pino({ level: 'silent' }) });
});

afterAll(async () => {
  await sidecar.stop();
  await fake.close();
  rmSync(config.directory, { recursive: true, force: true });
});

describe('circuit breaker', () => {
  it('opens after repeated 503s: later tasks fail CIRCUIT_OPEN and the breaker shows in /metrics', async () => {
    const client = createClient(sidecar.url);
    const tasks = ['x1', 'x2', 'x3'].map((id) => ({ id, prompt: `down [task=${id}][fail=503]`, model: 'fake-fast' }));
    const created = await client.request<Run>('POST', '/v1/runs', {
      key: KEYS.acme,
      body: { tasks, policy: { maxParallelism: 1, failurePolicy: 'continue' } },
    });
    expect(created.status).toBe(201);
    const run = await client.waitForRun(created.body.id, KEYS.acme);
    expect(run.state).toBe('failed');
    expect(run.tasks[0]?.error).toMatchObject({ code: 'PROVIDER_ERROR', details: { status: 503 } });
    expect(run.tasks.at(-1)?.error?.code).toBe('CIRCUIT_OPEN');
    const metrics = await client.request('GET', '/metrics');
    expect(metrics.text).toMatch(/runtime_circuit_state\{provider="fake",model="[^"]+"\} 2/);
    expect(metrics.text).toMatch(/runtime_task_retries_total \d+/);
  });
});
