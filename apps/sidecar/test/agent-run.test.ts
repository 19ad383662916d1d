/**
 * Agent tasks through the sidecar over real HTTP: a fake OpenAI-format provider asks for tool
 * calls, the sidecar runs its configured HTTP tool against a real local tool server (header from
 * the environment), the events reach SSE; a tool that requires approval makes the task wait
 * (`waiting.reason: input`, `task.input_required`) until `POST …/input` approves (the tool runs)
 * or rejects (the model gets TOOL_REJECTED, the tool never runs); `http_get` off its allowlist is
 * refused and the model is told.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RuntimeEvent } from '@runtime/contracts';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfig } from '../src/config/load-config.js';
import type { HttpRunView, HttpTaskView } from '../src/http/run-views.js';
import { startSidecar, type RunningSidecar } from '../src/start-sidecar.js';
import { agentConfigSections, startFakeAgentServers, type FakeAgentServers } from './support/fake-agent-servers.js';
import { createClient } from './support/http-client.js';

let servers: FakeAgentServers;
let directory: string;
let sidecar: RunningSidecar;
let client: ReturnType<typeof createClient>;

beforeAll(async () => {
  servers = await startFakeAgentServers();
  directory = mkdtempSync(join(tmpdir(), 'sidecar-agent-run-'));
  const path = join(directory, 'sidecar.yaml');
  writeFileSync(path, stringify({ store: { kind: 'memory' }, ...agentConfigSections(servers) }));
  const env = { RUNTIME_CONFIG: path, RUNTIME_PORT: '0', RUNTIME_LOG_LEVEL: 'silent', WEATHER_TOOL_KEY: 'tool-secret' };
  sidecar = await startSidecar(loadConfig({ env }), { env, logger: pino({ level: 'silent' }) });
  client = createClient(sidecar.url);
});

afterAll(async () => {
  await sidecar.stop();
  await servers.close();
  rmSync(directory, { recursive: true, force: true });
});

async function startAgentRun(id: string, prompt: string, tools: string[]): Promise<string> {
  const created = await client.request<HttpRunView>('POST', '/v1/runs', { body: { tasks: [{ id, prompt, maxOutputTokens: 64, agent: { tools, maxSteps: 4 } }] } });
  expect(created.status, created.text).toBe(201);
  return created.body.id;
}

async function waitForTask(runId: string, taskId: string, until: (task: HttpTaskView) => boolean): Promise<HttpTaskView> {
  for (let attempt = 0; attempt < 400; attempt += 1) {
    const response = await client.request<HttpTaskView>('GET', `/v1/runs/${runId}/tasks/${taskId}`);
    if (response.status === 200 && until(response.body)) return response.body;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`task ${taskId} of ${runId} never reached the expected state`);
}

async function eventsOf(runId: string): Promise<RuntimeEvent[]> {
  const response = await fetch(`${sidecar.url}/v1/runs/${runId}/events`);
  expect(response.status).toBe(200);
  const text = await response.text();
  return text
    .split('\n\n')
    .map((frame) => /^data: (.*)$/m.exec(frame)?.[1])
    .filter((data): data is string => data !== undefined)
    .map((data) => JSON.parse(data) as RuntimeEvent);
}

describe('agent tasks on the sidecar', () => {
  it('runs a configured HTTP tool against a real server (header from the environment); SSE carries agent.step and tool.* events', async () => {
    servers.toolCalls.length = 0;
    const runId = await startAgentRun('weather', 'CALL get_weather {"city":"Paris"}', ['get_weather']);
    const task = await waitForTask(runId, 'weather', (candidate) => candidate.state === 'completed' || candidate.state === 'failed');
    expect(task.state, JSON.stringify(task)).toBe('completed');
    expect(task.output).toContain('FINAL:');
    expect(task.output).toContain('sunny, 21C');
    expect(servers.toolCalls).toHaveLength(1);
    expect(servers.toolCalls[0]).toMatchObject({ url: '/weather', body: '{"city":"Paris"}' });
    expect(servers.toolCalls[0]?.headers['authorization']).toBe('Bearer tool-secret');
    const types = (await eventsOf(runId)).map((event) => event.type);
    expect(types).toEqual(expect.arrayContaining(['agent.step', 'tool.called', 'tool.completed', 'task.completed', 'run.completed']));
    expect(types.indexOf('tool.called')).toBeLessThan(types.indexOf('tool.completed'));
  });

  it('approval: the task waits for input (waiting.reason input, task.input_required), approve → the tool runs and the task completes', async () => {
    servers.toolCalls.length = 0;
    const runId = await startAgentRun('book', 'CALL book_table {"city":"Lyon"}', ['book_table']);
    const waiting = await waitForTask(runId, 'book', (candidate) => candidate.state === 'waiting' || candidate.state === 'failed');
    expect(waiting.state, JSON.stringify(waiting)).toBe('waiting');
    expect(waiting.waiting?.reason).toBe('input');
    expect(waiting.waiting?.details).toMatchObject({ request: { kind: 'approval', tool: 'book_table', arguments: '{"city":"Lyon"}' } });
    expect(servers.toolCalls).toHaveLength(0);
    // A text answer to an approval is the wrong kind: refused, the task still waits.
    const wrongKind = await client.request<{ error: { code: string } }>('POST', `/v1/runs/${runId}/tasks/book/input`, { body: { answer: 'sure' } });
    expect(wrongKind.status, wrongKind.text).toBe(400);
    expect(wrongKind.body.error.code).toBe('VALIDATION_FAILED');
    expect((await client.request<HttpTaskView>('GET', `/v1/runs/${runId}/tasks/book`)).body.state).toBe('waiting');
    const answered = await client.request<HttpTaskView>('POST', `/v1/runs/${runId}/tasks/book/input`, { body: { decision: 'approve' } });
    expect(answered.status, answered.text).toBe(202);
    expect(answered.body.id).toBe('book');
    const done = await waitForTask(runId, 'book', (candidate) => candidate.state === 'completed' || candidate.state === 'failed');
    expect(done.state, JSON.stringify(done)).toBe('completed');
    expect(done.output).toContain('sunny, 21C');
    expect(servers.toolCalls.map((call) => call.url)).toEqual(['/book']);
    const events = await eventsOf(runId);
    const required = events.find((event) => event.type === 'task.input_required');
    expect(required).toMatchObject({ taskId: 'book', kind: 'approval', tool: 'book_table' });
    const again = await client.request<{ error: { code: string } }>('POST', `/v1/runs/${runId}/tasks/book/input`, { body: { decision: 'approve' } });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('RUN_NOT_RUNNING');
  });

  it('reject: the model gets TOOL_REJECTED with the message, the tool never runs', async () => {
    servers.toolCalls.length = 0;
    const runId = await startAgentRun('book', 'CALL book_table {"city":"Nice"}', ['book_table']);
    await waitForTask(runId, 'book', (candidate) => candidate.state === 'waiting');
    const answered = await client.request<HttpTaskView>('POST', `/v1/runs/${runId}/tasks/book/input`, { body: { decision: 'reject', message: 'no bookings today' } });
    expect(answered.status, answered.text).toBe(202);
    const done = await waitForTask(runId, 'book', (candidate) => candidate.state === 'completed' || candidate.state === 'failed');
    expect(done.state, JSON.stringify(done)).toBe('completed');
    expect(done.output).toContain('TOOL_REJECTED');
    expect(done.output).toContain('no bookings today');
    expect(servers.toolCalls).toHaveLength(0);
    const failed = (await eventsOf(runId)).find((event) => event.type === 'tool.failed');
    expect(JSON.stringify(failed)).toContain('TOOL_REJECTED');
  });

  it('http_get off its allowlist is refused (tool.failed TOOL_REJECTED, the model is told); on it, it fetches', async () => {
    servers.toolCalls.length = 0;
    const offList = await startAgentRun('fetch', 'CALL http_get {"url":"http://example.invalid/secret"}', ['http_get']);
    const refused = await waitForTask(offList, 'fetch', (candidate) => candidate.state === 'completed' || candidate.state === 'failed');
    expect(refused.output).toContain('TOOL_REJECTED');
    expect(JSON.stringify((await eventsOf(offList)).find((event) => event.type === 'tool.failed'))).toContain('TOOL_REJECTED');
    expect(servers.toolCalls).toHaveLength(0);
    const onList = await startAgentRun('fetch', `CALL http_get {"url":"http://${servers.toolHost}/page"}`, ['http_get']);
    const fetched = await waitForTask(onList, 'fetch', (candidate) => candidate.state === 'completed' || candidate.state === 'failed');
    expect(fetched.output).toContain('sunny, 21C');
    expect(servers.toolCalls.map((call) => call.url)).toEqual(['/page']);
  });
});

describe('an input wait across a sidecar restart', () => {
  it('a task waiting for approval when the sidecar stops waits again after the restart; the approval then runs the tool once and completes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sidecar-agent-restart-'));
    const path = join(dir, 'sidecar.yaml');
    writeFileSync(path, stringify({ store: { kind: 'sqlite', path: join(dir, 'runtime.db') }, ...agentConfigSections(servers) }));
    const env = { RUNTIME_CONFIG: path, RUNTIME_PORT: '0', RUNTIME_LOG_LEVEL: 'silent', WEATHER_TOOL_KEY: 'tool-secret', RUNTIME_LEASE_TTL_MS: '300' };
    let first: RunningSidecar | undefined = await startSidecar(loadConfig({ env }), { env, logger: pino({ level: 'silent' }), overrides: { owner: 'first' } });
    let second: RunningSidecar | undefined;
    try {
      servers.toolCalls.length = 0;
      const firstClient = createClient(first.url);
      const created = await firstClient.request<HttpRunView>('POST', '/v1/runs', {
        body: { tasks: [{ id: 'book', prompt: 'CALL book_table {"city":"Metz"}', maxOutputTokens: 64, agent: { tools: ['book_table'] } }] },
      });
      expect(created.status, created.text).toBe(201);
      const runId = created.body.id;
      for (let attempt = 0; ; attempt += 1) {
        const task = await firstClient.request<HttpTaskView>('GET', `/v1/runs/${runId}/tasks/book`);
        if (task.body.state === 'waiting') break;
        if (attempt > 400) throw new Error(`never waited: ${task.text}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      await first.stop();
      first = undefined;

      second = await startSidecar(loadConfig({ env }), { env, logger: pino({ level: 'silent' }), overrides: { owner: 'second' } });
      const secondClient = createClient(second.url);
      let waiting: HttpTaskView | undefined;
      for (let attempt = 0; attempt < 400 && waiting === undefined; attempt += 1) {
        // The input endpoint answers 409 until the resumed loop waits again.
        const task = await secondClient.request<HttpTaskView>('GET', `/v1/runs/${runId}/tasks/book`);
        if (task.body.state === 'waiting' && task.body.waiting?.reason === 'input') {
          const answered = await secondClient.request<HttpTaskView>('POST', `/v1/runs/${runId}/tasks/book/input`, { body: { decision: 'approve' } });
          if (answered.status === 202) waiting = task.body;
          else expect(answered.status, answered.text).toBe(409);
        }
        if (waiting === undefined) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(waiting, 'the resumed task never waited for input on the second sidecar').toBeDefined();
      let done: HttpTaskView | undefined;
      for (let attempt = 0; attempt < 400 && done === undefined; attempt += 1) {
        const task = await secondClient.request<HttpTaskView>('GET', `/v1/runs/${runId}/tasks/book`);
        if (task.body.state === 'completed' || task.body.state === 'failed') done = task.body;
        else await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect(done?.state, JSON.stringify(done)).toBe('completed');
      expect(done?.output).toContain('sunny, 21C');
      expect(servers.toolCalls.map((call) => call.url)).toEqual(['/book']);
    } finally {
      await first?.stop();
      await second?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
