import { asModelId, type LlmRequest, type TokenEstimator } from '@runtime/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMockLlmClient } from './mock-llm-client.js';
import { collectStream, createFakeTime } from './testing/index.js';

const request: LlmRequest = {
  model: asModelId('mock-fast'),
  messages: [
    { role: 'system', content: 'sys' },
    { role: 'user', content: 'hello world' },
  ],
  maxOutputTokens: 100,
};

/** A fake estimator: one token per character, 3 per message. */
const estimator: TokenEstimator = {
  countText: (text) => text.length,
  countMessage: (message) => 3 + message.content.length,
  countTools: () => 0,
  countMessages: (messages) => messages.reduce((sum, message) => sum + 3 + message.content.length, 3),
  isExact: () => true,
};

describe('createMockLlmClient', () => {
  it('echoes the last user message with usage from the injected estimator', async () => {
    const mock = createMockLlmClient({ estimator });
    const result = await mock.complete(request);
    expect(result).toMatchObject({
      output: 'echo: hello world',
      finishReason: 'stop',
      source: 'provider',
      usage: { inputTokens: 3 + (3 + 3) + (3 + 11), outputTokens: 17, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
    });
    expect(mock.calls).toHaveLength(1);
  });

  it('records no call with recordCalls: false (a long-running server), and keeps script order and request ids', async () => {
    const mock = createMockLlmClient({ recordCalls: false, script: [{ output: 'first' }, { output: 'second' }] });
    const first = await mock.complete(request);
    const second = await mock.complete(request);
    const third = await mock.complete(request);
    expect([first.output, second.output, third.output]).toEqual(['first', 'second', 'echo: hello world']);
    expect([first.requestId, second.requestId, third.requestId]).toEqual(['mock-1', 'mock-2', 'mock-3']);
    expect(mock.calls).toHaveLength(0);
  });

  it('with recordCalls: false answers like the mock and records no call, succeeded or failed, concurrent or not', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.string({ minLength: 1, maxLength: 20 }), { minLength: 1, maxLength: 30 }), fc.boolean(), async (prompts, failFirst) => {
        const mock = createMockLlmClient({ recordCalls: false, script: failFirst ? [{ fail: 'status', status: 400 }] : [] });
        const results = await Promise.allSettled(prompts.map((prompt) => mock.complete({ ...request, messages: [{ role: 'user', content: prompt }] })));
        const answered = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value.output] : []));
        expect(answered).toEqual(prompts.slice(failFirst ? 1 : 0).map((prompt) => `echo: ${prompt}`));
        expect(mock.calls).toHaveLength(0);
      }),
      { numRuns: 30 },
    );
  });

  it('falls back to a documented simple count without an estimator (never 0 for text)', async () => {
    const result = await createMockLlmClient().complete(request);
    // ⌈3/4⌉ + ⌈11/4⌉ + 3 per message + 3 priming
    expect(result.usage.inputTokens).toBe(1 + 3 + 3 + 3 + 3);
    expect(result.usage.outputTokens).toBe(Math.ceil('echo: hello world'.length / 4));
  });

  it('plays its script in order, then the respond function', async () => {
    const mock = createMockLlmClient({
      script: [{ output: 'one', usage: { cacheReadTokens: 2 } }, { fail: 'status', status: 500 }],
      respond: (_request, index) => ({ output: `call ${index}` }),
    });
    await expect(mock.complete(request)).resolves.toMatchObject({ output: 'one', usage: { cacheReadTokens: 2 } });
    await expect(mock.complete(request)).rejects.toMatchObject({ code: 'PROVIDER_ERROR', isRetryable: true, details: { status: 500 } });
    await expect(mock.complete(request)).resolves.toMatchObject({ output: 'call 2' });
  });

  it('injects 429s with Retry-After, resets and context-length rejections as typed errors', async () => {
    const mock = createMockLlmClient({
      script: [
        { fail: 'status', status: 429, retryAfter: '2' },
        { fail: 'status', status: 429, retryAfterMs: 150 },
        { fail: 'reset' },
        { fail: 'status', status: 400, code: 'context_length_exceeded' },
      ],
    });
    await expect(mock.complete(request)).rejects.toMatchObject({ details: { status: 429, retryAfterMs: 2000 } });
    await expect(mock.complete(request)).rejects.toMatchObject({ details: { retryAfterMs: 150 } });
    await expect(mock.complete(request)).rejects.toMatchObject({ code: 'PROVIDER_ERROR', isRetryable: true, details: { networkCode: 'ECONNRESET' } });
    await expect(mock.complete(request)).rejects.toMatchObject({ code: 'CONTEXT_TOO_LARGE' });
  });

  it('hangs until aborted (RUN_ABORTED) or until timeoutMs (PROVIDER_TIMEOUT)', async () => {
    const time = createFakeTime();
    const mock = createMockLlmClient({ script: [{ fail: 'hang' }, { fail: 'hang' }], sleep: time.sleep });
    const controller = new AbortController();
    const aborted = mock.complete(request, { signal: controller.signal });
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ code: 'RUN_ABORTED' });
    const timedOut = expect(mock.complete(request, { timeoutMs: 1000 })).rejects.toMatchObject({ code: 'PROVIDER_TIMEOUT' });
    await time.advance(1000);
    await timedOut;
  });

  it('seeded random latency is deterministic and within bounds', async () => {
    const draw = async (): Promise<readonly number[]> => {
      const time = createFakeTime({ autoAdvance: true });
      const mock = createMockLlmClient({ latencyMs: { minMs: 10, maxMs: 50, seed: 42 }, sleep: time.sleep });
      for (let index = 0; index < 5; index += 1) await mock.complete(request);
      return time.sleeps;
    };
    const first = await draw();
    expect(await draw()).toEqual(first);
    expect(first.every((ms) => ms >= 10 && ms <= 50)).toBe(true);
    expect(new Set(first).size).toBeGreaterThan(1);
  });

  it('streams word by word and ends with the full result', async () => {
    const mock = createMockLlmClient({ script: [{ output: 'a b c', toolCalls: [{ id: '1', name: 't', arguments: '{}' }] }] });
    const collected = await collectStream(mock.stream(request));
    expect(collected.texts).toEqual(['a ', 'b ', 'c']);
    expect(collected.toolCalls).toEqual([{ id: '1', name: 't', arguments: '{}' }]);
    expect(collected.result).toMatchObject({ output: 'a b c', finishReason: 'tool_calls' });
  });

  it('caps reported output tokens at maxOutputTokens and says so', async () => {
    const result = await createMockLlmClient({ estimator, script: [{ output: 'x'.repeat(500) }] }).complete(request);
    expect(result).toMatchObject({ finishReason: 'length', usage: { outputTokens: 100 } });
  });
});

describe('mock: a scripted cut stream', () => {
  const cutRequest: LlmRequest = { model: asModelId('mock-model'), messages: [{ role: 'user', content: 'Tell me a story' }], maxOutputTokens: 100 };

  it('streams the output before the cut, then throws incomplete_stream with an estimated usage (terminal after output)', async () => {
    const mock = createMockLlmClient({ script: [{ fail: 'incomplete', output: 'Once upon a time' }] });
    const texts: string[] = [];
    let thrown: unknown;
    try {
      for await (const chunk of mock.stream(cutRequest)) if (chunk.type === 'text') texts.push(chunk.text);
    } catch (error) {
      thrown = error;
    }
    expect(texts.join('')).toBe('Once upon a time');
    expect(thrown).toMatchObject({ code: 'PROVIDER_ERROR', isRetryable: false, details: { reason: 'incomplete_stream', delivered: true, usage: { estimated: true } } });
  });

  it('is retryable when nothing was delivered (complete and stream alike)', async () => {
    const mock = createMockLlmClient({ script: [{ fail: 'incomplete' }] });
    await expect(mock.complete(cutRequest)).rejects.toMatchObject({ code: 'PROVIDER_ERROR', isRetryable: true, details: { reason: 'incomplete_stream', delivered: false } });
  });

  it('streams in word pieces with chunkDelayMs between chunks, and tool calls as argument fragments', async () => {
    const time = createFakeTime();
    const mock = createMockLlmClient({
      chunkDelayMs: 50,
      toolArgumentsChunkChars: 4,
      script: [{ output: 'one two three', toolCalls: [{ id: 'c1', name: 'pay', arguments: '{"to":"Bob"}' }] }],
      sleep: time.sleep,
      clock: time.clock,
    });
    const arrivals: { type: string; at: number }[] = [];
    const reading = (async () => {
      for await (const chunk of mock.stream(request)) arrivals.push({ type: chunk.type, at: time.clock.now() });
    })();
    for (let step = 0; step < 20; step += 1) await time.advance(50);
    await reading;
    const types = arrivals.map((arrival) => arrival.type);
    expect(types).toEqual(['text', 'text', 'text', 'tool-call-delta', 'tool-call-delta', 'tool-call-delta', 'tool-call-delta', 'tool-call', 'done']);
    // 50 ms apart: the answer arrives over time, not at once.
    const starts = arrivals.slice(0, 8).map((arrival) => arrival.at);
    for (let index = 1; index < starts.length; index += 1) expect((starts[index] ?? 0) - (starts[index - 1] ?? 0)).toBe(50);
  });

  it('a slow stream stops at an abort between chunks with RUN_ABORTED', async () => {
    const time = createFakeTime();
    const mock = createMockLlmClient({ chunkDelayMs: 100, script: [{ output: 'a b c d e' }], sleep: time.sleep, clock: time.clock });
    const controller = new AbortController();
    const texts: string[] = [];
    const reading = (async () => {
      for await (const chunk of mock.stream(request, { signal: controller.signal })) if (chunk.type === 'text') texts.push(chunk.text);
    })();
    await time.advance(100);
    controller.abort();
    await expect(reading).rejects.toMatchObject({ code: 'RUN_ABORTED' });
    expect(texts).toEqual(['a ', 'b ']);
  });

  it("a slow stream's timeoutMs bounds the whole stream, not each chunk", async () => {
    const time = createFakeTime({ autoAdvance: true });
    const mock = createMockLlmClient({ chunkDelayMs: 40, script: [{ output: 'a b c d e' }], sleep: time.sleep, clock: time.clock });
    const texts: string[] = [];
    const reading = (async () => {
      for await (const chunk of mock.stream(request, { timeoutMs: 100 })) if (chunk.type === 'text') texts.push(chunk.text);
    })();
    await expect(reading).rejects.toMatchObject({ code: 'PROVIDER_TIMEOUT' });
    expect(texts).toEqual(['a ', 'b ', 'c ']);
  });
});

describe('createMockLlmClient options', () => {
  it.each([
    ['toolArgumentsChunkChars', { toolArgumentsChunkChars: Number.NaN }],
    ['toolArgumentsChunkChars', { toolArgumentsChunkChars: 0 }],
    ['chunkDelayMs', { chunkDelayMs: -1 }],
    ['chunkDelayMs', { chunkDelayMs: Number.NaN }],
  ])('refuses a bad %s with VALIDATION_FAILED naming it', (field, options) => {
    expect(() => createMockLlmClient(options)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED', details: expect.objectContaining({ field }) }));
  });
});
