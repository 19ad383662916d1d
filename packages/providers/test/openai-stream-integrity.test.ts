/**
 * Regression tests of issue 14 (and the adapter side of issue 11) for the OpenAI-compatible
 * adapter, against a real HTTP server speaking the chat-completions wire format.
 */
import { asModelId, type LlmRequest, type ModelCatalog, type ModelInfo, type RuntimeError } from '@runtime/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { createOpenAiCompatibleClient, createProviderRouter, createResilientClient } from '../src/index.js';
import { collectStream, createFakeTime } from '../src/testing/index.js';
import { sendJson, startProviderServer, startSse, type ProviderServer } from './support/provider-server.js';
import { failure } from './support/failure.js';

const request: LlmRequest = {
  model: asModelId('gpt-test'),
  providerModel: 'gpt-4o-mini',
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Pay 10 euros to Bob, then tell me the weather.' },
  ],
  maxOutputTokens: 100,
};

const usageWire = { prompt_tokens: 30, completion_tokens: 12, prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } };

function chunk(delta: Record<string, unknown>, finish: string | null = null): Record<string, unknown> {
  return { id: 'chatcmpl-1', object: 'chat.completion.chunk', model: 'gpt-4o-mini', choices: [{ index: 0, delta, finish_reason: finish }] };
}

let server: ProviderServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function adapter(options: Parameters<typeof createOpenAiCompatibleClient>[0] = {}): ReturnType<typeof createOpenAiCompatibleClient> {
  if (server === undefined) throw new Error('no server');
  return createOpenAiCompatibleClient({ baseUrl: `${server.url}/v1`, ...options });
}

describe('OpenAI-compatible adapter: a cut stream is never a success (issue 14 #2)', () => {
  it('a stream that ends after text but without finish_reason or [DONE] is an incomplete_stream error with usage, not retryable', async () => {
    server = await startProviderServer((_sent, response) => {
      const sse = startSse(response);
      sse.send(chunk({ role: 'assistant', content: 'Paying ' }));
      sse.send(chunk({ content: 'Bob now.' }));
      sse.send(chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'pay', arguments: '{"amount": 10' } }] }));
      sse.end();
    });
    const texts: string[] = [];
    const error = await failure(
      (async () => {
        for await (const part of adapter().stream(request)) {
          if (part.type === 'text') texts.push(part.text);
          // The unfinished call's fragment streams live; the whole call never does.
          else if (part.type !== 'tool-call-delta') throw new Error(`unexpected ${part.type} chunk`);
        }
      })(),
    );
    expect(texts).toEqual(['Paying ', 'Bob now.']);
    expect(error.code).toBe('PROVIDER_ERROR');
    expect(error.isRetryable).toBe(false);
    expect(error.details).toMatchObject({ reason: 'incomplete_stream', provider: 'openai', model: 'gpt-4o-mini' });
    const usage = error.details.usage as { inputTokens: number; outputTokens: number; estimated: boolean };
    expect(usage.estimated).toBe(true);
    // Upper bound: never less than the UTF-8 bytes of what was produced, never 0 input.
    expect(usage.outputTokens).toBeGreaterThanOrEqual(Buffer.byteLength('Paying Bob now.') + Buffer.byteLength('pay{"amount": 10'));
    expect(usage.inputTokens).toBeGreaterThanOrEqual(Buffer.byteLength('Be brief.Pay 10 euros to Bob, then tell me the weather.'));
  });

  it('a stream cut before any content is retryable (nothing reached the caller) and the retry succeeds', async () => {
    const time = createFakeTime({ autoAdvance: true });
    server = await startProviderServer((sent, response) => {
      const sse = startSse(response);
      sse.send(chunk({ role: 'assistant', content: '' }));
      if (sent.index === 0) {
        sse.end();
        return;
      }
      sse.send(chunk({ content: 'Done.' }));
      sse.send(chunk({}, 'stop'));
      sse.send({ id: 'chatcmpl-1', choices: [], usage: usageWire });
      sse.send('[DONE]');
      sse.end();
    });
    const llm = createResilientClient(adapter(), { clock: time.clock, sleep: time.sleep, random: () => 0 });
    const collected = await collectStream(llm.stream(request));
    expect(server.requests).toHaveLength(2);
    expect(collected.texts).toEqual(['Done.']);
    expect(collected.result).toMatchObject({ output: 'Done.', attempts: 2, usage: { inputTokens: 30, outputTokens: 12 } });
  });

  it('a server that ignores stream: true and answers JSON yields its real answer, not an empty success', async () => {
    server = await startProviderServer((_sent, response) =>
      sendJson(response, 200, {
        id: 'chatcmpl-2',
        model: 'gpt-4o-mini',
        choices: [{ index: 0, message: { role: 'assistant', content: 'Sunny.' }, finish_reason: 'stop' }],
        usage: usageWire,
      }),
    );
    const collected = await collectStream(adapter().stream(request));
    expect(collected.texts).toEqual(['Sunny.']);
    expect(collected.result).toMatchObject({ output: 'Sunny.', finishReason: 'stop', usage: { inputTokens: 30, outputTokens: 12 } });
    expect(collected.result?.usage.estimated).toBeUndefined();
  });
});

describe('OpenAI-compatible adapter: failures after output carry what was paid', () => {
  it('an abort after text is RUN_ABORTED with details.delivered and an estimated usage', async () => {
    server = await startProviderServer((_sent, response) => {
      const sse = startSse(response);
      sse.send(chunk({ role: 'assistant', content: 'Half of it' }));
      // then hangs
    });
    const controller = new AbortController();
    const error = await failure(
      (async () => {
        for await (const part of adapter().stream(request, { signal: controller.signal })) {
          if (part.type === 'text') controller.abort();
        }
      })(),
    );
    expect(error.code).toBe('RUN_ABORTED');
    expect(error.details).toMatchObject({ delivered: true, usage: { estimated: true } });
    expect((error.details.usage as { outputTokens: number }).outputTokens).toBeGreaterThanOrEqual(Buffer.byteLength('Half of it'));
    await server.requests[0]?.socketClosed;
  });

  it('a timeout after text is PROVIDER_TIMEOUT with details.delivered and an estimated usage', async () => {
    server = await startProviderServer((_sent, response) => {
      const sse = startSse(response);
      sse.send(chunk({ role: 'assistant', content: 'Half of it' }));
    });
    const error = await failure(collectStream(adapter().stream(request, { timeoutMs: 200 })));
    expect(error.code).toBe('PROVIDER_TIMEOUT');
    expect(error.details).toMatchObject({ delivered: true, usage: { estimated: true } });
  });
});

describe('OpenAI-compatible adapter: in-stream errors are classified like HTTP errors (issue 14 #3)', () => {
  it('context_length_exceeded before the first chunk is CONTEXT_TOO_LARGE and sent once', async () => {
    const time = createFakeTime({ autoAdvance: true });
    server = await startProviderServer((_sent, response) => {
      const sse = startSse(response);
      sse.send({ error: { message: "This model's maximum context length is 128000 tokens.", type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded' } });
      sse.end();
    });
    const llm = createResilientClient(adapter(), { clock: time.clock, sleep: time.sleep });
    const error = await failure(collectStream(llm.stream(request)));
    expect(error.code).toBe('CONTEXT_TOO_LARGE');
    expect(server.requests).toHaveLength(1);
  });

  it('an in-stream rate limit is transient and a server_error is transient; an invalid request is terminal', async () => {
    const errors = [
      { type: 'rate_limit_error', code: 'rate_limit_exceeded', message: 'Slow down' },
      { type: 'server_error', code: null, message: 'The server had an error' },
      { type: 'invalid_request_error', code: 'invalid_value', message: 'Bad value' },
    ];
    const seen: RuntimeError[] = [];
    for (const wire of errors) {
      server = await startProviderServer((_sent, response) => {
        const sse = startSse(response);
        sse.send({ error: wire });
        sse.end();
      });
      seen.push(await failure(collectStream(adapter().stream(request))));
      await server.close();
      server = undefined;
    }
    expect(seen.map((error) => [error.code, error.isRetryable, error.details.providerCode])).toEqual([
      ['PROVIDER_ERROR', true, 'rate_limit_exceeded'],
      ['PROVIDER_ERROR', true, 'server_error'],
      ['PROVIDER_ERROR', false, 'invalid_value'],
    ]);
  });
});

describe('OpenAI-compatible adapter: tool-call names, sockets (issue 14 #7, #8)', () => {
  it('assigns the tool-call name when a compatible server repeats it in every delta', async () => {
    server = await startProviderServer((_sent, response) => {
      const sse = startSse(response);
      sse.send(chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":' } }] }));
      sse.send(chunk({ tool_calls: [{ index: 0, function: { name: 'get_weather', arguments: '"Paris"}' } }] }));
      sse.send(chunk({}, 'tool_calls'));
      sse.send({ id: 'chatcmpl-1', choices: [], usage: usageWire });
      sse.send('[DONE]');
      sse.end();
    });
    const collected = await collectStream(adapter().stream(request));
    expect(collected.toolCalls).toEqual([{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' }]);
  });

  it('closes the socket once [DONE] is read even when the server keeps the response open', async () => {
    server = await startProviderServer((_sent, response) => {
      const sse = startSse(response);
      sse.send(chunk({ content: 'Hi' }));
      sse.send(chunk({}, 'stop'));
      sse.send({ id: 'chatcmpl-1', choices: [], usage: usageWire });
      sse.send('[DONE]');
      // never ends the response
    });
    for (let index = 0; index < 5; index += 1) {
      const collected = await collectStream(adapter().stream(request));
      expect(collected.result?.output).toBe('Hi');
    }
    const closed = await Promise.race([
      Promise.all(server.requests.map((sent) => sent.socketClosed)).then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1000)),
    ]);
    expect(closed).toBe(true);
  });
});

describe('OpenAI-compatible adapter: missing usage is estimated, never 0 (issue 11 #5)', () => {
  it('a stream ending with finish_reason and [DONE] but without the usage chunk reports an estimated upper bound', async () => {
    server = await startProviderServer((_sent, response) => {
      const sse = startSse(response);
      sse.send(chunk({ content: 'Température: 18 °C ☀️' }));
      sse.send(chunk({}, 'stop'));
      sse.send('[DONE]');
      sse.end();
    });
    const collected = await collectStream(adapter().stream(request));
    const usage = collected.result?.usage;
    expect(usage?.estimated).toBe(true);
    expect(usage?.outputTokens).toBeGreaterThanOrEqual(Buffer.byteLength('Température: 18 °C ☀️'));
    expect(usage?.inputTokens).toBeGreaterThan(0);
  });

  it('a JSON answer without usage reports an estimate marked estimated', async () => {
    server = await startProviderServer((_sent, response) =>
      sendJson(response, 200, { id: 'x', choices: [{ index: 0, message: { role: 'assistant', content: 'Sunny in Paris.' }, finish_reason: 'stop' }] }),
    );
    const result = await adapter().complete(request);
    expect(result.usage.estimated).toBe(true);
    expect(result.usage.outputTokens).toBeGreaterThanOrEqual(Buffer.byteLength('Sunny in Paris.'));
    expect(result.usage.inputTokens).toBeGreaterThan(0);
  });

  it('reported usage is passed through unmarked', async () => {
    server = await startProviderServer((_sent, response) =>
      sendJson(response, 200, { id: 'x', choices: [{ index: 0, message: { role: 'assistant', content: 'Sunny.' }, finish_reason: 'stop' }], usage: usageWire }),
    );
    const result = await adapter().complete(request);
    expect(result.usage).toEqual({ inputTokens: 30, outputTokens: 12, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 });
  });
});

describe('OpenAI-compatible adapter: the output-cap field (issue 14 #6, issue 11 #10)', () => {
  const reply = { id: 'x', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }], usage: usageWire };

  function catalogWith(info: Partial<ModelInfo> & Pick<ModelInfo, 'id'>): Pick<ModelCatalog, 'find'> {
    const entry: ModelInfo = {
      provider: 'openai',
      providerModel: info.id,
      role: 'balanced',
      maxInputTokens: 100_000,
      maxOutputTokens: 10_000,
      pricing: { inputPerMTok: 1, outputPerMTok: 1 },
      ...info,
    };
    return { find: (id) => (id === entry.id ? entry : undefined) };
  }

  it('sends max_completion_tokens to OpenAI itself (provider "openai") by default', async () => {
    server = await startProviderServer((_sent, response) => sendJson(response, 200, reply));
    await adapter().complete(request);
    expect(server.requests[0]?.body).toMatchObject({ max_completion_tokens: 100 });
    expect(server.requests[0]?.body).not.toHaveProperty('max_tokens');
  });

  it('sends max_tokens to a compatible server (another provider name) by default', async () => {
    server = await startProviderServer((_sent, response) => sendJson(response, 200, reply));
    await adapter({ provider: 'vllm' }).complete(request);
    expect(server.requests[0]?.body).toMatchObject({ max_tokens: 100 });
    expect(server.requests[0]?.body).not.toHaveProperty('max_completion_tokens');
  });

  it("the catalog entry's capabilities.outputTokensParam wins over the adapter option", async () => {
    server = await startProviderServer((_sent, response) => sendJson(response, 200, reply));
    const catalog = catalogWith({ id: asModelId('gpt-test'), capabilities: { outputTokensParam: 'max_completion_tokens' } });
    await adapter({ provider: 'openrouter', maxTokensField: 'max_tokens', catalog }).complete(request);
    await adapter({ provider: 'openrouter', maxTokensField: 'max_tokens', catalog }).complete({ ...request, model: asModelId('other') });
    expect(server.requests[0]?.body).toMatchObject({ max_completion_tokens: 100 });
    expect(server.requests[1]?.body).toMatchObject({ max_tokens: 100 });
  });

  it('behind the provider router, the catalog entry reaches the adapter without any adapter option', async () => {
    server = await startProviderServer((_sent, response) => sendJson(response, 200, reply));
    const reasoning = catalogWith({ id: asModelId('o-series'), provider: 'azure', capabilities: { outputTokensParam: 'max_completion_tokens' } });
    const plain = catalogWith({ id: asModelId('llama'), provider: 'azure' });
    const catalog = {
      get: (id: string) => {
        const found = reasoning.find(id) ?? plain.find(id);
        if (found === undefined) throw new Error(`unknown ${id}`);
        return found;
      },
    } as unknown as ModelCatalog;
    const router = createProviderRouter({ catalog, clients: { azure: adapter({ provider: 'azure' }) } });
    await router.complete({ ...request, model: asModelId('o-series') });
    await router.complete({ ...request, model: asModelId('llama') });
    expect(server.requests[0]?.body).toMatchObject({ max_completion_tokens: 100 });
    expect(server.requests[1]?.body).toMatchObject({ max_tokens: 100 });
  });

  it('refuses a request without a positive integer output cap (the cap is always sent)', async () => {
    server = await startProviderServer((_sent, response) => sendJson(response, 200, reply));
    const error = await failure(adapter().complete({ ...request, maxOutputTokens: 0 }));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(server.requests).toHaveLength(0);
  });
});
