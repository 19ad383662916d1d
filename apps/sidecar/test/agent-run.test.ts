/**
 * Agent tasks through the sidecar over real HTTP: a fake OpenAI-format provider asks for tool
 * calls, the sidecar runs its configured HTTP tool against a real local tool server (header from
 * the environment), the events reach SSE; a tool that requires approval makes the task wait
 * (`waiting.reason: input`, `task.input_required`) until `POST …/input` approves (the tool runs)
 * or rejects (the model gets TOOL_REJECTED, the tool never runs); `http_get` off its allowlist is
 * refused and the model is told.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RuntimeEvent } from '@runtime/contracts';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfig } from '../src/config/load-config.js';
import type { HttpRunView, HttpTaskView } from '../src/http/run-views.js';
import { startSidecar, type RunningSidecar } from '../src/start-sidecar.js';
import { createClient } from './support/http-client.js';

interface WireMessage {
  readonly role: string;
  readonly content?: string | null;
  readonly tool_call_id?: string;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/**
 * The model: the first user message says `CALL <tool> <json arguments>`; without a tool result yet
 * it asks for that call, with one it answers `FINAL: <the tool result>`.
 */
const provider = createServer((request, response) => {
  void readBody(request).then((text) => {
    const body = JSON.parse(text) as { messages: WireMessage[]; tools?: { function: { name: string } }[] };
    const prompt = body.messages.find((message) => message.role === 'user')?.content ?? '';
    const toolResult = body.messages.findLast((message) => message.role === 'tool');
    const call = /CALL (\S+) (\{.*\})/.exec(prompt);
    const usage = { prompt_tokens: 20, completion_tokens: 5, total_tokens: 25 };
    const message =
      toolResult === undefined && call !== null
        ? { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: call[1], arguments: call[2] } }] }
        : { role: 'assistant', content: `FINAL: ${toolResult?.content ?? 'no tool'}` };
    const finish = 'tool_calls' in message ? 'tool_calls' : 'stop';
    response
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion', model: 'fake-1', choices: [{ index: 0, message, finish_reason: finish }], usage }));
  });
});

const toolCalls: { url: string; headers: IncomingHttpHeaders; body: string }[] = [];
const toolServer = createServer((request, response) => {
  void readBody(request).then((body) => {
    toolCalls.push({ url: request.url ?? '', headers: request.headers, body });
    const city = (JSON.parse(body === '' ? '{}' : body) as { city?: string }).city ?? '?';
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ city, forecast: 'sunny, 21C' }));
  });
});

let directory: string;
let toolHost: string;
let sidecar: RunningSidecar;
let client: ReturnType<typeof createClient>;

beforeAll(async () => {
  const providerUrl = await listen(provider);
  const toolUrl = await listen(toolServer);
  toolHost = new URL(toolUrl).host;
  directory = mkdtempSync(join(tmpdir(), 'sidecar-agent-run-'));
  const path = join(directory, 'sidecar.yaml');
  const inputSchema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };
  writeFileSync(
    path,
    stringify({
      store: { kind: 'memory' },
      providers: { fake: { type: 'openai-compatible', baseUrl: `${providerUrl}/v1`, timeoutMs: 5_000 } },
      models: [{ id: 'fake-model', provider: 'fake', providerModel: 'fake-1', role: 'balanced', maxInputTokens: 16_000, maxOutputTokens: 1_000, pricing: { inputPerMTok: 1, outputPerMTok: 2 } }],
      defaultModel: 'fake-model',
      tools: [
        {
          name: 'get_weather',
          description: 'Current weather of a city.',
          inputSchema,
          url: `${toolUrl}/weather`,
          method: 'POST',
          headers: { authorization: { fromEnv: 'WEATHER_TOOL_KEY', prefix: 'Bearer ' } },
        },
        { name: 'book_table', description: 'Books a table (a human approves).', inputSchema, url: `${toolUrl}/book`, method: 'POST', requiresApproval: true },
      ],
      httpGet: { allowHosts: [toolHost] },
    }),
  );
  const env = { RUNTIME_CONFIG: path, RUNTIME_PORT: '0', RUNTIME_LOG_LEVEL: 'silent', WEATHER_TOOL_KEY: 'tool-secret' };
  sidecar = await startSidecar(loadConfig({ env }), { env, logger: pino({ level: 'silent' }) });
  client = createClient(sidecar.url);
});

afterAll(async () => {
  await sidecar.stop();
  await new Promise<void>((resolve) => provider.close(() => resolve()));
  await new Promise<void>((resolve) => toolServer.close(() => resolve()));
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
    toolCalls.length = 0;
    const runId = await startAgentRun('weather', 'CALL get_weather {"city":"Paris"}', ['get_weather']);
    const task = await waitForTask(runId, 'weather', (candidate) => candidate.state === 'completed' || candidate.state === 'failed');
    expect(task.state, JSON.stringify(task)).toBe('completed');
    expect(task.output).toContain('FINAL:');
    expect(task.output).toContain('sunny, 21C');
    expect(toolCalls).toHaveLength(1);
    expect(toolCalls[0]).toMatchObject({ url: '/weather', body: '{"city":"Paris"}' });
    expect(toolCalls[0]?.headers['authorization']).toBe('Bearer tool-secret');
    const types = (await eventsOf(runId)).map((event) => event.type);
    expect(types).toEqual(expect.arrayContaining(['agent.step', 'tool.called', 'tool.completed', 'task.completed', 'run.completed']));
    expect(types.indexOf('tool.called')).toBeLessThan(types.indexOf('tool.completed'));
  });

  it('approval: the task waits for input (waiting.reason input, task.input_required), approve → the tool runs and the task completes', async () => {
    toolCalls.length = 0;
    const runId = await startAgentRun('book', 'CALL book_table {"city":"Lyon"}', ['book_table']);
    const waiting = await waitForTask(runId, 'book', (candidate) => candidate.state === 'waiting' || candidate.state === 'failed');
    expect(waiting.state, JSON.stringify(waiting)).toBe('waiting');
    expect(waiting.waiting?.reason).toBe('input');
    expect(toolCalls).toHaveLength(0);
    const answered = await client.request<HttpTaskView>('POST', `/v1/runs/${runId}/tasks/book/input`, { body: { decision: 'approve' } });
    expect(answered.status, answered.text).toBe(202);
    expect(answered.body.id).toBe('book');
    const done = await waitForTask(runId, 'book', (candidate) => candidate.state === 'completed' || candidate.state === 'failed');
    expect(done.state, JSON.stringify(done)).toBe('completed');
    expect(done.output).toContain('sunny, 21C');
    expect(toolCalls.map((call) => call.url)).toEqual(['/book']);
    const events = await eventsOf(runId);
    const required = events.find((event) => event.type === 'task.input_required');
    expect(required).toMatchObject({ taskId: 'book', kind: 'approval', tool: 'book_table' });
    const again = await client.request<{ error: { code: string } }>('POST', `/v1/runs/${runId}/tasks/book/input`, { body: { decision: 'approve' } });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('RUN_NOT_RUNNING');
  });

  it('reject: the model gets TOOL_REJECTED with the message, the tool never runs', async () => {
    toolCalls.length = 0;
    const runId = await startAgentRun('book', 'CALL book_table {"city":"Nice"}', ['book_table']);
    await waitForTask(runId, 'book', (candidate) => candidate.state === 'waiting');
    const answered = await client.request<HttpTaskView>('POST', `/v1/runs/${runId}/tasks/book/input`, { body: { decision: 'reject', message: 'no bookings today' } });
    expect(answered.status, answered.text).toBe(202);
    const done = await waitForTask(runId, 'book', (candidate) => candidate.state === 'completed' || candidate.state === 'failed');
    expect(done.state, JSON.stringify(done)).toBe('completed');
    expect(done.output).toContain('TOOL_REJECTED');
    expect(done.output).toContain('no bookings today');
    expect(toolCalls).toHaveLength(0);
    const failed = (await eventsOf(runId)).find((event) => event.type === 'tool.failed');
    expect(JSON.stringify(failed)).toContain('TOOL_REJECTED');
  });

  it('http_get off its allowlist is refused (tool.failed TOOL_REJECTED, the model is told); on it, it fetches', async () => {
    toolCalls.length = 0;
    const offList = await startAgentRun('fetch', 'CALL http_get {"url":"http://example.invalid/secret"}', ['http_get']);
    const refused = await waitForTask(offList, 'fetch', (candidate) => candidate.state === 'completed' || candidate.state === 'failed');
    expect(refused.output).toContain('TOOL_REJECTED');
    expect(JSON.stringify((await eventsOf(offList)).find((event) => event.type === 'tool.failed'))).toContain('TOOL_REJECTED');
    expect(toolCalls).toHaveLength(0);
    const onList = await startAgentRun('fetch', `CALL http_get {"url":"http://${toolHost}/page"}`, ['http_get']);
    const fetched = await waitForTask(onList, 'fetch', (candidate) => candidate.state === 'completed' || candidate.state === 'failed');
    expect(fetched.output).toContain('sunny, 21C');
    expect(toolCalls.map((call) => call.url)).toEqual(['/page']);
  });
});
