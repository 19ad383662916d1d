/**
 * Regression tests of issue 14 #1, #4 and #9 for the resilient client, against a real HTTP server
 * (OpenAI wire format): no orphan upstream call, a breaker that cannot lock, no cache hit for an
 * aborted caller.
 */
import { asModelId, type LlmClient, type LlmRequest } from '@runtime/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { createOpenAiCompatibleClient, createResilientClient } from '../src/index.js';
import { sendJson, startProviderServer, type ProviderServer } from './support/provider-server.js';
import { failure } from './support/failure.js';

const completion = {
  id: 'c',
  model: 'gpt-4o-mini',
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 10, completion_tokens: 2 },
};

const request: LlmRequest = { model: asModelId('gpt-test'), messages: [{ role: 'user', content: 'same question' }], maxOutputTokens: 16 };

let server: ProviderServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function adapter(): ReturnType<typeof createOpenAiCompatibleClient> {
  if (server === undefined) throw new Error('no server');
  return createOpenAiCompatibleClient({ baseUrl: `${server.url}/v1` });
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves true when `promise` settles within `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return Promise.race([promise.then(() => true, () => true), pause(ms).then(() => false)]);
}

describe('dedup never leaves an orphan upstream call (issue 14 #1)', () => {
  it('a caller whose signal is already aborted sends nothing upstream', async () => {
    server = await startProviderServer(() => undefined); // hangs
    const llm = createResilientClient(adapter(), { retry: { maxAttempts: 3, baseDelayMs: 1 } });
    const error = await failure(llm.complete(request, { signal: AbortSignal.abort() }));
    expect(error.code).toBe('RUN_ABORTED');
    await pause(100);
    expect(server.requests).toHaveLength(0);
    // A later identical caller starts afresh and its own deadline applies.
    const started = Date.now();
    const later = await failure(llm.complete(request, { timeoutMs: 300 }));
    expect(later.code).toBe('PROVIDER_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("a joiner's own deadline applies to it, and the shared call is aborted once no participant is left", async () => {
    server = await startProviderServer(() => undefined); // hangs
    const llm = createResilientClient(adapter(), { retry: false });
    const leader = new AbortController();
    const first = llm.complete(request, { signal: leader.signal });
    await pause(50);
    expect(server.requests).toHaveLength(1);
    const started = Date.now();
    const joiner = await failure(llm.complete(request, { timeoutMs: 200 }));
    expect(joiner.code).toBe('PROVIDER_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(1500);
    // The leader is still waiting: the upstream call stays open for it.
    expect(await settlesWithin(server.requests[0]?.socketClosed ?? Promise.resolve(), 50)).toBe(false);
    leader.abort();
    await expect(first).rejects.toMatchObject({ code: 'RUN_ABORTED' });
    expect(await settlesWithin(server.requests[0]?.socketClosed ?? Promise.resolve(), 1000)).toBe(true);
    expect(server.requests).toHaveLength(1);
  });

  it('when the leader leaves and the only joiner times out, the upstream call is aborted (no orphan)', async () => {
    server = await startProviderServer(() => undefined); // hangs
    const llm = createResilientClient(adapter(), { retry: false });
    const leader = new AbortController();
    const first = llm.complete(request, { signal: leader.signal });
    await pause(50);
    const second = llm.complete(request, { timeoutMs: 200 });
    leader.abort();
    await expect(first).rejects.toMatchObject({ code: 'RUN_ABORTED' });
    await expect(second).rejects.toMatchObject({ code: 'PROVIDER_TIMEOUT' });
    expect(await settlesWithin(server.requests[0]?.socketClosed ?? Promise.resolve(), 1000)).toBe(true);
  });

  it('joiners that stay still get the result, billed once', async () => {
    server = await startProviderServer((_sent, response) => {
      setTimeout(() => sendJson(response, 200, completion), 150);
    });
    const llm = createResilientClient(adapter());
    const results = await Promise.allSettled([
      llm.complete(request, { signal: new AbortController().signal }),
      llm.complete(request, { timeoutMs: 20 }),
      llm.complete(request),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const sources = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value.source] : []));
    expect(sources.sort()).toEqual(['dedup', 'provider']);
    expect(server.requests).toHaveLength(1);
  });
});

describe('a hung half-open probe cannot lock the breaker (issue 14 #4)', () => {
  it('the probe has a deadline; callers refused meanwhile get retryAfterMs > 0; the breaker reopens, then recovers', async () => {
    let hang = true;
    server = await startProviderServer((sent, response) => {
      if (sent.index === 0) sendJson(response, 503, { error: { message: 'down' } });
      else if (!hang) sendJson(response, 200, completion);
      // otherwise: the probe hangs
    });
    const llm = createResilientClient(adapter(), {
      retry: false,
      circuitBreaker: { failureThreshold: 1, resetAfterMs: 100, probeTimeoutMs: 300 },
    });
    await expect(llm.complete(request)).rejects.toMatchObject({ details: { status: 503 } });
    await pause(120);
    const probe = llm.complete({ ...request, messages: [{ role: 'user', content: 'probe' }] });
    const refused = await Promise.all(
      Array.from({ length: 30 }, (_, index) => failure(llm.complete({ ...request, messages: [{ role: 'user', content: `caller ${index}` }] }))),
    );
    expect(refused.every((error) => error.code === 'CIRCUIT_OPEN')).toBe(true);
    const waits = refused.map((error) => error.details.retryAfterMs);
    expect(waits.every((wait) => typeof wait === 'number' && wait > 0 && wait <= 300)).toBe(true);
    await expect(probe).rejects.toMatchObject({ code: 'PROVIDER_TIMEOUT' });
    expect(llm.circuitState('openai', 'gpt-test')).toBe('open');
    hang = false;
    await pause(120);
    await expect(llm.complete(request)).resolves.toMatchObject({ output: 'ok' });
    expect(llm.circuitState('openai', 'gpt-test')).toBe('closed');
  });

  it('without any attempt timeout configured, the probe still gets a deadline (the documented default)', async () => {
    const seen: (number | undefined)[] = [];
    let calls = 0;
    const inner: LlmClient = {
      provider: 'fake',
      complete(_request, options) {
        calls += 1;
        seen.push(options?.timeoutMs);
        if (calls === 1) return Promise.reject(Object.assign(new Error('down'), { status: 503 }));
        return Promise.resolve({ output: 'ok', usage: { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 }, finishReason: 'stop' });
      },
    };
    const llm = createResilientClient(inner, { retry: false, circuitBreaker: { failureThreshold: 1, resetAfterMs: 10 } });
    await expect(llm.complete(request)).rejects.toMatchObject({ code: 'PROVIDER_ERROR' });
    await pause(20);
    await expect(llm.complete(request)).resolves.toMatchObject({ output: 'ok' });
    expect(seen).toEqual([undefined, 120_000]);
  });
});

describe('the cache honours an aborted signal (issue 14 #9)', () => {
  it('a cache hit with an already-aborted signal is RUN_ABORTED', async () => {
    server = await startProviderServer((_sent, response) => sendJson(response, 200, completion));
    const llm = createResilientClient(adapter(), { cache: { ttlMs: 60_000 } });
    await llm.complete(request);
    await expect(llm.complete(request)).resolves.toMatchObject({ source: 'cache' });
    const error = await failure(llm.complete(request, { signal: AbortSignal.abort() }));
    expect(error.code).toBe('RUN_ABORTED');
    expect(server.requests).toHaveLength(1);
  });
});
