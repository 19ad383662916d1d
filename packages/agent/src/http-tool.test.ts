import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { asRunId, asTaskId } from '@runtime/contracts';
import type { RuntimeError, Tool } from '@runtime/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpGetTool, httpTool } from './http-tool.js';
import { createToolDispatcher } from './tool-dispatcher.js';
import type { ToolCallOutcome } from './tool-dispatcher.js';
import { createToolRegistry } from './tool-registry.js';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

function listen(handler: (request: IncomingMessage, response: ServerResponse, body: string) => void): Promise<{ server: Server; origin: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      seen.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body });
      handler(request, response, body);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen })));
}

let api: Awaited<ReturnType<typeof listen>>;
let elsewhere: Awaited<ReturnType<typeof listen>>;

beforeAll(async () => {
  elsewhere = await listen((_request, response) => response.end('you should not be here'));
  api = await listen((request, response, body) => {
    const url = new URL(request.url ?? '/', 'http://x');
    if (url.pathname === '/weather') {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ city: url.searchParams.get('city'), days: url.searchParams.get('days'), auth: request.headers['x-api-key'] ?? null }));
    } else if (url.pathname === '/echo') {
      response.end(`echo ${body}`);
    } else if (url.pathname === '/broken') {
      response.statusCode = 503;
      response.end('down for maintenance');
    } else if (url.pathname === '/away') {
      response.statusCode = 302;
      response.setHeader('location', `${elsewhere.origin}/steal`);
      response.end();
    } else if (url.pathname === '/hop') {
      response.statusCode = 301;
      response.setHeader('location', '/echo');
      response.end();
    } else if (url.pathname === '/big') {
      response.end('x'.repeat(10_000));
    } else {
      response.statusCode = 404;
      response.end();
    }
  });
});

afterAll(async () => {
  await Promise.all([api, elsewhere].map(({ server }) => new Promise((resolve) => server.close(resolve))));
});

const context = { runId: asRunId('run_1'), taskId: asTaskId('t1') };

async function callTool(tool: Tool, args: unknown): Promise<ToolCallOutcome> {
  return createToolDispatcher({ registry: createToolRegistry([tool]) }).call({ id: 'c1', name: tool.name, arguments: JSON.stringify(args) }, context);
}

function errorOf(outcome: ToolCallOutcome): RuntimeError {
  if (outcome.ok) throw new Error(`expected a failure, got ${outcome.result}`);
  return outcome.error;
}

describe('httpTool', () => {
  const weatherSchema = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'object',
    properties: { city: { type: 'string' }, days: { type: 'integer', minimum: 1, default: 3 } },
    required: ['city'],
    additionalProperties: false,
  };

  it('sends GET arguments as query parameters (schema defaults applied) with the configured headers', async () => {
    const tool = httpTool({ name: 'weather', description: 'Weather.', inputSchema: weatherSchema, url: `${api.origin}/weather`, method: 'GET', headers: { 'x-api-key': 'k-123' } });
    expect(tool.parameters).not.toHaveProperty('$schema');
    const outcome = await callTool(tool, { city: 'Lyon' });
    expect(outcome.ok && JSON.parse(outcome.result)).toEqual({ city: 'Lyon', days: '3', auth: 'k-123' });
  });

  it('sends other methods a JSON body', async () => {
    const tool = httpTool({ name: 'echo', description: 'Echo.', inputSchema: { type: 'object', properties: { q: { type: 'string' } } }, url: `${api.origin}/echo` });
    const outcome = await callTool(tool, { q: 'hi' });
    expect(outcome.ok && outcome.result).toBe('echo {"q":"hi"}');
    expect(api.seen.at(-1)).toMatchObject({ method: 'POST', headers: { 'content-type': 'application/json' } });
  });

  it('refuses arguments the JSON Schema refuses, before any request', async () => {
    const before = api.seen.length;
    const tool = httpTool({ name: 'weather', description: 'Weather.', inputSchema: weatherSchema, url: `${api.origin}/weather`, method: 'GET' });
    const error = errorOf(await callTool(tool, { city: 'Lyon', days: 0, extra: true }));
    expect(error.code).toBe('TOOL_INVALID_ARGUMENTS');
    expect(error.details).toMatchObject({ tool: 'weather' });
    expect(api.seen.length).toBe(before);
  });

  it('reports an HTTP error status as TOOL_FAILED with the status', async () => {
    const tool = httpTool({ name: 'broken', description: 'd', inputSchema: { type: 'object' }, url: `${api.origin}/broken`, method: 'GET' });
    const error = errorOf(await callTool(tool, {}));
    expect(error.code).toBe('TOOL_FAILED');
    expect(error.details).toMatchObject({ status: 503, body: 'down for maintenance' });
  });

  it('follows a redirect on its origin but never off it', async () => {
    const hop = httpTool({ name: 'hop', description: 'd', inputSchema: { type: 'object' }, url: `${api.origin}/hop` });
    expect(await callTool(hop, { a: 1 })).toMatchObject({ ok: true, result: 'echo ' });
    const before = elsewhere.seen.length;
    const away = httpTool({ name: 'away', description: 'd', inputSchema: { type: 'object' }, url: `${api.origin}/away`, method: 'GET' });
    expect(errorOf(await callTool(away, {})).code).toBe('TOOL_FAILED');
    expect(elsewhere.seen.length).toBe(before);
  });

  it('cuts a long response at maxResponseBytes, marked', async () => {
    const big = httpTool({ name: 'big', description: 'd', inputSchema: { type: 'object' }, url: `${api.origin}/big`, method: 'GET', maxResponseBytes: 100 });
    const outcome = await callTool(big, {});
    expect(outcome.ok && outcome.result).toBe(`${'x'.repeat(100)}\n[truncated at 100 bytes]`);
  });

  it.each([
    ['a non-object schema', { inputSchema: { type: 'string' } }],
    ['a malformed schema', { inputSchema: { type: 'object', properties: { a: { type: 'no-such-type' } } } }],
    ['a non-http URL', { url: 'file:///etc/passwd' }],
    ['a bad name', { name: 'has space' }],
    ['a negative costUsd', { costUsd: -1 }],
    ['a NaN costUsd', { costUsd: Number.NaN }],
    ['a zero timeoutMs', { timeoutMs: 0 }],
    ['a fractional timeoutMs', { timeoutMs: 1.5 }],
    ['a negative maxResponseBytes', { maxResponseBytes: -1 }],
  ])('refuses %s at definition with VALIDATION_FAILED', (_label, override) => {
    expect(() => httpTool({ name: 'ok', description: 'd', inputSchema: { type: 'object' }, url: `${api.origin}/echo`, ...override })).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED' }),
    );
  });
});

describe('httpGetTool', () => {
  it('fetches from an allowed host', async () => {
    const tool = httpGetTool({ allowedHosts: [new URL(api.origin).host] });
    expect(await callTool(tool, { url: `${api.origin}/weather?city=Nice` })).toMatchObject({ ok: true });
  });

  it('refuses another host with TOOL_REJECTED without sending anything there', async () => {
    const tool = httpGetTool({ allowedHosts: [new URL(api.origin).host] });
    const before = elsewhere.seen.length;
    const error = errorOf(await callTool(tool, { url: `${elsewhere.origin}/steal` }));
    expect(error.code).toBe('TOOL_REJECTED');
    expect(error.details).toMatchObject({ host: new URL(elsewhere.origin).host });
    expect(elsewhere.seen.length).toBe(before);
  });

  it('refuses a redirect off the allowlist', async () => {
    const tool = httpGetTool({ allowedHosts: [new URL(api.origin).host] });
    const before = elsewhere.seen.length;
    expect(errorOf(await callTool(tool, { url: `${api.origin}/away` })).code).toBe('TOOL_REJECTED');
    expect(elsewhere.seen.length).toBe(before);
  });

  it('refuses a non-URL and a non-http scheme', async () => {
    const tool = httpGetTool({ allowedHosts: ['127.0.0.1'] });
    expect(errorOf(await callTool(tool, { url: 'not a url' })).code).toBe('TOOL_INVALID_ARGUMENTS');
    expect(errorOf(await callTool(tool, { url: 'file:///etc/passwd' })).code).toBe('TOOL_REJECTED');
  });

  it('needs at least one allowed host', () => {
    expect(() => httpGetTool({ allowedHosts: [] })).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });

  it.each([
    ['a zero timeoutMs', { timeoutMs: 0 }],
    ['a NaN timeoutMs', { timeoutMs: Number.NaN }],
    ['a zero maxResponseBytes', { maxResponseBytes: 0 }],
  ])('refuses %s at definition with VALIDATION_FAILED naming the option', (_label, override) => {
    const option = Object.keys(override)[0];
    expect(() => httpGetTool({ allowedHosts: ['127.0.0.1'], ...override })).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED', details: expect.objectContaining({ tool: 'http_get', issues: [expect.objectContaining({ path: [option] })] }) }),
    );
  });
});
