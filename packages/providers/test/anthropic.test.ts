import { asModelId, type LlmRequest } from '@runtime/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { createAnthropicClient, createResilientClient } from '../src/index.js';
import { collectStream, createFakeTime } from '../src/testing/index.js';
import { sendJson, startProviderServer, startSse, type ProviderServer } from './support/provider-server.js';

const request: LlmRequest = {
  model: asModelId('claude-test'),
  providerModel: 'claude-sonnet-4-5',
  messages: [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'Weather in Paris and Rome?' },
    {
      role: 'assistant',
      content: 'Checking.',
      toolCalls: [
        { id: 'toolu_1', name: 'weather', arguments: '{"city":"Paris"}' },
        { id: 'toolu_2', name: 'weather', arguments: '{"city":"Rome"}' },
      ],
    },
    { role: 'tool', content: '18°C', toolCallId: 'toolu_1' },
    { role: 'tool', content: '24°C', toolCallId: 'toolu_2' },
  ],
  tools: [{ name: 'weather', description: 'Weather of a city', parameters: { type: 'object' } }],
  maxOutputTokens: 256,
  stop: ['END'],
};

const message = {
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5-20250929',
  content: [
    { type: 'text', text: 'Paris 18, Rome 24.' },
    { type: 'tool_use', id: 'toolu_3', name: 'weather', input: { city: 'Oslo' } },
  ],
  stop_reason: 'tool_use',
  usage: { input_tokens: 50, cache_read_input_tokens: 1000, cache_creation_input_tokens: 200, output_tokens: 30 },
};

let server: ProviderServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function client(): ReturnType<typeof createAnthropicClient> {
  if (server === undefined) throw new Error('no server');
  return createAnthropicClient({ baseUrl: server.url, apiKey: 'sk-ant-test', headers: { 'anthropic-beta': 'test' } });
}

describe('Anthropic adapter against a real HTTP server', () => {
  it('sends system at the top level, tool_use/tool_result blocks, and normalizes cache usage into input', async () => {
    server = await startProviderServer((_sent, response) => sendJson(response, 200, message, { 'request-id': 'req_a' }));
    const result = await client().complete(request);
    const sent = server.requests[0];
    expect(sent?.url).toBe('/v1/messages');
    expect(sent?.headers['x-api-key']).toBe('sk-ant-test');
    expect(sent?.headers['anthropic-version']).toBe('2023-06-01');
    expect(sent?.headers['anthropic-beta']).toBe('test');
    expect(sent?.body).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: 256,
      system: 'You are terse.',
      stop_sequences: ['END'],
      tools: [{ name: 'weather', description: 'Weather of a city', input_schema: { type: 'object' } }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Weather in Paris and Rome?' }] },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Checking.' },
            { type: 'tool_use', id: 'toolu_1', name: 'weather', input: { city: 'Paris' } },
            { type: 'tool_use', id: 'toolu_2', name: 'weather', input: { city: 'Rome' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_1', content: '18°C' },
            { type: 'tool_result', tool_use_id: 'toolu_2', content: '24°C' },
          ],
        },
      ],
    });
    expect(result).toEqual({
      output: 'Paris 18, Rome 24.',
      toolCalls: [{ id: 'toolu_3', name: 'weather', arguments: '{"city":"Oslo"}' }],
      usage: { inputTokens: 1250, outputTokens: 30, cacheReadTokens: 1000, cacheWriteTokens: 200, reasoningTokens: 0 },
      finishReason: 'tool_calls',
      providerModel: 'claude-sonnet-4-5-20250929',
      requestId: 'req_a',
      source: 'provider',
      attempts: 1,
    });
  });

  it('streams text and tool_use deltas with usage from message_start and message_delta', async () => {
    server = await startProviderServer((_sent, response) => {
      const sse = startSse(response);
      sse.send(
        { type: 'message_start', message: { id: 'msg_s', model: 'claude-sonnet-4-5', usage: { input_tokens: 10, cache_read_input_tokens: 90, cache_creation_input_tokens: 0, output_tokens: 1 } } },
        'message_start',
      );
      sse.send({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }, 'content_block_start');
      sse.send({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi ' } }, 'content_block_delta');
      sse.send({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'there' } }, 'content_block_delta');
      sse.send({ type: 'content_block_stop', index: 0 }, 'content_block_stop');
      sse.send({ type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_9', name: 'weather', input: {} } }, 'content_block_start');
      sse.send({ type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"city":' } }, 'content_block_delta');
      sse.send({ type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '"Oslo"}' } }, 'content_block_delta');
      sse.send({ type: 'content_block_stop', index: 1 }, 'content_block_stop');
      sse.send({ type: 'ping' }, 'ping');
      sse.send({ type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 42 } }, 'message_delta');
      sse.send({ type: 'message_stop' }, 'message_stop');
      sse.end();
    });
    const collected = await collectStream(client().stream(request));
    expect(server.requests[0]?.body).toMatchObject({ stream: true });
    expect(collected.texts).toEqual(['Hi ', 'there']);
    expect(collected.toolCalls).toEqual([{ id: 'toolu_9', name: 'weather', arguments: '{"city":"Oslo"}' }]);
    // The tool call streams as fragments (index 0: the first call, though its content block is 1).
    expect(collected.toolCallDeltas).toEqual([
      { index: 0, id: 'toolu_9', name: 'weather' },
      { index: 0, arguments: '{"city":' },
      { index: 0, arguments: '"Oslo"}' },
    ]);
    expect(collected.result).toMatchObject({
      output: 'Hi there',
      finishReason: 'tool_calls',
      usage: { inputTokens: 100, outputTokens: 42, cacheReadTokens: 90, cacheWriteTokens: 0, reasoningTokens: 0 },
    });
  });

  it('streams tool-call argument fragments as they arrive, before the call is complete', async () => {
    let release: (() => void) | undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    server = await startProviderServer(async (_sent, response) => {
      const sse = startSse(response);
      sse.send({ type: 'message_start', message: { id: 'msg_t', model: 'claude-sonnet-4-5', usage: { input_tokens: 12, output_tokens: 1 } } }, 'message_start');
      sse.send({ type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 'toolu_a', name: 'weather', input: {} } }, 'content_block_start');
      sse.send({ type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '' } }, 'content_block_delta');
      sse.send({ type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '{"ci' } }, 'content_block_delta');
      // The server holds the rest until the client has seen the first fragments.
      await held;
      sse.send({ type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: 'ty":"Oslo"}' } }, 'content_block_delta');
      sse.send({ type: 'content_block_stop', index: 0 }, 'content_block_stop');
      sse.send({ type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_b', name: 'weather', input: {} } }, 'content_block_start');
      sse.send({ type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"city":"Rome"}' } }, 'content_block_delta');
      sse.send({ type: 'content_block_stop', index: 1 }, 'content_block_stop');
      sse.send({ type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 30 } }, 'message_delta');
      sse.send({ type: 'message_stop' }, 'message_stop');
      sse.end();
    });
    const seen: string[] = [];
    const fragments: { index: number; arguments?: string }[] = [];
    for await (const chunk of client().stream(request)) {
      seen.push(chunk.type);
      if (chunk.type === 'tool-call-delta') {
        fragments.push(chunk.delta);
        if (chunk.delta.arguments === '{"ci') release?.();
      }
    }
    expect(seen).toEqual(['tool-call-delta', 'tool-call-delta', 'tool-call-delta', 'tool-call', 'tool-call-delta', 'tool-call-delta', 'tool-call', 'done']);
    for (const [index, whole] of ['{"city":"Oslo"}', '{"city":"Rome"}'].entries()) {
      expect(fragments.filter((fragment) => fragment.index === index).map((fragment) => fragment.arguments ?? '').join('')).toBe(whole);
    }
  });

  it('a stream cut after a tool call started is terminal (the fragment was delivered), with its usage', async () => {
    server = await startProviderServer((_sent, response) => {
      const sse = startSse(response);
      sse.send({ type: 'message_start', message: { id: 'msg_c', model: 'claude-sonnet-4-5', usage: { input_tokens: 12, output_tokens: 1 } } }, 'message_start');
      sse.send({ type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 'toolu_c', name: 'weather', input: {} } }, 'content_block_start');
      sse.end();
    });
    const chunks: string[] = [];
    const failure = await (async () => {
      try {
        for await (const chunk of client().stream(request)) chunks.push(chunk.type);
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(chunks).toEqual(['tool-call-delta']);
    expect(failure).toMatchObject({ code: 'PROVIDER_ERROR', isRetryable: false, details: { reason: 'incomplete_stream', delivered: true } });
  });

  it('maps an in-stream overloaded error to a transient PROVIDER_ERROR', async () => {
    server = await startProviderServer((_sent, response) => {
      const sse = startSse(response);
      sse.send({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }, 'error');
      sse.end();
    });
    await expect(collectStream(client().stream(request))).rejects.toMatchObject({
      code: 'PROVIDER_ERROR',
      isRetryable: true,
      details: { status: 529, kind: 'transient' },
    });
  });

  it('waits the retry-after of a 429, then retries a 529 with backoff, then succeeds', async () => {
    const time = createFakeTime({ autoAdvance: true });
    server = await startProviderServer((sent, response) => {
      if (sent.index === 0) sendJson(response, 429, { type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } }, { 'retry-after': '3' });
      else if (sent.index === 1) sendJson(response, 529, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
      else sendJson(response, 200, message);
    });
    const llm = createResilientClient(client(), { clock: time.clock, sleep: time.sleep, random: () => 0 });
    const result = await llm.complete(request);
    expect(time.sleeps).toEqual([3000, 500]);
    expect(result.attempts).toBe(3);
    expect(server.requests).toHaveLength(3);
  });

  it('treats a "prompt is too long" 400 as CONTEXT_TOO_LARGE with one request', async () => {
    server = await startProviderServer((_sent, response) =>
      sendJson(response, 400, { type: 'error', error: { type: 'invalid_request_error', message: 'prompt is too long: 210000 tokens > 200000 maximum' } }),
    );
    await expect(createResilientClient(client()).complete(request)).rejects.toMatchObject({ code: 'CONTEXT_TOO_LARGE' });
    expect(server.requests).toHaveLength(1);
  });

  it('aborts mid-stream and closes the socket', async () => {
    server = await startProviderServer((_sent, response) => {
      const sse = startSse(response);
      sse.send({ type: 'message_start', message: { id: 'm', model: 'c', usage: { input_tokens: 1, output_tokens: 0 } } }, 'message_start');
      sse.send({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'partial' } }, 'content_block_delta');
    });
    const controller = new AbortController();
    const consume = async (): Promise<void> => {
      for await (const chunk of client().stream(request, { signal: controller.signal })) {
        if (chunk.type === 'text') controller.abort();
      }
    };
    await expect(consume()).rejects.toMatchObject({ code: 'RUN_ABORTED' });
    await server.requests[0]?.socketClosed;
  });
});

describe('Anthropic adapter: tool_choice on the wire', () => {
  it('maps toolChoice to tool_choice { type: "auto" | "any" | "none" } with the tools, and sends nothing when absent or without tools', async () => {
    server = await startProviderServer((_sent, response) => sendJson(response, 200, message));
    for (const toolChoice of ['auto', 'required', 'none'] as const) await client().complete({ ...request, toolChoice });
    await client().complete(request);
    await client().complete({ ...request, tools: [], toolChoice: 'required' });
    const bodies = server.requests.map((sent) => sent.body);
    expect(bodies.map((body) => body.tool_choice)).toEqual([{ type: 'auto' }, { type: 'any' }, { type: 'none' }, undefined, undefined]);
    expect(bodies.map((body) => 'tool_choice' in body)).toEqual([true, true, true, false, false]);
  });
});
