import { asModelId, asRunId, type LlmClient, type LlmRequest } from '@runtime/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMockLlmClient, type MockStep } from './mock-llm-client.js';
import type { ResilienceEvent } from './resilience-events.js';
import type { ResilientClientOptions } from './resilient-client-options.js';
import { createResilientClient } from './resilient-client.js';
import { collectStream, createFakeTime, type FakeTime } from './testing/index.js';

const request: LlmRequest = { model: asModelId('m1'), messages: [{ role: 'user', content: 'hi' }], maxOutputTokens: 50 };

function setup(script: readonly MockStep[], options: ResilientClientOptions = {}, time: FakeTime = createFakeTime({ autoAdvance: true })) {
  const events: ResilienceEvent[] = [];
  const mock = createMockLlmClient({ script, sleep: time.sleep, clock: time.clock });
  const llm = createResilientClient(mock, {
    clock: time.clock,
    sleep: time.sleep,
    timers: time.timers,
    random: () => 0.5,
    onEvent: (event) => events.push(event),
    ...options,
  });
  return { mock, llm, events, time };
}

describe('createResilientClient: retry', () => {
  it('waits the Retry-After instead of the backoff (not both) and reports the retry', async () => {
    const retries: number[] = [];
    const { llm, events, time } = setup([{ fail: 'status', status: 429, retryAfterMs: 2000 }, { output: 'ok' }]);
    const result = await llm.complete(request, { onRetry: (info) => retries.push(info.delayMs) });
    expect(result).toMatchObject({ output: 'ok', attempts: 2, source: 'provider' });
    expect(time.sleeps).toEqual([2000]);
    expect(retries).toEqual([2000]);
    expect(events).toContainEqual(expect.objectContaining({ type: 'provider.retry', attempt: 1, delayMs: 2000, fromRetryAfter: true }));
  });

  it('reports each attempt as it starts (onAttempt), in order, before its retry is scheduled', async () => {
    const seen: string[] = [];
    const { llm } = setup([{ fail: 'status', status: 503 }, { fail: 'status', status: 503 }, { output: 'ok' }]);
    const result = await llm.complete(request, {
      onAttempt: (attempt) => seen.push(`attempt ${attempt}`),
      onRetry: (info) => seen.push(`retry after ${info.attempt}`),
    });
    expect(result.attempts).toBe(3);
    expect(seen).toEqual(['attempt 1', 'retry after 1', 'attempt 2', 'retry after 2', 'attempt 3']);
  });

  it('caps a huge Retry-After at maxRetryAfterMs', async () => {
    const { llm, time } = setup([{ fail: 'status', status: 503, retryAfter: '3600' }, { output: 'ok' }], { retry: { maxRetryAfterMs: 10_000 } });
    await llm.complete(request);
    expect(time.sleeps).toEqual([10_000]);
  });

  it('backs off with decorrelated jitter within [base, 3 × previous] and the cap', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.double({ min: 0, max: 0.999, noNaN: true }), { minLength: 6, maxLength: 6 }), async (draws) => {
        let next = 0;
        const { llm, time } = setup(Array.from({ length: 7 }, () => ({ fail: 'status', status: 500 }) as const), {
          retry: { maxAttempts: 7, baseDelayMs: 100, maxDelayMs: 5000 },
          circuitBreaker: false,
          random: () => draws[next++] ?? 0,
        });
        await expect(llm.complete(request)).rejects.toMatchObject({ code: 'PROVIDER_ERROR' });
        let previous = 100;
        for (const delay of time.sleeps) {
          expect(delay).toBeGreaterThanOrEqual(100);
          expect(delay).toBeLessThanOrEqual(Math.min(5000, previous * 3));
          previous = delay;
        }
        expect(time.sleeps).toHaveLength(6);
      }),
      { numRuns: 40 },
    );
  });

  it('stops after maxAttempts with the last error', async () => {
    const { llm, mock } = setup(Array.from({ length: 5 }, () => ({ fail: 'status', status: 502 }) as const), { retry: { maxAttempts: 3 } });
    await expect(llm.complete(request)).rejects.toMatchObject({ code: 'PROVIDER_ERROR', details: { status: 502 } });
    expect(mock.calls).toHaveLength(3);
  });

  it('never retries a terminal error', async () => {
    const { llm, mock, time } = setup([{ fail: 'status', status: 401 }, { output: 'never' }]);
    await expect(llm.complete(request)).rejects.toMatchObject({ isRetryable: false, details: { status: 401 } });
    expect(mock.calls).toHaveLength(1);
    expect(time.sleeps).toEqual([]);
  });

  it('keeps one retry budget per run and none for calls without a run', async () => {
    const always429 = (): MockStep => ({ fail: 'status', status: 429, retryAfterMs: 1 });
    const time = createFakeTime({ autoAdvance: true });
    const mock = createMockLlmClient({ respond: always429 });
    const llm = createResilientClient(mock, { sleep: time.sleep, clock: time.clock, retry: { maxAttempts: 5 }, retryBudget: { retriesPerRun: 3 }, circuitBreaker: false });
    const runA = asRunId('a');
    await expect(llm.complete(request, { context: { runId: runA } })).rejects.toMatchObject({ code: 'PROVIDER_ERROR' });
    await expect(llm.complete({ ...request, maxOutputTokens: 7 }, { context: { runId: runA } })).rejects.toMatchObject({ code: 'PROVIDER_ERROR' });
    expect(llm.retriesUsed(runA)).toBe(3);
    expect(mock.calls).toHaveLength(4 + 1);
    await expect(llm.complete(request, { context: { runId: asRunId('b') } })).rejects.toMatchObject({ code: 'PROVIDER_ERROR' });
    expect(llm.retriesUsed(asRunId('b'))).toBe(3);
    await expect(llm.complete(request)).rejects.toMatchObject({ code: 'PROVIDER_ERROR' });
    expect(mock.calls).toHaveLength(5 + 4 + 5);
    llm.forgetRun(runA);
    expect(llm.retriesUsed(runA)).toBe(0);
  });
});

describe('createResilientClient: timeouts and abort', () => {
  it('hands the attempt deadline to the inner client as timeoutMs, retries a timed-out attempt, reports PROVIDER_TIMEOUT', async () => {
    const time = createFakeTime();
    const { llm, mock } = setup([{ fail: 'hang' }, { fail: 'hang' }], { attemptTimeoutMs: 1000, retry: { maxAttempts: 2, baseDelayMs: 100 }, random: () => 0 }, time);
    const outcome = expect(llm.complete(request)).rejects.toMatchObject({ code: 'PROVIDER_TIMEOUT', isRetryable: true });
    await time.advance(1000);
    await time.advance(100);
    await time.advance(1000);
    await outcome;
    expect(mock.calls.map((call) => call.options?.timeoutMs)).toEqual([1000, 1000]);
    expect(time.pending()).toBe(0);
  });

  it('streams: an attempt that sends nothing before its deadline is aborted (its signal fires) and retried', async () => {
    const time = createFakeTime();
    const { llm, mock } = setup([{ fail: 'hang' }, { output: 'late but fine' }], { attemptTimeoutMs: 1000, random: () => 0 }, time);
    const outcome = collectStream(llm.stream(request));
    await time.advance(1000);
    await time.advance(500);
    await expect(outcome).resolves.toMatchObject({ result: { output: 'late but fine', attempts: 2 } });
    expect(mock.calls[0]?.options?.signal?.aborted).toBe(true);
  });

  it('a watchdog on one shared timer catches an inner client that ignores timeoutMs and its signal', async () => {
    const time = createFakeTime();
    let calls = 0;
    const rogue: LlmClient = {
      provider: 'rogue',
      complete: () => {
        calls += 1;
        return new Promise<never>(() => undefined);
      },
    };
    const llm = createResilientClient(rogue, { attemptTimeoutMs: 500, retry: false, clock: time.clock, sleep: time.sleep, timers: time.timers });
    const outcomes = Array.from({ length: 10 }, (_, index) =>
      expect(llm.complete({ ...request, maxOutputTokens: index + 1 })).rejects.toMatchObject({
        code: 'PROVIDER_TIMEOUT',
        details: { reason: 'the inner client ignored timeoutMs' },
      }),
    );
    expect(calls).toBe(10);
    expect(time.pending()).toBe(1);
    await time.advance(1500);
    await Promise.all(outcomes);
    expect(time.pending()).toBe(0);
  });

  it('the watchdog also works on the real timers (armed when the event loop turns)', async () => {
    const rogue: LlmClient = { provider: 'rogue', complete: () => new Promise<never>(() => undefined) };
    const llm = createResilientClient(rogue, { attemptTimeoutMs: 20, retry: false });
    const started = Date.now();
    await expect(llm.complete(request)).rejects.toMatchObject({ code: 'PROVIDER_TIMEOUT' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(990);
  });

  it("with a per-attempt timeout, the caller's abort still aborts the inner call at once", async () => {
    const time = createFakeTime();
    const { llm, mock } = setup([{ fail: 'hang' }], { attemptTimeoutMs: 60_000 }, time);
    const controller = new AbortController();
    const outcome = expect(llm.complete(request, { signal: controller.signal })).rejects.toMatchObject({ code: 'RUN_ABORTED' });
    controller.abort(new Error('run cancelled'));
    await outcome;
    expect(mock.calls[0]?.options?.signal?.aborted).toBe(true);
    expect(time.pending()).toBe(0);
  });

  it("stops retrying at the call's own timeoutMs", async () => {
    const { llm, mock } = setup(Array.from({ length: 9 }, () => ({ fail: 'status', status: 500 }) as const), {
      random: () => 0,
      retry: { maxAttempts: 10, baseDelayMs: 400 },
      circuitBreaker: false,
    });
    // Attempts at t = 0, 400, 800; the next wait would end past the 1000 ms deadline.
    await expect(llm.complete(request, { timeoutMs: 1000 })).rejects.toMatchObject({ code: 'PROVIDER_ERROR' });
    expect(mock.calls).toHaveLength(3);
  });

  it('an abort during the backoff wait ends the call with RUN_ABORTED and no further attempt', async () => {
    const time = createFakeTime();
    const { llm, mock } = setup([{ fail: 'status', status: 500 }, { output: 'late' }], {}, time);
    const controller = new AbortController();
    const outcome = expect(llm.complete(request, { signal: controller.signal })).rejects.toMatchObject({ code: 'RUN_ABORTED' });
    await time.advance(0);
    controller.abort();
    await outcome;
    expect(mock.calls).toHaveLength(1);
  });
});

describe('createResilientClient: circuit breaker', () => {
  it('opens after consecutive transient failures, fails fast, probes once, and re-opens when the probe fails', async () => {
    const time = createFakeTime({ autoAdvance: true });
    const { llm, events, mock } = setup(
      [{ fail: 'status', status: 500 }, { fail: 'status', status: 500 }, { fail: 'status', status: 500 }, { output: 'back' }],
      { retry: false, circuitBreaker: { failureThreshold: 2, resetAfterMs: 5000 } },
      time,
    );
    await expect(llm.complete(request)).rejects.toMatchObject({ code: 'PROVIDER_ERROR' });
    await expect(llm.complete(request)).rejects.toMatchObject({ code: 'PROVIDER_ERROR' });
    await expect(llm.complete(request)).rejects.toMatchObject({ code: 'CIRCUIT_OPEN', details: { retryAfterMs: 5000 } });
    await time.advance(5000);
    await expect(llm.complete(request)).rejects.toMatchObject({ code: 'PROVIDER_ERROR' });
    expect(llm.circuitState('mock', 'm1')).toBe('open');
    await time.advance(5000);
    await expect(llm.complete(request)).resolves.toMatchObject({ output: 'back' });
    expect(mock.calls).toHaveLength(4);
    expect(events.filter((event) => event.type === 'provider.circuit').map((event) => (event.type === 'provider.circuit' ? event.to : ''))).toEqual([
      'open',
      'halfOpen',
      'open',
      'halfOpen',
      'closed',
    ]);
  });

  it('terminal errors do not open the circuit', async () => {
    const { llm } = setup(Array.from({ length: 5 }, () => ({ fail: 'status', status: 400 }) as const), { circuitBreaker: { failureThreshold: 2 } });
    for (let index = 0; index < 5; index += 1) await expect(llm.complete(request)).rejects.toMatchObject({ details: { status: 400 } });
    expect(llm.circuitState('mock', 'm1')).toBe('closed');
  });

  it('an aborted probe frees the half-open slot for the next caller', async () => {
    const time = createFakeTime();
    const { llm } = setup([{ fail: 'status', status: 500 }, { fail: 'hang' }, { output: 'ok' }], { retry: false, circuitBreaker: { failureThreshold: 1, resetAfterMs: 10 } }, time);
    await expect(llm.complete(request)).rejects.toMatchObject({ code: 'PROVIDER_ERROR' });
    await time.advance(10);
    const controller = new AbortController();
    const probe = expect(llm.complete(request, { signal: controller.signal })).rejects.toMatchObject({ code: 'RUN_ABORTED' });
    await expect(llm.complete({ ...request, maxOutputTokens: 3 })).rejects.toMatchObject({ code: 'CIRCUIT_OPEN' });
    controller.abort();
    await probe;
    await expect(llm.complete(request)).resolves.toMatchObject({ output: 'ok' });
  });
});

describe('createResilientClient: fallback, dedup, cache, stream', () => {
  it('falls back to the next model after a transient failure, not after a terminal one', async () => {
    const mock = createMockLlmClient({ respond: (sent) => (sent.model === 'm1' ? { fail: 'status', status: 503 } : { output: `from ${sent.model}` }) });
    const events: ResilienceEvent[] = [];
    const llm = createResilientClient(mock, { retry: { maxAttempts: 2 }, sleep: () => Promise.resolve(), fallbackModels: [asModelId('m2')], onEvent: (event) => events.push(event) });
    await expect(llm.complete({ ...request, providerModel: 'pinned-m1' })).resolves.toMatchObject({ output: 'from m2', attempts: 3 });
    expect(mock.calls.at(-1)?.request.providerModel).toBeUndefined();
    expect(events).toContainEqual(expect.objectContaining({ type: 'provider.fallback', from: 'm1', to: 'm2' }));
    const terminal = createMockLlmClient({ respond: () => ({ fail: 'status', status: 400 }) });
    const strict = createResilientClient(terminal, { fallbackModels: [asModelId('m2')] });
    await expect(strict.complete(request)).rejects.toMatchObject({ details: { status: 400 } });
    expect(terminal.calls).toHaveLength(1);
  });

  it("dedup: when the leader aborts, a waiter still gets the result and is the one billed", async () => {
    const time = createFakeTime();
    const { llm, mock } = setup([{ output: 'shared', latencyMs: 100 }], {}, time);
    const controller = new AbortController();
    const leader = expect(llm.complete(request, { signal: controller.signal })).rejects.toMatchObject({ code: 'RUN_ABORTED' });
    const waiter = llm.complete(request);
    controller.abort();
    await leader;
    await time.advance(100);
    await expect(waiter).resolves.toMatchObject({ output: 'shared', source: 'provider' });
    expect(mock.calls).toHaveLength(1);
    expect(mock.calls[0]?.options?.signal?.aborted).toBe(false);
  });

  it('dedup: when every participant aborts, the upstream call is aborted', async () => {
    const time = createFakeTime();
    const { llm, mock } = setup([{ fail: 'hang' }], {}, time);
    const first = new AbortController();
    const second = new AbortController();
    const outcomes = [
      expect(llm.complete(request, { signal: first.signal })).rejects.toMatchObject({ code: 'RUN_ABORTED' }),
      expect(llm.complete(request, { signal: second.signal })).rejects.toMatchObject({ code: 'RUN_ABORTED' }),
    ];
    first.abort();
    expect(mock.calls[0]?.options?.signal?.aborted).toBe(false);
    second.abort();
    await Promise.all(outcomes);
    expect(mock.calls[0]?.options?.signal?.aborted).toBe(true);
  });

  it('serves repeated requests from the cache until the TTL passes', async () => {
    const time = createFakeTime();
    const { llm, mock, events } = setup([{ output: 'first' }, { output: 'second' }], { cache: { ttlMs: 1000 } }, time);
    await expect(llm.complete(request)).resolves.toMatchObject({ output: 'first', source: 'provider' });
    await expect(llm.complete(request)).resolves.toMatchObject({ output: 'first', source: 'cache', attempts: 0 });
    await time.advance(1000);
    await expect(llm.complete(request)).resolves.toMatchObject({ output: 'second', source: 'provider' });
    expect(mock.calls).toHaveLength(2);
    expect(events.filter((event) => event.type === 'provider.cache-hit')).toHaveLength(1);
  });

  it("streams: the call's timeoutMs is handed on as what is left of it, for the whole stream", async () => {
    const time = createFakeTime({ autoAdvance: true });
    const { llm, mock } = setup([{ fail: 'status', status: 500 }, { output: 'ok' }], { random: () => 0 }, time);
    await collectStream(llm.stream(request, { timeoutMs: 10_000 }));
    expect(mock.calls.map((call) => call.options?.timeoutMs)).toEqual([10_000, 9_500]);
  });

  it('streams tool-call fragments through, and a failure after the first chunk is final (no retry)', async () => {
    const { llm, mock } = setup([
      { output: 'ok', toolCalls: [{ id: 'c1', name: 'pay', arguments: '{"to":"Bob","amount":10}' }] },
      { fail: 'incomplete', output: 'half an answer' },
      { output: 'never asked for' },
    ]);
    const collected = await collectStream(llm.stream(request));
    expect(collected.toolCallDeltas[0]).toEqual({ index: 0, id: 'c1', name: 'pay' });
    expect(collected.toolCallDeltas.map((fragment) => fragment.arguments ?? '').join('')).toBe('{"to":"Bob","amount":10}');
    expect(collected.toolCalls).toEqual([{ id: 'c1', name: 'pay', arguments: '{"to":"Bob","amount":10}' }]);
    const texts: string[] = [];
    const failed = (async () => {
      for await (const chunk of llm.stream(request)) if (chunk.type === 'text') texts.push(chunk.text);
    })();
    await expect(failed).rejects.toMatchObject({ code: 'PROVIDER_ERROR', isRetryable: false, details: { reason: 'incomplete_stream' } });
    expect(texts.join('')).toBe('half an answer');
    expect(mock.calls).toHaveLength(2);
  });

  it('streams with retries before the first chunk and reports the attempts in the done chunk', async () => {
    const { llm, mock } = setup([{ fail: 'status', status: 429, retryAfterMs: 10 }, { output: 'one two' }]);
    const collected = await collectStream(llm.stream(request));
    expect(collected.texts).toEqual(['one ', 'two']);
    expect(collected.result).toMatchObject({ output: 'one two', attempts: 2 });
    expect(mock.calls.map((call) => call.method)).toEqual(['stream', 'stream']);
  });
});
