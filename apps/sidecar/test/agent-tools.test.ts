/**
 * Agent tools over real HTTP: a task naming a tool the sidecar does not have is refused with 422
 * `VALIDATION_FAILED` naming the task and the tool (`tools`, `agent.tools`, on create and on
 * add-tasks); `POST /v1/runs/{id}/tasks/{taskId}/input` validates its body, keeps tenants apart and
 * answers 409 `RUN_NOT_RUNNING` for a task that does not wait for input; a tool header variable that
 * is not set refuses `runtime serve`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ErrorBody } from '@runtime/contracts';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { hashApiKey } from '../src/auth/authenticator.js';
import { loadConfig } from '../src/config/load-config.js';
import type { HttpRunView, HttpTaskView } from '../src/http/run-views.js';
import { startSidecar, type RunningSidecar } from '../src/start-sidecar.js';
import { createClient } from './support/http-client.js';
import { runCliProcess } from './support/sidecar-process.js';

const ACME = 'key-acme-tools';
const GLOBEX = 'key-globex-tools';
const weather = {
  name: 'get_weather',
  description: 'Current weather of a city.',
  inputSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  url: 'http://127.0.0.1:9/weather',
  method: 'POST',
  headers: { authorization: { fromEnv: 'WEATHER_TOOL_KEY', prefix: 'Bearer ' } },
};

let directory: string;
let sidecar: RunningSidecar;
let client: ReturnType<typeof createClient>;

function writeConfig(sections: Record<string, unknown>): string {
  const path = join(directory, `sidecar-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, stringify(sections));
  return path;
}

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'sidecar-agent-tools-'));
  const path = writeConfig({
    store: { kind: 'memory' },
    auth: {
      apiKeys: [
        { keyHash: hashApiKey(ACME), tenant: 'acme', tier: 'enterprise' },
        { keyHash: hashApiKey(GLOBEX), tenant: 'globex', tier: 'enterprise' },
      ],
    },
    tools: [weather],
    httpGet: { allowHosts: ['example.com'] },
  });
  const env = { RUNTIME_CONFIG: path, RUNTIME_PORT: '0', RUNTIME_LOG_LEVEL: 'silent', WEATHER_TOOL_KEY: 'secret' };
  sidecar = await startSidecar(loadConfig({ env }), { env, logger: pino({ level: 'silent' }) });
  client = createClient(sidecar.url);
});

afterAll(async () => {
  await sidecar.stop();
  rmSync(directory, { recursive: true, force: true });
});

async function completedRun(): Promise<HttpRunView> {
  const created = await client.request<HttpRunView>('POST', '/v1/runs', { key: ACME, body: { tasks: [{ id: 'plain', prompt: 'Say hi.', maxOutputTokens: 16 }] } });
  expect(created.status, created.text).toBe(201);
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const run = await client.request<HttpRunView>('GET', `/v1/runs/${created.body.id}`, { key: ACME });
    if (run.body.state === 'completed') return run.body;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('run did not complete');
}

describe('unknown tool names', () => {
  for (const [where, task] of [
    ['tools', { id: 'ask', prompt: 'Weather?', tools: ['get_weather', 'get_stock'] }],
    ['agent.tools', { id: 'ask', prompt: 'Weather?', agent: { tools: ['get_stock'] } }],
  ] as const) {
    it(`POST /v1/runs with an unknown tool in ${where}: 422 VALIDATION_FAILED naming the task and the tool`, async () => {
      const response = await client.request<ErrorBody>('POST', '/v1/runs', { key: ACME, body: { tasks: [task] } });
      expect(response.status, response.text).toBe(422);
      expect(response.body.error.code).toBe('VALIDATION_FAILED');
      expect(response.body.error.message).toContain('ask');
      expect(response.body.error.message).toContain('get_stock');
      expect(response.body.error.details).toMatchObject({ task: 'ask', tool: 'get_stock', configured: ['get_weather', 'http_get'] });
    });
  }

  it('POST /v1/runs/{id}/tasks with an unknown tool: 422, nothing added', async () => {
    const run = await client.request<HttpRunView>('POST', '/v1/runs', {
      key: ACME,
      body: { tasks: [{ id: 'first', prompt: 'Wait a bit.', maxOutputTokens: 16 }] },
    });
    expect(run.status, run.text).toBe(201);
    const response = await client.request<ErrorBody>('POST', `/v1/runs/${run.body.id}/tasks`, {
      key: ACME,
      body: { tasks: [{ id: 'later', prompt: 'x', agent: { tools: ['http_get', 'nope'] } }] },
    });
    expect(response.status, response.text).toBe(422);
    expect(response.body.error.details).toMatchObject({ task: 'later', tool: 'nope' });
    const tasks = await client.request<{ items: HttpTaskView[] }>('GET', `/v1/runs/${run.body.id}/tasks`, { key: ACME });
    expect(tasks.body.items.map((task) => task.id)).toEqual(['first']);
  });

  it('configured tools (an HTTP tool and http_get) are accepted', async () => {
    const response = await client.request<HttpRunView>('POST', '/v1/runs', {
      key: ACME,
      body: { tasks: [{ id: 'ask', prompt: 'Weather?', maxOutputTokens: 16, tools: ['get_weather', 'http_get'] }] },
    });
    expect(response.status, response.text).toBe(201);
  });
});

describe('POST /v1/runs/{id}/tasks/{taskId}/input', () => {
  it('a task that is not waiting for input: 409 RUN_NOT_RUNNING with its state', async () => {
    const run = await completedRun();
    const response = await client.request<ErrorBody>('POST', `/v1/runs/${run.id}/tasks/plain/input`, { key: ACME, body: { decision: 'approve' } });
    expect(response.status, response.text).toBe(409);
    expect(response.body.error.code).toBe('RUN_NOT_RUNNING');
    expect(response.body.error.details).toMatchObject({ runId: run.id, taskId: 'plain', state: 'completed' });
  });

  it('an unknown task: 404 TASK_NOT_FOUND; an unknown run: 404 RUN_NOT_FOUND', async () => {
    const run = await completedRun();
    const task = await client.request<ErrorBody>('POST', `/v1/runs/${run.id}/tasks/nope/input`, { key: ACME, body: { answer: 'yes' } });
    expect(task.status).toBe(404);
    expect(task.body.error.code).toBe('TASK_NOT_FOUND');
    const missing = await client.request<ErrorBody>('POST', '/v1/runs/run_missing/tasks/plain/input', { key: ACME, body: { answer: 'yes' } });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('RUN_NOT_FOUND');
  });

  it("another tenant's run: 404 RUN_NOT_FOUND, as if it did not exist", async () => {
    const run = await completedRun();
    const response = await client.request<ErrorBody>('POST', `/v1/runs/${run.id}/tasks/plain/input`, { key: GLOBEX, body: { decision: 'approve' } });
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('RUN_NOT_FOUND');
  });

  for (const [name, body, path] of [
    ['both decision and answer', { decision: 'approve', answer: 'yes' }, 'answer'],
    ['a message without a decision', { answer: 'yes', message: 'why' }, 'message'],
    ['an unknown decision', { decision: 'maybe' }, 'decision'],
    ['an unknown field', { decision: 'approve', note: 'x' }, 'note'],
  ] as const) {
    it(`a body with ${name}: 400 VALIDATION_FAILED at ${path}`, async () => {
      const run = await completedRun();
      const response = await client.request<ErrorBody>('POST', `/v1/runs/${run.id}/tasks/plain/input`, { key: ACME, body });
      expect(response.status, response.text).toBe(400);
      expect(response.body.error.code).toBe('VALIDATION_FAILED');
      expect(JSON.stringify(response.body.error.details)).toContain(path);
    });
  }

  it('without a key: 401', async () => {
    const run = await completedRun();
    const response = await client.request<ErrorBody>('POST', `/v1/runs/${run.id}/tasks/plain/input`, { body: { decision: 'approve' } });
    expect(response.status).toBe(401);
  });
});

describe('config refusal at start', () => {
  it('a tool header variable that is not set: serve exits 2 naming the field and the variable', async () => {
    const path = writeConfig({ store: { kind: 'memory' }, tools: [weather] });
    const result = await runCliProcess(['serve'], { RUNTIME_CONFIG: path, RUNTIME_PORT: '0' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('tools[0].headers.authorization.fromEnv');
    expect(result.stderr).toContain('WEATHER_TOOL_KEY');
  });
});
