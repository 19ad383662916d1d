/**
 * The tool sections of the config: shape refusals name the field; header variables resolve from
 * the environment (a missing one refuses, naming the field and the variable, never a value); the
 * tools built call a real local HTTP server; `http_get` stays on its allowlist.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asRunId, asTaskId, ValidationError, type Tool } from '@runtime/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfig } from './load-config.js';
import { buildConfiguredTools, type ToolsConfig } from './tool-config.js';

let server: Server;
let origin: string;
const seen: { url: string; method: string; headers: IncomingHttpHeaders; body: string }[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      seen.push({ url: request.url ?? '', method: request.method ?? '', headers: request.headers, body });
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ forecast: 'sunny' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function loadWith(sections: Record<string, unknown>): ReturnType<typeof loadConfig> {
  const directory = mkdtempSync(join(tmpdir(), 'sidecar-tools-'));
  try {
    const path = join(directory, 'sidecar.yaml');
    writeFileSync(path, stringify({ store: { kind: 'memory' }, ...sections }));
    return loadConfig({ env: {}, path });
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

function refusal(run: () => unknown): ValidationError {
  try {
    run();
  } catch (error) {
    if (ValidationError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

const weather = {
  name: 'get_weather',
  description: 'Current weather of a city.',
  inputSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  method: 'POST',
};

const context = () => ({ signal: new AbortController().signal, runId: asRunId('run_tools'), taskId: asTaskId('t') });

function named(tools: readonly Tool[], name: string): Tool {
  const tool = tools.find((candidate) => candidate.name === name);
  if (tool === undefined) throw new Error(`no tool ${name}`);
  return tool;
}

describe('config tools and httpGet', () => {
  it('loads tools and httpGet next to the rest of the config', () => {
    const resolved = loadWith({ tools: [{ ...weather, url: `${origin}/weather` }], httpGet: { allowHosts: ['example.com'] } });
    expect(resolved.tools.tools?.map((tool) => tool.name)).toEqual(['get_weather']);
    expect(resolved.tools.httpGet?.allowHosts).toEqual(['example.com']);
    expect(resolved.config).not.toHaveProperty('tools');
  });

  it('no tool sections: no tools', () => {
    expect(loadWith({}).tools).toEqual({});
    expect(buildConfiguredTools({}, {})).toEqual([]);
  });

  for (const [name, sections, field] of [
    ['a URL that is not http(s)', { tools: [{ ...weather, url: 'ftp://example.com/x' }] }, 'tools[0].url'],
    ['a bad tool name', { tools: [{ ...weather, name: 'get weather', url: `http://x.test/` }] }, 'tools[0].name'],
    ['a duplicate name', { tools: [{ ...weather, url: 'http://x.test/' }, { ...weather, url: 'http://y.test/' }] }, 'tools[1].name'],
    ['a tool named http_get', { tools: [{ ...weather, name: 'http_get', url: 'http://x.test/' }] }, 'tools[0].name'],
    ['an input schema that is not an object schema', { tools: [{ ...weather, inputSchema: { type: 'string' }, url: 'http://x.test/' }] }, 'tools[0].inputSchema'],
    ['an unknown tool field', { tools: [{ ...weather, url: 'http://x.test/', retries: 3 }] }, 'tools[0].retries'],
    ['a header fromEnv that is not a variable name', { tools: [{ ...weather, url: 'http://x.test/', headers: { 'x-key': { fromEnv: 'NOT A VAR' } } }] }, 'tools[0].headers.x-key.fromEnv'],
    ['an empty allowlist', { httpGet: { allowHosts: [] } }, 'httpGet.allowHosts'],
    ['a URL in the allowlist', { httpGet: { allowHosts: ['https://example.com/'] } }, 'httpGet.allowHosts[0]'],
  ] as const) {
    it(`refuses ${name}, naming ${field}`, () => {
      const error = refusal(() => loadWith(sections));
      expect(error.code).toBe('VALIDATION_FAILED');
      expect(error.message).toContain(field);
      expect(error.details['field']).toBe(field);
    });
  }

  it('a header variable that is not set refuses, naming the field and the variable', () => {
    const config: ToolsConfig = { tools: [{ ...weather, method: 'POST', url: `${origin}/weather`, headers: { authorization: { fromEnv: 'WEATHER_KEY', prefix: 'Bearer ' } } }] };
    const error = refusal(() => buildConfiguredTools(config, {}));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toContain('tools[0].headers.authorization.fromEnv');
    expect(error.message).toContain('WEATHER_KEY');
    expect(error.details['variable']).toBe('WEATHER_KEY');
    expect(refusal(() => buildConfiguredTools(config, { WEATHER_KEY: '' })).details['variable']).toBe('WEATHER_KEY');
  });

  it('the built tool calls the endpoint with the arguments and the headers resolved from the environment', async () => {
    const config: ToolsConfig = {
      tools: [{ ...weather, method: 'POST', url: `${origin}/weather`, headers: { authorization: { fromEnv: 'WEATHER_KEY', prefix: 'Bearer ' }, 'x-client': 'sidecar' } }],
    };
    const tools = buildConfiguredTools(config, { WEATHER_KEY: 'secret-1' });
    const tool = named(tools, 'get_weather');
    expect(tool.parameters).toMatchObject({ type: 'object', required: ['city'] });
    seen.length = 0;
    const result = await tool.execute(tool.parseArguments?.({ city: 'Paris' }) ?? { city: 'Paris' }, context());
    expect(result).toContain('sunny');
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ url: '/weather', method: 'POST', body: '{"city":"Paris"}' });
    expect(seen[0]?.headers['authorization']).toBe('Bearer secret-1');
    expect(seen[0]?.headers['x-client']).toBe('sidecar');
  });

  it('http_get fetches from an allowed host and refuses any other host before sending a request', async () => {
    const host = new URL(origin).host;
    const tool = named(buildConfiguredTools({ httpGet: { allowHosts: [host] } }, {}), 'http_get');
    seen.length = 0;
    const allowed = await tool.execute(tool.parseArguments?.({ url: `${origin}/page` }), context());
    expect(allowed).toContain('sunny');
    expect(seen.map((request) => request.url)).toEqual(['/page']);
    const offList = `http://localhost:${new URL(origin).port}/page`;
    await expect(tool.execute(tool.parseArguments?.({ url: offList }), context())).rejects.toMatchObject({ code: 'TOOL_REJECTED' });
    expect(seen).toHaveLength(1);
  });
});
