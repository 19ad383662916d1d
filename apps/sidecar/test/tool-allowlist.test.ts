/**
 * Issue 16, sidecar side: a task naming an agent tool (`tools` or `agent.tools`) its tenant's tier
 * does not allow is refused at submission with 403 `POLICY_VIOLATION`, `details.rule`
 * `toolAllowlist`, naming the task and the tool — on create and on add-tasks. Tiers: `'*'` allows
 * every tool, an empty list none; config overrides replace the built-in list.
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

const PRO = 'key-pro-allowlist';
const FREE = 'key-free-allowlist';
const ENTERPRISE = 'key-enterprise-allowlist';
const weather = {
  name: 'get_weather',
  description: 'Current weather of a city.',
  inputSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  url: 'http://127.0.0.1:9/weather',
};

let directory: string;
let sidecar: RunningSidecar;
let client: ReturnType<typeof createClient>;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'sidecar-tool-allowlist-'));
  const path = join(directory, 'sidecar.yaml');
  writeFileSync(
    path,
    stringify({
      store: { kind: 'memory' },
      auth: {
        apiKeys: [
          { keyHash: hashApiKey(PRO), tenant: 'acme', tier: 'pro' },
          { keyHash: hashApiKey(FREE), tenant: 'globex', tier: 'free' },
          { keyHash: hashApiKey(ENTERPRISE), tenant: 'initech', tier: 'enterprise' },
        ],
      },
      tiers: { pro: { allowedTools: ['get_weather'] }, free: { allowedTools: [] } },
      tools: [weather],
      httpGet: { allowHosts: ['example.com'] },
    }),
  );
  const env = { RUNTIME_CONFIG: path, RUNTIME_PORT: '0', RUNTIME_LOG_LEVEL: 'silent' };
  sidecar = await startSidecar(loadConfig({ env }), { env, logger: pino({ level: 'silent' }) });
  client = createClient(sidecar.url);
});

afterAll(async () => {
  await sidecar.stop();
  rmSync(directory, { recursive: true, force: true });
});

describe('tool allowlist of the tier at submission', () => {
  for (const [name, key, task, tool, allowed] of [
    ['pro (get_weather only), tools: [get_weather, http_get]', PRO, { id: 'ask', prompt: 'Weather?', tools: ['get_weather', 'http_get'] }, 'http_get', ['get_weather']],
    ['pro, agent.tools: [http_get]', PRO, { id: 'ask', prompt: 'Weather?', agent: { tools: ['http_get'] } }, 'http_get', ['get_weather']],
    ['free (no tools), agent.tools: [get_weather]', FREE, { id: 'ask', prompt: 'Weather?', agent: { tools: ['get_weather'] } }, 'get_weather', []],
  ] as const) {
    it(`${name}: 403 POLICY_VIOLATION toolAllowlist naming the task and the tool; no run created`, async () => {
      const before = await client.request<{ items: HttpRunView[] }>('GET', '/v1/runs', { key });
      const response = await client.request<ErrorBody>('POST', '/v1/runs', { key, body: { tasks: [{ id: 'plain', prompt: 'hi' }, task] } });
      expect(response.status, response.text).toBe(403);
      expect(response.body.error.code).toBe('POLICY_VIOLATION');
      expect(response.body.error.message).toContain('ask');
      expect(response.body.error.message).toContain(tool);
      expect(response.body.error.details).toEqual({ rule: 'toolAllowlist', task: 'ask', tool, allowed });
      const after = await client.request<{ items: HttpRunView[] }>('GET', '/v1/runs', { key });
      expect(after.body.items.length).toBe(before.body.items.length);
    });
  }

  it('allowed tools are accepted: pro with get_weather, enterprise (*) with both', async () => {
    const pro = await client.request<HttpRunView>('POST', '/v1/runs', { key: PRO, body: { tasks: [{ id: 'ask', prompt: 'Weather?', maxOutputTokens: 16, agent: { tools: ['get_weather'] } }] } });
    expect(pro.status, pro.text).toBe(201);
    const enterprise = await client.request<HttpRunView>('POST', '/v1/runs', {
      key: ENTERPRISE,
      body: { tasks: [{ id: 'ask', prompt: 'Weather?', maxOutputTokens: 16, tools: ['get_weather', 'http_get'] }] },
    });
    expect(enterprise.status, enterprise.text).toBe(201);
  });

  it('an unknown tool is still 422 VALIDATION_FAILED (checked before the allowlist)', async () => {
    const response = await client.request<ErrorBody>('POST', '/v1/runs', { key: FREE, body: { tasks: [{ id: 'ask', prompt: 'x', tools: ['nope'] }] } });
    expect(response.status, response.text).toBe(422);
    expect(response.body.error.details).toMatchObject({ task: 'ask', tool: 'nope' });
  });

  it('POST /v1/runs/{id}/tasks with a tool the tier does not allow: 403, nothing added', async () => {
    const run = await client.request<HttpRunView>('POST', '/v1/runs', { key: PRO, body: { tasks: [{ id: 'first', prompt: 'Wait [delay=50]', maxOutputTokens: 16 }] } });
    expect(run.status, run.text).toBe(201);
    const response = await client.request<ErrorBody>('POST', `/v1/runs/${run.body.id}/tasks`, {
      key: PRO,
      body: { tasks: [{ id: 'later', prompt: 'x', tools: ['http_get'] }] },
    });
    expect(response.status, response.text).toBe(403);
    expect(response.body.error.details).toMatchObject({ rule: 'toolAllowlist', task: 'later', tool: 'http_get' });
    const tasks = await client.request<{ items: HttpTaskView[] }>('GET', `/v1/runs/${run.body.id}/tasks`, { key: PRO });
    expect(tasks.body.items.map((task) => task.id)).toEqual(['first']);
  });
});
