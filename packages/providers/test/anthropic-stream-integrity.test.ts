/**
 * Regression tests of issue 14 (and the adapter side of issue 11) for the Anthropic adapter,
 * against a real HTTP server speaking the Messages API wire format.
 */
import { asModelId, type LlmRequest } from '@runtime/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { createAnthropicClient } from '../src/index.js';
import { collectStream } from '../src/testing/index.js';
import { sendJson, startProviderServer, startSse, type ProviderServer } from './support/provider-server.js';
import { failure } from './support/failure.js';

const request: LlmRequest = {
  model: asModelId('claude-test'),
  providerModel: 'claude-sonnet-4-5',
  messages: [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'Pay Bob 10 euros.' },
  ],
  maxOutputTokens: 256,
};

const startUsage = {
  input_tokens: 40,
  cache_creation_input_tokens: 0,
  cache_read_input_tokens: 0,
  cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
  output_tokens: 1,
};

function messageStart(usage: Record<string, unknown> = startUsage): Record<string, unknown> {
  return {
    type: 'message_start',
    message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5-20250929', content: [], stop_reason: null, stop_sequence: null, usage },
  };
}

let server: ProviderServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function client(): ReturnType<typeof createAnthropicClient> {
  if (server === undefined) throw new Error('no server');
  return createAnthropicClient({ baseUrl: server.url, apiKey: 'sk-ant-test' });
}

describe('Anthropic adapter: a cut stream is never a success (issue 14 #2, issue 11 #5)', () => {
  it('a stream without message_stop is an incomplete_stream error; the unfinished tool_use is not delivered as a call', async () => {
    server = await startProviderServer((_sent, response) => {
      const sse = startSse(response);
      sse.send(messageStart(), 'message_start');
      sse.send({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }, 'content_block_start');
      sse.send({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Paying Bob.' } }, 'content_block_delta');
      sse.send({ type: 'content_block_stop', index: 0 }, 'content_block_stop');
      sse.send({ type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_1', name: 'pay', input: {} } }, 'content_block_start');
      sse.send({ type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"amount": 10' } }, 'content_block_delta');
      sse.end();
    });
    const seen: string[] = [];
    const error = await failure(
      (async () => {
        for await (const part of client().stream(request)) seen.push(part.type);
      })(),
    );
    // The unfinished call's fragments streamed live; the whole call never did.
    expect(seen).toEqual(['text', 'tool-call-delta', 'tool-call-delta']);
    expect(error.code).toBe('PROVIDER_ERROR');
    expect(error.isRetryable).toBe(false);
    expect(error.details).toMatchObject({ reason: 'incomplete_stream', provider: 'anthropic' });
    const usage = error.details.usage as { inputTokens: number; outputTokens: number; estimated: boolean };
    // message_start's input is exact; its output_tokens: 1 is a placeholder, replaced by the bound.
    expect(usage.inputTokens).toBe(40);
    expect(usage.estimated).toBe(true);
    expect(usage.outputTokens).toBeGreaterThanOrEqual(Buffer.byteLength('Paying Bob.') + Buffer.byteLength('pay{"amount": 10'));
  });

  it('a stream cut before any event is retryable and carries an estimated usage', async () => {
    server = await startProviderServer((_sent, response) => {
      const sse = startSse(response);
      sse.send(messageStart(), 'message_start');
      sse.end();
    });
    const error = await failure(collectStream(client().stream(request)));
    expect(error).toMatchObject({ code: 'PROVIDER_ERROR', isRetryable: true, details: { reason: 'incomplete_stream' } });
  });

  it('a server that answers JSON to stream: true yields its real answer', async () => {
    server = await startProviderServer((_sent, response) =>
      sendJson(response, 200, {
        id: 'msg_2',
        type: 'message',
        role: 'assistant',
        model: 'claude-sonnet-4-5',
        content: [{ type: 'text', text: 'Done.' }],
        stop_reason: 'end_turn',
        usage: { input_tokens: 12, output_tokens: 3 },
      }),
    );
    const collected = await collectStream(client().stream(request));
    expect(collected.texts).toEqual(['Done.']);
    expect(collected.result).toMatchObject({ output: 'Done.', finishReason: 'stop', usage: { inputTokens: 12, outputTokens: 3 } });
  });

  it('an error body sent with status 200 to stream: true is classified like the HTTP error', async () => {
    server = await startProviderServer((_sent, response) =>
      sendJson(response, 200, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }),
    );
    const error = await failure(collectStream(client().stream(request)));
    expect(error).toMatchObject({ code: 'PROVIDER_ERROR', isRetryable: true, details: { status: 529, providerCode: 'overloaded_error' } });
  });

  it('closes the socket once message_stop is read even when the server keeps the response open', async () => {
    server = await startProviderServer((_sent, response) => {
      const sse = startSse(response);
      sse.send(messageStart(), 'message_start');
      sse.send({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }, 'content_block_start');
      sse.send({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi' } }, 'content_block_delta');
      sse.send({ type: 'content_block_stop', index: 0 }, 'content_block_stop');
      sse.send({ type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 2 } }, 'message_delta');
      sse.send({ type: 'message_stop' }, 'message_stop');
    });
    for (let index = 0; index < 5; index += 1) {
      const collected = await collectStream(client().stream(request));
      expect(collected.result?.output).toBe('Hi');
    }
    const closed = await Promise.race([
      Promise.all(server.requests.map((sent) => sent.socketClosed)).then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1000)),
    ]);
    expect(closed).toBe(true);
  });
});

describe('Anthropic adapter: empty turns and empty answers (issue 14 #5)', () => {
  it('never sends content: [] for an empty assistant turn (dropped; the user turns around it merge)', async () => {
    server = await startProviderServer((_sent, response) =>
      sendJson(response, 200, { id: 'm', model: 'claude', content: [{ type: 'text', text: 'ok' }], stop_reason: 'end_turn', usage: { input_tokens: 5, output_tokens: 1 } }),
    );
    await client().complete({
      ...request,
      messages: [
        { role: 'user', content: 'First question' },
        { role: 'assistant', content: '' },
        { role: 'user', content: 'Second question' },
        { role: 'assistant', content: '   ' },
      ],
    });
    const messages = server.requests[0]?.body.messages as { role: string; content: unknown[] }[];
    for (const message of messages) expect(message.content.length).toBeGreaterThan(0);
    expect(messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'First question' }, { type: 'text', text: 'Second question' }] },
    ]);
  });

  it('an answer without content blocks is a typed retryable error with its billed usage, never output ""', async () => {
    server = await startProviderServer((_sent, response) =>
      sendJson(response, 200, { id: 'm', model: 'claude', content: [], stop_reason: 'end_turn', usage: { input_tokens: 50, output_tokens: 2 } }),
    );
    const error = await failure(client().complete(request));
    expect(error).toMatchObject({ code: 'PROVIDER_ERROR', isRetryable: true, details: { reason: 'empty_response', stopReason: 'end_turn' } });
    expect(error.details.usage).toMatchObject({ inputTokens: 50, outputTokens: 2 });
  });

  it('a streamed answer without content blocks is the same typed error', async () => {
    server = await startProviderServer((_sent, response) => {
      const sse = startSse(response);
      sse.send(messageStart(), 'message_start');
      sse.send({ type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 2 } }, 'message_delta');
      sse.send({ type: 'message_stop' }, 'message_stop');
      sse.end();
    });
    const error = await failure(collectStream(client().stream(request)));
    expect(error).toMatchObject({ code: 'PROVIDER_ERROR', details: { reason: 'empty_response' } });
  });

  it('a refusal without content is a content_filter result, not an error', async () => {
    server = await startProviderServer((_sent, response) =>
      sendJson(response, 200, { id: 'm', model: 'claude', content: [], stop_reason: 'refusal', usage: { input_tokens: 50, output_tokens: 1 } }),
    );
    const result = await client().complete(request);
    expect(result).toMatchObject({ output: '', finishReason: 'content_filter' });
  });
});

describe('Anthropic adapter: 1-hour cache writes (issue 11 #7)', () => {
  const usage = {
    input_tokens: 10,
    cache_read_input_tokens: 100,
    cache_creation_input_tokens: 3000,
    cache_creation: { ephemeral_5m_input_tokens: 1000, ephemeral_1h_input_tokens: 2000 },
    output_tokens: 7,
  };

  it('maps cache_creation.ephemeral_1h_input_tokens to cacheWrite1hTokens (JSON)', async () => {
    server = await startProviderServer((_sent, response) =>
      sendJson(response, 200, { id: 'm', model: 'claude', content: [{ type: 'text', text: 'ok' }], stop_reason: 'end_turn', usage }),
    );
    const result = await client().complete(request);
    expect(result.usage).toEqual({ inputTokens: 3110, outputTokens: 7, cacheReadTokens: 100, cacheWriteTokens: 3000, cacheWrite1hTokens: 2000, reasoningTokens: 0 });
  });

  it('maps it from message_start and message_delta (stream)', async () => {
    server = await startProviderServer((_sent, response) => {
      const sse = startSse(response);
      sse.send(messageStart({ ...usage, output_tokens: 1 }), 'message_start');
      sse.send({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }, 'content_block_start');
      sse.send({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'ok' } }, 'content_block_delta');
      sse.send({ type: 'content_block_stop', index: 0 }, 'content_block_stop');
      sse.send({ type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 7 } }, 'message_delta');
      sse.send({ type: 'message_stop' }, 'message_stop');
      sse.end();
    });
    const collected = await collectStream(client().stream(request));
    expect(collected.result?.usage).toEqual({ inputTokens: 3110, outputTokens: 7, cacheReadTokens: 100, cacheWriteTokens: 3000, cacheWrite1hTokens: 2000, reasoningTokens: 0 });
  });

  it('never reports more 1-hour writes than writes', async () => {
    server = await startProviderServer((_sent, response) =>
      sendJson(response, 200, {
        id: 'm',
        model: 'claude',
        content: [{ type: 'text', text: 'ok' }],
        stop_reason: 'end_turn',
        usage: { input_tokens: 10, cache_creation_input_tokens: 500, cache_creation: { ephemeral_1h_input_tokens: 900 }, output_tokens: 3 },
      }),
    );
    const result = await client().complete(request);
    expect(result.usage).toMatchObject({ cacheWriteTokens: 500, cacheWrite1hTokens: 500 });
  });
});

describe('Anthropic adapter: the output cap is always sent', () => {
  it('refuses a request without a positive integer maxOutputTokens before calling', async () => {
    server = await startProviderServer((_sent, response) => sendJson(response, 200, {}));
    const error = await failure(client().complete({ ...request, maxOutputTokens: Number.NaN }));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(server.requests).toHaveLength(0);
  });
});
