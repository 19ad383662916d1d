import { asModelId, asRunId, asTaskId, ProviderError, type LlmRequest } from '@runtime/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { createOpenAiCompatibleClient, createResilientClient, type ResilienceEvent } from '../src/index.js';
import { createFakeTime } from '../src/testing/index.js';
import { sendJson, startProviderServer, type ProviderServer } from './support/provider-server.js';

const completion = {
  id: 'c',
  model: 'gpt-4o-mini',
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 10, completion_tokens: 2 },
};

function requestFor(text: string): LlmRequest {
  return { model: asModelId('gpt-test'), messages: [{ role: 'user', content: text }], maxOutputTokens: 16 };
}

let server: ProviderServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function adapter(): ReturnType<typeof createOpenAiCompatibleClient> {
  if (server === undefined) throw new Error('no server');
  return createOpenAiCompatibleClient({ baseUrl: `${server.url}/v1` });
}

describe('resilient client over a real HTTP server', () => {
  it('circuit breaker: N concurrent callers during half-open → exactly one request reaches the server', async () => {
    const time = createFakeTime();
    let releaseProbe: (() => void) | undefined;
    server = await startProviderServer((sent, response) => {
      if (sent.index < 2) {
        sendJson(response, 503, { error: { message: 'down' } });
        return;
      }
      // The probe: held until the test has fired every concurrent caller.
      releaseProbe = () => sendJson(response, 200, completion);
    });
    const events: ResilienceEvent[] = [];
    const llm = createResilientClient(adapter(), {
      retry: false,
      circuitBreaker: { failureThreshold: 2, resetAfterMs: 10_000 },
      clock: time.clock,
      sleep: time.sleep,
      onEvent: (event) => events.push(event),
    });
    const request = requestFor('hello');
    await expect(llm.complete(request)).rejects.toMatchObject({ code: 'PROVIDER_ERROR', details: { status: 503 } });
    await expect(llm.complete(request)).rejects.toMatchObject({ code: 'PROVIDER_ERROR' });
    expect(llm.circuitState('openai', 'gpt-test')).toBe('open');
    await expect(llm.complete(requestFor('while open'))).rejects.toMatchObject({ code: 'CIRCUIT_OPEN' });
    expect(server.requests).toHaveLength(2);

    await time.advance(10_000);
    const callers = Array.from({ length: 20 }, (_, index) => llm.complete(requestFor(`caller ${index}`)).then(
      (result) => ({ ok: true as const, result }),
      (error: unknown) => ({ ok: false as const, error }),
    ));
    const rejected = (await Promise.all(callers.slice(1)));
    expect(rejected.every((outcome) => !outcome.ok && ProviderError.isInstance(outcome.error) && outcome.error.code === 'CIRCUIT_OPEN')).toBe(true);
    // Wait for the probe to reach the server, then check nothing else did.
    while (releaseProbe === undefined) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(server.requests).toHaveLength(3);
    releaseProbe();
    await expect(callers[0]).resolves.toMatchObject({ ok: true });
    expect(llm.circuitState('openai', 'gpt-test')).toBe('closed');
    expect(events.filter((event) => event.type === 'provider.circuit').map((event) => event.type === 'provider.circuit' && `${event.from}→${event.to}`)).toEqual([
      'closed→open',
      'open→halfOpen',
      'halfOpen→closed',
    ]);
  });

  it('dedup: 100 concurrent identical calls → one upstream request, billed once', async () => {
    server = await startProviderServer((_sent, response) => {
      setTimeout(() => sendJson(response, 200, completion), 30);
    });
    const events: ResilienceEvent[] = [];
    const llm = createResilientClient(adapter(), { onEvent: (event) => events.push(event) });
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, index) =>
        llm.complete(requestFor('same question'), { context: { runId: asRunId('r1'), taskId: asTaskId(`t${index}`) } }),
      ),
    );
    expect(server.requests).toHaveLength(1);
    expect(results.filter((result) => result.source === 'provider')).toHaveLength(1);
    expect(results.filter((result) => result.source === 'dedup')).toHaveLength(99);
    expect(results.every((result) => result.output === 'ok')).toBe(true);
    expect(events.filter((event) => event.type === 'provider.deduplicated')).toHaveLength(99);
  });

  it('dedup: 100 concurrent distinct calls → 100 upstream requests', async () => {
    server = await startProviderServer((_sent, response) => {
      setTimeout(() => sendJson(response, 200, completion), 30);
    });
    const llm = createResilientClient(adapter());
    const results = await Promise.all(Array.from({ length: 100 }, (_, index) => llm.complete(requestFor(`question ${index}`))));
    expect(server.requests).toHaveLength(100);
    expect(results.every((result) => result.source === 'provider')).toBe(true);
  });

  it('retry budget: a fan-out of 50 calls against an always-429 server makes at most the budgeted retries', async () => {
    const time = createFakeTime({ autoAdvance: true });
    server = await startProviderServer((_sent, response) =>
      sendJson(response, 429, { error: { message: 'rate limited' } }, { 'retry-after-ms': '200' }),
    );
    const events: ResilienceEvent[] = [];
    const runId = asRunId('fan-out');
    const llm = createResilientClient(adapter(), {
      retry: { maxAttempts: 6 },
      retryBudget: { retriesPerRun: 20 },
      circuitBreaker: false,
      clock: time.clock,
      sleep: time.sleep,
      onEvent: (event) => events.push(event),
    });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 50 }, (_, index) => llm.complete(requestFor(`task ${index}`), { context: { runId, taskId: asTaskId(`t${index}`) } })),
    );
    expect(outcomes.every((outcome) => outcome.status === 'rejected')).toBe(true);
    // 50 first attempts + at most 20 retries in total (without the budget: 50 × 5 = 250 retries).
    expect(server.requests).toHaveLength(70);
    expect(llm.retriesUsed(runId)).toBe(20);
    expect(events.filter((event) => event.type === 'provider.retry')).toHaveLength(20);
    expect(events.filter((event) => event.type === 'provider.retry-budget-exhausted').length).toBeGreaterThan(0);
    expect(time.sleeps.every((delay) => delay === 200)).toBe(true);
  });
});
