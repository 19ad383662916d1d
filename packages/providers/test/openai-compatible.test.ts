import { asModelId, type LlmRequest } from '@runtime/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { createOpenAiCompatibleClient, createResilientClient } from '../src/index.js';
import { collectStream, createFakeTime } from '../src/testing/index.js';
import { resetConnection, sendJson, startProviderServer, startSse, type ProviderServer } from './support/provider-server.js';

const request: LlmRequest = {
  model: asModelId('gpt-test'),
  providerModel: 'gpt-4o-mini',
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Weather in Paris?' },
    { role: 'assistant', content: '', toolCalls: [{ id: 'call_1', name: 'weather', arguments: '{"city":"Paris"}' }] },
    { role: 'tool', content: '18°C', toolCallId: 'call_1' },
  ],
  tools: [{ name: 'weather', description: 'Weather of a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } }],
  maxOutputTokens: 100,
  temperature: 0,
};

const completion = {
  id: 'chatcmpl-1',
  model: 'gpt-4o-mini-2024',
  choices: [
    {
      index: 0,
      message: { role: 'assistant', content: null, tool_calls: [{ id: 'call_2', type: 'function', function: { name: 'weather', arguments: '{"city":"Lyon"}' } }] },
      finish_reason: 'tool_calls',
    },
  ],
  usage: {
    prompt_tokens: 120,
    completion_tokens: 40,
    prompt_tokens_details: { cached_tokens: 64 },
    completion_tokens_details: { reasoning_tokens: 16 },
  },
};

let server: ProviderServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function ok(): ReturnType<typeof createOpenAiCompatibleClient> {
  if (server === undefined) throw new Error('no server');
  return createOpenAiCompatibleClient({ baseUrl: `${server.url}/v1`, apiKey: 'sk-test', headers: { 'x-extra': 'yes' } });
}

describe('OpenAI-compatible adapter against a real HTTP server', () => {
  it('sends the chat-completions wire format and maps tool calls and usage (cached and reasoning subsets)', async () => {
    server = await startProviderServer((_request, response) => sendJson(response, 200, completion, { 'x-request-id': 'req-1' }));
    const result = await ok().complete(request);
    const sent = server.requests[0];
    expect(sent?.url).toBe('/v1/chat/completions');
    expect(sent?.headers.authorization).toBe('Bearer sk-test');
    expect(sent?.headers['x-extra']).toBe('yes');
    expect(sent?.body).toMatchObject({
      model: 'gpt-4o-mini',
      max_completion_tokens: 100,
      temperature: 0,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: '18°C' },
      ],
      tools: [{ type: 'function', function: { name: 'weather' } }],
    });
    expect(result).toEqual({
      output: '',
      toolCalls: [{ id: 'call_2', name: 'weather', arguments: '{"city":"Lyon"}' }],
      usage: { inputTokens: 120, outputTokens: 40, cacheReadTokens: 64, cacheWriteTokens: 0, reasoningTokens: 16 },
      finishReason: 'tool_calls',
      providerModel: 'gpt-4o-mini-2024',
      requestId: 'req-1',
      source: 'provider',
      attempts: 1,
    });
  });

  it('streams SSE text and tool-call deltas and takes usage from the include_usage chunk', async () => {
    server = await startProviderServer((_request, response) => {
      const sse = startSse(response);
      sse.send({ id: 'c1', model: 'gpt-4o-mini', choices: [{ index: 0, delta: { role: 'assistant', content: 'Hel' } }] });
      sse.send({ id: 'c1', model: 'gpt-4o-mini', choices: [{ index: 0, delta: { content: 'lo' } }] });
      sse.send({ id: 'c1', choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: 'call_9', function: { name: 'weather', arguments: '{"ci' } }] } }] });
      sse.send({ id: 'c1', choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: 'ty":"Nice"}' } }] } }] });
      sse.send({ id: 'c1', choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] });
      sse.send({ id: 'c1', choices: [], usage: completion.usage });
      sse.send('[DONE]');
      sse.end();
    });
    const collected = await collectStream(ok().stream(request));
    expect(server.requests[0]?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(collected.texts).toEqual(['Hel', 'lo']);
    expect(collected.toolCalls).toEqual([{ id: 'call_9', name: 'weather', arguments: '{"city":"Nice"}' }]);
    expect(collected.result).toMatchObject({
      output: 'Hello',
      finishReason: 'tool_calls',
      requestId: 'req-stream',
      usage: { inputTokens: 120, outputTokens: 40, cacheReadTokens: 64, cacheWriteTokens: 0, reasoningTokens: 16 },
    });
  });

  const retryAfterForms: readonly [string, (now: number) => Record<string, string>, number][] = [
    ['retry-after-ms', () => ({ 'retry-after-ms': '1500' }), 1500],
    ['retry-after seconds', () => ({ 'retry-after': '7' }), 7000],
    ['retry-after HTTP date', (now) => ({ 'retry-after': new Date(now + 4000).toUTCString() }), 4000],
  ];
  for (const [name, headers, expectedDelay] of retryAfterForms) {
    it(`waits exactly the ${name} of a 429 (instead of the backoff) and then succeeds`, async () => {
      const time = createFakeTime({ autoAdvance: true });
      server = await startProviderServer((sent, response) => {
        if (sent.index === 0) sendJson(response, 429, { error: { message: 'Rate limit', type: 'rate_limit_exceeded' } }, headers(time.now()));
        else sendJson(response, 200, completion);
      });
      const adapter = createOpenAiCompatibleClient({ baseUrl: `${server.url}/v1`, clock: time.clock });
      const delays: number[] = [];
      // random() = 0.99 would make the backoff ≈ 1.5 s: the delays below prove it was replaced.
      const llm = createResilientClient(adapter, { clock: time.clock, sleep: time.sleep, random: () => 0.99 });
      const result = await llm.complete(request, { onRetry: (info) => delays.push(info.delayMs) });
      expect(server.requests).toHaveLength(2);
      expect(delays).toEqual([expectedDelay]);
      expect(time.sleeps).toEqual([expectedDelay]);
      expect(result.attempts).toBe(2);
    });
  }

  it('retries a 500 and returns the second answer', async () => {
    const time = createFakeTime({ autoAdvance: true });
    server = await startProviderServer((sent, response) => {
      if (sent.index === 0) sendJson(response, 500, { error: { message: 'boom' } });
      else sendJson(response, 200, completion);
    });
    const llm = createResilientClient(ok(), { clock: time.clock, sleep: time.sleep, random: () => 0 });
    const result = await llm.complete(request);
    expect(server.requests).toHaveLength(2);
    expect(time.sleeps).toEqual([500]);
    expect(result).toMatchObject({ attempts: 2, source: 'provider', finishReason: 'tool_calls' });
  });

  it('classifies a connection reset as transient and retries it', async () => {
    const time = createFakeTime({ autoAdvance: true });
    server = await startProviderServer((sent, response) => {
      if (sent.index === 0) resetConnection(response);
      else sendJson(response, 200, completion);
    });
    const errors: unknown[] = [];
    const llm = createResilientClient(ok(), { clock: time.clock, sleep: time.sleep, random: () => 0 });
    const result = await llm.complete(request, { onRetry: (info) => errors.push(info.error) });
    expect(result.attempts).toBe(2);
    expect(errors).toEqual([expect.objectContaining({ code: 'PROVIDER_ERROR', details: expect.objectContaining({ kind: 'transient' }) })]);
  });

  it('times out a hanging server, closes the socket and reports PROVIDER_TIMEOUT', async () => {
    server = await startProviderServer(() => undefined);
    const llm = createResilientClient(ok(), { attemptTimeoutMs: 150, retry: false });
    await expect(llm.complete(request)).rejects.toMatchObject({ code: 'PROVIDER_TIMEOUT', isRetryable: true });
    await server.requests[0]?.socketClosed;
    expect(server.requests).toHaveLength(1);
  });

  it('honours the adapter-level timeoutMs as well', async () => {
    server = await startProviderServer(() => undefined);
    await expect(ok().complete(request, { timeoutMs: 100 })).rejects.toMatchObject({ code: 'PROVIDER_TIMEOUT' });
    await server.requests[0]?.socketClosed;
  });

  it('treats a 400 as terminal: exactly one request, not retryable', async () => {
    server = await startProviderServer((_sent, response) => sendJson(response, 400, { error: { message: 'bad temperature', type: 'invalid_request_error' } }));
    const llm = createResilientClient(ok());
    await expect(llm.complete(request)).rejects.toMatchObject({
      code: 'PROVIDER_ERROR',
      isRetryable: false,
      details: { status: 400, kind: 'terminal', provider: 'openai', model: 'gpt-4o-mini' },
    });
    expect(server.requests).toHaveLength(1);
  });

  it('turns a context-length rejection into CONTEXT_TOO_LARGE', async () => {
    server = await startProviderServer((_sent, response) =>
      sendJson(response, 400, { error: { message: "This model's maximum context length is 8192 tokens", code: 'context_length_exceeded' } }),
    );
    await expect(createResilientClient(ok()).complete(request)).rejects.toMatchObject({ code: 'CONTEXT_TOO_LARGE', name: 'ContextError' });
    expect(server.requests).toHaveLength(1);
  });

  it('closes the socket when the consumer stops reading a stream early', async () => {
    server = await startProviderServer((_sent, response) => {
      const sse = startSse(response);
      sse.send({ id: 'c1', choices: [{ index: 0, delta: { content: 'one' } }] });
      sse.send({ id: 'c1', choices: [{ index: 0, delta: { content: 'two' } }] });
    });
    for await (const chunk of ok().stream(request)) {
      if (chunk.type === 'text') break;
    }
    await server.requests[0]?.socketClosed;
    expect(server.requests).toHaveLength(1);
  });

  it('aborts mid-stream: the iterator throws RUN_ABORTED and the socket is closed', async () => {
    server = await startProviderServer((_sent, response) => {
      const sse = startSse(response);
      sse.send({ id: 'c1', choices: [{ index: 0, delta: { content: 'first' } }] });
      // ...and then nothing: the model "thinks" forever.
    });
    const controller = new AbortController();
    const chunks: string[] = [];
    const consume = async (): Promise<void> => {
      for await (const chunk of ok().stream(request, { signal: controller.signal })) {
        if (chunk.type === 'text') {
          chunks.push(chunk.text);
          controller.abort(new Error('user pressed stop'));
        }
      }
    };
    await expect(consume()).rejects.toMatchObject({ code: 'RUN_ABORTED', details: { reason: 'user pressed stop' } });
    expect(chunks).toEqual(['first']);
    await server.requests[0]?.socketClosed;
  });
});

describe('OpenAI-compatible adapter: tool_choice on the wire', () => {
  it('sends toolChoice as tool_choice ("auto" | "required" | "none") with the tools, and nothing when absent or without tools', async () => {
    server = await startProviderServer((_request, response) => sendJson(response, 200, completion));
    for (const toolChoice of ['auto', 'required', 'none'] as const) await ok().complete({ ...request, toolChoice });
    await ok().complete(request);
    await ok().complete({ ...request, tools: [], toolChoice: 'required' });
    const bodies = server.requests.map((sent) => sent.body);
    expect(bodies.map((body) => body.tool_choice)).toEqual(['auto', 'required', 'none', undefined, undefined]);
    expect(bodies.map((body) => 'tool_choice' in body)).toEqual([true, true, true, false, false]);
  });
});
