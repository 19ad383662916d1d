/**
 * The agent runner over the real provider adapters, against local servers speaking the real
 * tool-call wire formats (OpenAI `tool_calls` JSON and SSE fragments, Anthropic `tool_use` /
 * `tool_result` blocks and `input_json_delta`), with a real HTTP tool server and each step
 * reserved and settled on the real in-memory ledger.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAgentRunner, createToolRegistry, defineTool, httpGetTool, httpTool } from '@runtime/agent';
import { asModelId, asRunId, asTaskId, BudgetError, moneyToUsd, usd } from '@runtime/contracts';
import type { AgentRunInput, LlmClient, Usage } from '@runtime/contracts';
import { createBudgetLedger, createCostCalculator, createModelCatalog, createTokenEstimator } from '@runtime/cost';
import { createAnthropicClient, createOpenAiCompatibleClient } from '@runtime/providers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fakeServer, json, ledgerHost, sse } from './support/agent-ledger-host.js';
import type { FakeServer } from './support/agent-ledger-host.js';

const catalog = createModelCatalog();
const estimator = createTokenEstimator({ catalog });
const calculator = createCostCalculator({ catalog });
const runId = asRunId('run_agent');
const taskId = asTaskId('research');

const executed: string[] = [];
const weather = defineTool({
  name: 'get_weather',
  description: 'Current weather of a city.',
  input: z.object({ city: z.string() }),
  execute: ({ city }) => {
    executed.push(`weather:${city}`);
    return Promise.resolve(`sunny, 21°C in ${city}`);
  },
});
const time = defineTool({
  name: 'get_time',
  description: 'Local time of a city.',
  input: z.object({ city: z.string() }),
  execute: ({ city }) => {
    executed.push(`time:${city}`);
    return Promise.resolve(`14:05 in ${city}`);
  },
});

let toolServer: Server;
let toolOrigin: string;
const toolRequests: string[] = [];

beforeAll(async () => {
  toolServer = createServer((request, response) => {
    toolRequests.push(`${request.method ?? ''} ${request.url ?? ''}`);
    const url = new URL(request.url ?? '/', 'http://x');
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ q: url.searchParams.get('q'), hits: [`${url.searchParams.get('q') ?? ''} guide`] }));
  });
  await new Promise<void>((resolve) => toolServer.listen(0, '127.0.0.1', resolve));
  toolOrigin = `http://127.0.0.1:${(toolServer.address() as AddressInfo).port}`;
});

afterAll(() => new Promise((resolve) => toolServer.close(resolve)));

function registry() {
  return createToolRegistry([
    weather,
    time,
    httpTool({
      name: 'search_docs',
      description: 'Searches the travel docs.',
      url: `${toolOrigin}/search`,
      method: 'GET',
      inputSchema: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'], additionalProperties: false },
    }),
    httpGetTool({ allowedHosts: [new URL(toolOrigin).host] }),
  ]);
}

async function ledgerFor(limitUsd: number) {
  const ledger = createBudgetLedger();
  await ledger.setLimit(`run:${runId}`, usd(limitUsd));
  return ledger;
}

function runInput(model: string, host: AgentRunInput['host'], tools: readonly string[], maxOutputTokens = 512): AgentRunInput {
  return {
    runId,
    taskId,
    model: asModelId(model),
    maxOutputTokens,
    messages: [
      { role: 'system', content: 'You are a travel assistant.' },
      { role: 'user', content: 'Plan an afternoon in Paris.' },
    ],
    tools,
    host,
  };
}

function costOf(model: string, usages: readonly Usage[]): number {
  return usages.reduce((sum, usage) => sum + moneyToUsd(calculator.cost(model, usage)), 0);
}

const usage = (input: number, output: number): Usage => ({ inputTokens: input, outputTokens: output, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 });

describe('agent over the OpenAI-compatible adapter', () => {
  let server: FakeServer;
  afterAll(() => server.close());

  it('runs parallel tool calls (a zod tool and an HTTP tool) and bills every step once on the ledger', async () => {
    executed.length = 0;
    server = await fakeServer((call, index, response) => {
      if (index === 0) {
        json(response, {
          id: 'chatcmpl-1',
          model: 'gpt-4o-mini',
          choices: [
            {
              index: 0,
              finish_reason: 'tool_calls',
              message: {
                role: 'assistant',
                content: null,
                tool_calls: [
                  { id: 'call_w', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
                  { id: 'call_s', type: 'function', function: { name: 'search_docs', arguments: '{"q":"Louvre"}' } },
                ],
              },
            },
          ],
          usage: { prompt_tokens: 120, completion_tokens: 40, total_tokens: 160 },
        });
        return;
      }
      const messages = call.body.messages as { role: string; content: string | null; tool_call_id?: string }[];
      const results = messages.filter((message) => message.role === 'tool').map((message) => `${message.tool_call_id ?? ''}:${message.content ?? ''}`);
      json(response, {
        id: 'chatcmpl-2',
        model: 'gpt-4o-mini',
        choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: `Plan based on ${results.join(' / ')}` } }],
        usage: { prompt_tokens: 260, completion_tokens: 30, total_tokens: 290 },
      });
    });
    const ledger = await ledgerFor(1);
    const client: LlmClient = createOpenAiCompatibleClient({ baseUrl: server.url, apiKey: 'test', catalog });
    const host = ledgerHost({ client, ledger, calculator, estimator, scopes: [`run:${runId}`], runId, taskId });
    const runner = createAgentRunner({ registry: registry() });
    const result = await runner.run({ ...runInput('gpt-4o-mini', host, ['get_weather', 'search_docs']), toolChoice: 'auto' });

    expect(result.output).toBe('Plan based on call_w:sunny, 21°C in Paris / call_s:{"q":"Louvre","hits":["Louvre guide"]}');
    expect(executed).toEqual(['weather:Paris']);
    expect(toolRequests).toContain('GET /search?q=Louvre');
    // The wire format of the tools and of the second turn.
    const first = server.calls[0]?.body ?? {};
    expect(first.tools).toEqual([
      { type: 'function', function: { name: 'get_weather', description: 'Current weather of a city.', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } },
      {
        type: 'function',
        function: { name: 'search_docs', description: 'Searches the travel docs.', parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'], additionalProperties: false } },
      },
    ]);
    const second = (server.calls[1]?.body.messages ?? []) as Record<string, unknown>[];
    expect(second.slice(2)).toMatchObject([
      { role: 'assistant', tool_calls: [{ id: 'call_w', type: 'function', function: { name: 'get_weather' } }, { id: 'call_s' }] },
      { role: 'tool', tool_call_id: 'call_w', content: 'sunny, 21°C in Paris' },
      { role: 'tool', tool_call_id: 'call_s' },
    ]);
    // Each step reserved its worst case and settled to the provider's usage: nothing held, spend exact.
    const snapshot = await ledger.snapshot(`run:${runId}`);
    expect(moneyToUsd(snapshot.reserved)).toBe(0);
    const expectedCost = costOf('gpt-4o-mini', [usage(120, 40), usage(260, 30)]);
    expect(moneyToUsd(snapshot.spent)).toBeCloseTo(expectedCost, 12);
    expect(result.costUsd).toBeCloseTo(expectedCost, 12);
    expect(host.journal.map((event) => event.type)).toEqual(['agent.step', 'tool.called', 'tool.called', 'tool.completed', 'tool.completed', 'agent.step']);
    expect(host.journal.at(-1)).toMatchObject({ kind: 'final_answer', usage: { inputTokens: 260, outputTokens: 30 } });
  });

  it('runs tool calls whose arguments stream as fragments (two calls interleaved), then streams the answer', async () => {
    executed.length = 0;
    const chunk = (delta: unknown, finish: string | null = null) => ({ data: { id: 'c', model: 'gpt-4o-mini', choices: [{ index: 0, delta, finish_reason: finish }] } });
    server = await fakeServer((_call, index, response) => {
      if (index === 0) {
        sse(response, [
          chunk({ role: 'assistant', tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
          chunk({ tool_calls: [{ index: 0, function: { arguments: '{"ci' } }] }),
          chunk({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '{"city"' } }] }),
          chunk({ tool_calls: [{ index: 0, function: { arguments: 'ty":"Rome"}' } }] }),
          chunk({ tool_calls: [{ index: 1, function: { arguments: ':"Rome"}' } }] }),
          chunk({}, 'tool_calls'),
          { data: { id: 'c', model: 'gpt-4o-mini', choices: [], usage: { prompt_tokens: 90, completion_tokens: 25, total_tokens: 115 } } },
          { data: '[DONE]' },
        ]);
        return;
      }
      sse(response, [
        chunk({ role: 'assistant', content: 'Rome: ' }),
        chunk({ content: 'sunny at 14:05.' }, 'stop'),
        { data: { id: 'c', model: 'gpt-4o-mini', choices: [], usage: { prompt_tokens: 200, completion_tokens: 8, total_tokens: 208 } } },
        { data: '[DONE]' },
      ]);
    });
    const ledger = await ledgerFor(1);
    const client = createOpenAiCompatibleClient({ baseUrl: server.url, apiKey: 'test', catalog });
    const host = ledgerHost({ client, ledger, calculator, estimator, scopes: [`run:${runId}`], runId, taskId, stream: true });
    const result = await createAgentRunner({ registry: registry() }).run(runInput('gpt-4o-mini', host, ['get_weather', 'get_time']));
    expect(result.output).toBe('Rome: sunny at 14:05.');
    expect(executed.sort()).toEqual(['time:Rome', 'weather:Rome']);
    expect(host.deltas[0]?.filter((delta) => delta.arguments !== undefined && delta.arguments !== '').length).toBeGreaterThanOrEqual(4);
    expect(server.calls[0]?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    const snapshot = await ledger.snapshot(`run:${runId}`);
    expect(moneyToUsd(snapshot.spent)).toBeCloseTo(costOf('gpt-4o-mini', [usage(90, 25), usage(200, 8)]), 12);
  });

  it('stops with BUDGET_EXCEEDED before the step whose worst case does not fit, keeping the results and spend so far', async () => {
    executed.length = 0;
    server = await fakeServer((_call, _index, response) =>
      json(response, {
        id: 'chatcmpl-b',
        model: 'gpt-4o-mini',
        choices: [{ index: 0, finish_reason: 'tool_calls', message: { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Lima"}' } }] } }],
        usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 },
      }),
    );
    const tools = registry();
    const input = runInput('gpt-4o-mini', ledgerHost({ client: createOpenAiCompatibleClient({ baseUrl: server.url, apiKey: 'k', catalog }), ledger: createBudgetLedger(), calculator, estimator, scopes: [], runId, taskId }), ['get_weather']);
    // Room for exactly the first step's worst case: after it settles, the second (longer) one cannot fit.
    const definitions = input.tools.map((name) => tools.get(name));
    const firstWorstCase = calculator.worstCase('gpt-4o-mini', estimator.countMessages(input.messages, 'gpt-4o-mini', definitions), input.maxOutputTokens);
    const ledger = createBudgetLedger();
    await ledger.setLimit(`run:${runId}`, firstWorstCase);
    const host = ledgerHost({ client: createOpenAiCompatibleClient({ baseUrl: server.url, apiKey: 'k', catalog }), ledger, calculator, estimator, scopes: [`run:${runId}`], runId, taskId });
    const error: unknown = await createAgentRunner({ registry: tools })
      .run({ ...input, host })
      .then(
        () => undefined,
        (reason: unknown) => reason,
      );
    expect(BudgetError.isInstance(error) && error.code).toBe('BUDGET_EXCEEDED');
    expect(server.calls).toHaveLength(1);
    expect(executed).toEqual(['weather:Lima']);
    expect(host.journal.map((event) => event.type)).toEqual(['agent.step', 'tool.called', 'tool.completed']);
    const snapshot = await ledger.snapshot(`run:${runId}`);
    expect(moneyToUsd(snapshot.reserved)).toBe(0);
    expect(moneyToUsd(snapshot.spent)).toBeCloseTo(costOf('gpt-4o-mini', [usage(100, 20)]), 12);
  });
});

describe('agent over the Anthropic adapter', () => {
  let server: FakeServer;
  afterAll(() => server.close());

  it('answers parallel tool_use blocks with tool_result blocks in one user turn', async () => {
    executed.length = 0;
    server = await fakeServer((call, index, response) => {
      if (index === 0) {
        json(response, {
          id: 'msg_1',
          type: 'message',
          role: 'assistant',
          model: 'claude-haiku-4-5',
          content: [
            { type: 'text', text: 'Let me check both.' },
            { type: 'tool_use', id: 'toolu_w', name: 'get_weather', input: { city: 'Oslo' } },
            { type: 'tool_use', id: 'toolu_t', name: 'get_time', input: { city: 'Oslo' } },
          ],
          stop_reason: 'tool_use',
          usage: { input_tokens: 150, output_tokens: 60 },
        });
        return;
      }
      const messages = call.body.messages as { role: string; content: { type: string; tool_use_id?: string; content?: string }[] | string }[];
      const last = messages.at(-1);
      const results = Array.isArray(last?.content) ? last.content.filter((block) => block.type === 'tool_result').map((block) => block.content ?? '') : [];
      json(response, {
        id: 'msg_2',
        type: 'message',
        role: 'assistant',
        model: 'claude-haiku-4-5',
        content: [{ type: 'text', text: `Oslo: ${results.join(', ')}` }],
        stop_reason: 'end_turn',
        usage: { input_tokens: 300, output_tokens: 12 },
      });
    });
    const ledger = await ledgerFor(1);
    const client = createAnthropicClient({ baseUrl: server.url, apiKey: 'test' });
    const host = ledgerHost({ client, ledger, calculator, estimator, scopes: [`run:${runId}`], runId, taskId });
    const result = await createAgentRunner({ registry: registry() }).run(runInput('claude-haiku-4-5', host, ['get_weather', 'get_time']));
    expect(result.output).toBe('Oslo: sunny, 21°C in Oslo, 14:05 in Oslo');
    expect(executed.sort()).toEqual(['time:Oslo', 'weather:Oslo']);
    expect(server.calls[0]?.body.tools).toEqual([
      { name: 'get_weather', description: 'Current weather of a city.', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
      { name: 'get_time', description: 'Local time of a city.', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
    ]);
    const second = server.calls[1]?.body.messages as unknown[];
    expect(second.slice(-2)).toMatchObject([
      { role: 'assistant', content: [{ type: 'text', text: 'Let me check both.' }, { type: 'tool_use', id: 'toolu_w', name: 'get_weather', input: { city: 'Oslo' } }, { type: 'tool_use', id: 'toolu_t' }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_w' }, { type: 'tool_result', tool_use_id: 'toolu_t' }] },
    ]);
    const snapshot = await ledger.snapshot(`run:${runId}`);
    expect(moneyToUsd(snapshot.spent)).toBeCloseTo(costOf('claude-haiku-4-5', [usage(150, 60), usage(300, 12)]), 12);
    expect(moneyToUsd(snapshot.reserved)).toBe(0);
  });

  it('runs a tool_use whose input streams as input_json_delta fragments', async () => {
    executed.length = 0;
    server = await fakeServer((_call, index, response) => {
      if (index === 0) {
        sse(response, [
          { event: 'message_start', data: { type: 'message_start', message: { id: 'msg_s', type: 'message', role: 'assistant', model: 'claude-haiku-4-5', content: [], usage: { input_tokens: 80, output_tokens: 1 } } } },
          { event: 'content_block_start', data: { type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 'toolu_s', name: 'http_get', input: {} } } },
          { event: 'content_block_delta', data: { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '{"url": "' } } },
          { event: 'content_block_delta', data: { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: `${toolOrigin}/search?q=` } } },
          { event: 'content_block_delta', data: { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: 'fjords"}' } } },
          { event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } },
          { event: 'message_delta', data: { type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 22 } } },
          { event: 'message_stop', data: { type: 'message_stop' } },
        ]);
        return;
      }
      sse(response, [
        { event: 'message_start', data: { type: 'message_start', message: { id: 'msg_t', type: 'message', role: 'assistant', model: 'claude-haiku-4-5', content: [], usage: { input_tokens: 160, output_tokens: 1 } } } },
        { event: 'content_block_start', data: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } } },
        { event: 'content_block_delta', data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Fjords guide found.' } } },
        { event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } },
        { event: 'message_delta', data: { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 5 } } },
        { event: 'message_stop', data: { type: 'message_stop' } },
      ]);
    });
    const before = toolRequests.length;
    const ledger = await ledgerFor(1);
    const client = createAnthropicClient({ baseUrl: server.url, apiKey: 'test' });
    const host = ledgerHost({ client, ledger, calculator, estimator, scopes: [`run:${runId}`], runId, taskId, stream: true });
    const result = await createAgentRunner({ registry: registry() }).run(runInput('claude-haiku-4-5', host, ['http_get']));
    expect(result.output).toBe('Fjords guide found.');
    expect(toolRequests.slice(before)).toEqual(['GET /search?q=fjords']);
    expect(host.deltas[0]?.map((delta) => delta.arguments ?? '').join('')).toBe(`{"url": "${toolOrigin}/search?q=fjords"}`);
    expect(host.journal.find((event) => event.type === 'tool.completed')).toMatchObject({ tool: 'http_get', callId: 'toolu_s', result: '{"q":"fjords","hits":["fjords guide"]}' });
    const snapshot = await ledger.snapshot(`run:${runId}`);
    expect(moneyToUsd(snapshot.spent)).toBeCloseTo(costOf('claude-haiku-4-5', [usage(80, 22), usage(160, 5)]), 12);
  });
});

describe('errors reach the model as tool results over the wire', () => {
  it('an http_get to a host off the allowlist goes back as TOOL_REJECTED, nothing is fetched', async () => {
    const server = await fakeServer((call, index, response) => {
      if (index === 0) {
        json(response, {
          id: 'c',
          model: 'gpt-4o-mini',
          choices: [{ index: 0, finish_reason: 'tool_calls', message: { role: 'assistant', content: null, tool_calls: [{ id: 'call_x', type: 'function', function: { name: 'http_get', arguments: '{"url":"http://169.254.169.254/latest/meta-data"}' } }] } }],
          usage: { prompt_tokens: 50, completion_tokens: 10, total_tokens: 60 },
        });
        return;
      }
      const messages = call.body.messages as { role: string; content: string }[];
      json(response, { id: 'c2', model: 'gpt-4o-mini', choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: messages.at(-1)?.content ?? '' } }], usage: { prompt_tokens: 80, completion_tokens: 10, total_tokens: 90 } });
    });
    try {
      const before = toolRequests.length;
      const host = ledgerHost({ client: createOpenAiCompatibleClient({ baseUrl: server.url, apiKey: 'k', catalog }), ledger: await ledgerFor(1), calculator, estimator, scopes: [`run:${runId}`], runId, taskId });
      const result = await createAgentRunner({ registry: registry() }).run(runInput('gpt-4o-mini', host, ['http_get']));
      const sent = JSON.parse(result.output) as { error: { code: string } };
      expect(sent.error.code).toBe('TOOL_REJECTED');
      expect(toolRequests.length).toBe(before);
      expect(host.journal.find((event) => event.type === 'tool.failed')).toMatchObject({ error: { code: 'TOOL_REJECTED', details: { tool: 'http_get', host: '169.254.169.254' } } });
    } finally {
      await server.close();
    }
  });
});
