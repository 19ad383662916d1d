/**
 * OpenTelemetry spans of a library run, recorded by the real SDK (`@opentelemetry/sdk-trace-base`
 * with an in-memory exporter) around `createRuntime` and a fake OpenAI-compatible HTTP server.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type * as OtelApi from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
  ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
  GEN_AI_OPERATION_NAME_VALUE_CHAT,
} from '@opentelemetry/semantic-conventions/incubating';
import { createOpenAiCompatibleClient } from '@runtime/providers';
import fc from 'fast-check';
import semver from 'semver';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRuntime, parseTraceparent } from '../src/index.js';
import { createTracing, loadOtelApi } from '../src/tracing.js';

// The API's CommonJS build, as the library loads it: under vitest's `module` condition the package
// resolves to an ESM build that Node cannot load (extensionless imports).
const { context: otelContext, SpanKind, SpanStatusCode, trace } = createRequire(import.meta.url)('@opentelemetry/api') as typeof OtelApi;

interface FakeOpenAi {
  readonly baseUrl: string;
  readonly requests: number;
  /** Requests received per `[task=id]` of the last message. */
  readonly byTask: ReadonlyMap<string, number>;
  close(): Promise<void>;
}

/**
 * An OpenAI chat-completions server that answers 503 to the first `failFirst` requests, and to the
 * first n requests of a task whose last message says `[task=id][fail=n]`.
 */
async function fakeOpenAi(failFirst: number): Promise<FakeOpenAi> {
  let requests = 0;
  const byTask = new Map<string, number>();
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    request.on('end', () => {
      requests += 1;
      const parsed = JSON.parse(body) as { stream?: boolean; messages: { content: string }[] };
      const last = parsed.messages.at(-1)?.content ?? '';
      const taskId = /\[task=([^\]]+)\]/.exec(last)?.[1];
      const taskFails = Number(/\[fail=(\d+)\]/.exec(last)?.[1] ?? '0');
      const seen = taskId === undefined ? 0 : (byTask.get(taskId) ?? 0) + 1;
      if (taskId !== undefined) byTask.set(taskId, seen);
      if (requests <= failFirst || (taskId !== undefined && seen <= taskFails)) {
        response.writeHead(503, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: { message: 'overloaded', type: 'server_error' } }));
        return;
      }
      const usage = {
        prompt_tokens: 20,
        completion_tokens: 5,
        total_tokens: 25,
        prompt_tokens_details: { cached_tokens: 4 },
        completion_tokens_details: { reasoning_tokens: 2 },
      };
      if (parsed.stream === true) {
        response.writeHead(200, { 'content-type': 'text/event-stream', 'x-request-id': `req-${requests}` });
        const chunk = (data: unknown): string => `data: ${JSON.stringify(data)}\n\n`;
        response.write(chunk({ id: 'c', model: 'gpt-4o-mini-2024-07-18', choices: [{ index: 0, delta: { content: 'Hel' } }] }));
        response.write(chunk({ id: 'c', model: 'gpt-4o-mini-2024-07-18', choices: [{ index: 0, delta: { content: 'lo' }, finish_reason: 'stop' }] }));
        response.write(chunk({ id: 'c', model: 'gpt-4o-mini-2024-07-18', choices: [], usage }));
        response.end('data: [DONE]\n\n');
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json', 'x-request-id': `req-${requests}` });
      response.end(
        JSON.stringify({
          id: `chatcmpl-${requests}`,
          model: 'gpt-4o-mini-2024-07-18',
          choices: [{ index: 0, message: { role: 'assistant', content: 'Hello' }, finish_reason: 'stop' }],
          usage,
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    get requests() {
      return requests;
    },
    byTask,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error === undefined ? resolve() : reject(error)))),
  };
}

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

function runtimeAgainst(server: FakeOpenAi, extra: { readonly tracerProvider?: typeof provider } = {}) {
  return createRuntime({
    clients: { openai: createOpenAiCompatibleClient({ baseUrl: server.baseUrl, apiKey: 'test-key' }) },
    resilience: { retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 }, circuitBreaker: false },
    tracing: { tracerProvider: extra.tracerProvider ?? provider },
  });
}

const spanId = (span: ReadableSpan): string => span.spanContext().spanId;
const parentId = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;

describe('tracing (real OpenTelemetry SDK, fake OpenAI server)', () => {
  let server: FakeOpenAi | undefined;
  beforeEach(() => {
    exporter.reset();
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('records runtime.run → runtime.task → chat {model} with the GenAI attributes, one CLIENT span per provider attempt', async () => {
    server = await fakeOpenAi(1);
    const runtime = runtimeAgainst(server);
    const run = await runtime.run({
      tasks: [
        { id: 'outline', prompt: 'Outline a post.', model: 'gpt-4o-mini' },
        { id: 'draft', prompt: 'Write it.', model: 'gpt-4o-mini', deps: ['outline'] },
      ],
      policy: { budgetUsd: 1 },
    });
    expect(run.state).toBe('completed');
    expect(server.requests).toBe(3);
    const spans = exporter.getFinishedSpans();
    const runSpans = spans.filter((span) => span.name === 'runtime.run');
    expect(runSpans).toHaveLength(1);
    const runSpan = runSpans[0] as ReadableSpan;
    expect(runSpan.kind).toBe(SpanKind.INTERNAL);
    expect(parentId(runSpan)).toBeUndefined();
    expect(runSpan.attributes).toMatchObject({ 'runtime.run.id': run.id, 'runtime.run.state': 'completed', 'runtime.cost_usd': run.usage.costUsd });

    const taskSpans = spans.filter((span) => span.name.startsWith('runtime.task '));
    expect(taskSpans.map((span) => span.name).sort()).toEqual(['runtime.task draft', 'runtime.task outline']);
    for (const span of taskSpans) {
      expect(span.kind).toBe(SpanKind.INTERNAL);
      expect(parentId(span)).toBe(spanId(runSpan));
      expect(span.spanContext().traceId).toBe(runSpan.spanContext().traceId);
    }
    const outline = taskSpans.find((span) => span.name === 'runtime.task outline') as ReadableSpan;
    const draft = taskSpans.find((span) => span.name === 'runtime.task draft') as ReadableSpan;
    // The first call was answered 503 and retried: a task.retrying event on the task span.
    expect(outline.events.map((event) => event.name)).toEqual(expect.arrayContaining(['task.started', 'budget.reserved', 'task.retrying', 'budget.settled']));
    expect(outline.events.find((event) => event.name === 'task.retrying')?.attributes?.[ATTR_ERROR_TYPE]).toBe('PROVIDER_ERROR');
    expect(Object.keys(outline.attributes)).toEqual(
      expect.arrayContaining([
        ATTR_GEN_AI_USAGE_INPUT_TOKENS,
        ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
        ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
        ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
        ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
        'runtime.cost_usd',
      ]),
    );

    const calls = spans.filter((span) => span.kind === SpanKind.CLIENT);
    expect(calls).toHaveLength(3);
    for (const call of calls) expect(call.name).toBe('chat gpt-4o-mini');
    const outlineCalls = calls.filter((call) => parentId(call) === spanId(outline));
    const draftCalls = calls.filter((call) => parentId(call) === spanId(draft));
    expect(outlineCalls).toHaveLength(2);
    expect(draftCalls).toHaveLength(1);
    const [failed, answered] = [...outlineCalls].sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]) as [ReadableSpan, ReadableSpan];
    expect(failed.status.code).toBe(SpanStatusCode.ERROR);
    expect(failed.attributes[ATTR_ERROR_TYPE]).toBe('PROVIDER_ERROR');
    expect(answered.status.code).toBe(SpanStatusCode.UNSET);
    expect(answered.attributes).toMatchObject({
      [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_NAME_VALUE_CHAT,
      [ATTR_GEN_AI_PROVIDER_NAME]: 'openai',
      [ATTR_GEN_AI_REQUEST_MODEL]: 'gpt-4o-mini',
      [ATTR_GEN_AI_RESPONSE_MODEL]: 'gpt-4o-mini-2024-07-18',
      [ATTR_GEN_AI_RESPONSE_FINISH_REASONS]: ['stop'],
      [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: 20,
      [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: 5,
      [ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]: 4,
      [ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS]: 2,
    });
    expect(typeof answered.attributes[ATTR_GEN_AI_REQUEST_MAX_TOKENS]).toBe('number');
    // Honest timing: every call lies within its task, every task within the run. The SDK anchors a
    // span's start on Date.now() (ms) and measures its duration with performance.now(), so spans
    // compare to within 1 ms.
    const ns = (time: readonly [number, number]): bigint => BigInt(time[0]) * 1_000_000_000n + BigInt(time[1]);
    const ms = 1_000_000n;
    for (const call of calls) {
      const task = call === draftCalls[0] ? draft : outline;
      expect(ns(call.startTime) + ms >= ns(task.startTime)).toBe(true);
      expect(ns(call.endTime) <= ns(task.endTime) + ms).toBe(true);
    }
    expect(ns(outline.endTime) <= ns((draftCalls[0] as ReadableSpan).startTime) + ms).toBe(true);
    for (const task of taskSpans) expect(ns(task.endTime) <= ns(runSpan.endTime) + ms).toBe(true);
    await runtime.close();
  });

  it('property: any DAG with any failures — one trace, every task span under the run span, one CLIENT span per request the provider received, under its task', async () => {
    server = await fakeOpenAi(0);
    const fake = server;
    const runtime = runtimeAgainst(fake);
    const dags = fc
      .array(fc.record({ fails: fc.integer({ min: 0, max: 3 }), deps: fc.array(fc.nat(), { maxLength: 2 }) }), { minLength: 1, maxLength: 6 })
      .map((nodes) =>
        nodes.map((node, index) => ({
          fails: node.fails,
          deps: index === 0 ? [] : [...new Set(node.deps.map((dep) => dep % index))],
        })),
      );
    let round = 0;
    await fc.assert(
      fc.asyncProperty(dags, async (nodes) => {
        round += 1;
        exporter.reset();
        const id = (index: number): string => `r${round}t${index}`;
        const run = await runtime.run({
          tasks: nodes.map((node, index) => ({
            id: id(index),
            prompt: `Task. [task=${id(index)}][fail=${node.fails}]`,
            model: 'gpt-4o-mini',
            deps: node.deps.map(id),
          })),
          policy: { failurePolicy: 'continue' },
        });
        const spans = exporter.getFinishedSpans();
        const runSpans = spans.filter((span) => span.name === 'runtime.run');
        expect(runSpans).toHaveLength(1);
        const runSpan = runSpans[0] as ReadableSpan;
        expect(runSpan.attributes['runtime.run.id']).toBe(run.id);
        for (const span of spans) expect(span.spanContext().traceId).toBe(runSpan.spanContext().traceId);
        const calls = spans.filter((span) => span.kind === SpanKind.CLIENT);
        let requested = 0;
        for (const [index] of nodes.entries()) {
          const task = run.tasks[index];
          const received = fake.byTask.get(id(index)) ?? 0;
          requested += received;
          const taskSpans = spans.filter((span) => span.name === `runtime.task ${id(index)}`);
          if (task?.state === 'skipped') {
            expect(taskSpans).toHaveLength(0);
            expect(runSpan.events.some((event) => event.name === 'task.skipped' && event.attributes?.['runtime.task.id'] === id(index))).toBe(true);
            continue;
          }
          expect(taskSpans).toHaveLength(1);
          const taskSpan = taskSpans[0] as ReadableSpan;
          expect(parentId(taskSpan)).toBe(spanId(runSpan));
          const own = calls.filter((call) => parentId(call) === spanId(taskSpan));
          expect(own).toHaveLength(received);
          expect(own.filter((call) => call.status.code === SpanStatusCode.ERROR)).toHaveLength(Math.min(nodes[index]?.fails ?? 0, received));
          expect(taskSpan.status.code).toBe(task?.state === 'failed' ? SpanStatusCode.ERROR : SpanStatusCode.UNSET);
        }
        expect(calls).toHaveLength(requested);
      }),
      { numRuns: 12 },
    );
    await runtime.close();
  });

  it('puts a circuit-breaker change on the run span, and the user still gets the resilience event', async () => {
    server = await fakeOpenAi(0);
    const seen: string[] = [];
    const runtime = createRuntime({
      clients: { openai: createOpenAiCompatibleClient({ baseUrl: server.baseUrl, apiKey: 'test-key' }) },
      resilience: {
        retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
        circuitBreaker: { failureThreshold: 2, resetAfterMs: 60_000 },
        onEvent: (event) => seen.push(event.type),
      },
      tracing: { tracerProvider: provider },
    });
    const run = await runtime.run({ tasks: [{ id: 'a', prompt: 'Hi. [task=breaker-a][fail=5]', model: 'gpt-4o-mini' }] });
    expect(run.state).toBe('failed');
    expect(seen).toContain('provider.circuit');
    const runSpan = exporter.getFinishedSpans().find((span) => span.name === 'runtime.run') as ReadableSpan;
    const circuit = runSpan.events.find((event) => event.name === 'provider.circuit');
    expect(circuit?.attributes).toMatchObject({ [ATTR_GEN_AI_PROVIDER_NAME]: 'openai', 'runtime.circuit.from': 'closed', 'runtime.circuit.to': 'open' });
    // Two requests reached the provider; the third attempt was refused by the open circuit.
    const calls = exporter.getFinishedSpans().filter((span) => span.kind === SpanKind.CLIENT);
    expect(calls).toHaveLength(server.byTask.get('breaker-a') ?? 0);
    await runtime.close();
  });

  it('hangs the run span under a W3C traceparent or a given OpenTelemetry context', async () => {
    server = await fakeOpenAi(0);
    const runtime = runtimeAgainst(server);
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await runtime.run({ tasks: [{ id: 'a', prompt: 'Hi.', model: 'gpt-4o-mini' }] }, { traceParent: traceparent });
    const fromHeader = exporter.getFinishedSpans().find((span) => span.name === 'runtime.run') as ReadableSpan;
    expect(fromHeader.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(parentId(fromHeader)).toBe('00f067aa0ba902b7');
    exporter.reset();

    const outer = provider.getTracer('test').startSpan('outer');
    await runtime.run({ tasks: [{ id: 'a', prompt: 'Hi.', model: 'gpt-4o-mini' }] }, { traceParent: trace.setSpan(otelContext.active(), outer) });
    outer.end();
    const fromContext = exporter.getFinishedSpans().find((span) => span.name === 'runtime.run') as ReadableSpan;
    expect(parentId(fromContext)).toBe(outer.spanContext().spanId);
    expect(fromContext.spanContext().traceId).toBe(outer.spanContext().traceId);

    await expect(runtime.start({ tasks: [{ id: 'a', prompt: 'Hi.' }] }, { traceParent: 'not-a-traceparent' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { field: 'traceParent' },
    });
    await runtime.close();
  });

  it('records a repeated idempotent start as a short "repeated" span, not a second trace of the run', async () => {
    server = await fakeOpenAi(0);
    const runtime = runtimeAgainst(server);
    const spec = { tasks: [{ id: 'a', prompt: 'Hi. [task=idem-a]', model: 'gpt-4o-mini' }], idempotencyKey: 'tracing-repeat' };
    const first = await runtime.start(spec);
    const again = await runtime.start(spec);
    expect(again.id).toBe(first.id);
    await runtime.orchestrator.wait(first.id);
    await vi.waitFor(() => {
      expect(exporter.getFinishedSpans().filter((span) => span.name === 'runtime.run' && span.attributes['runtime.run.repeated'] !== true)).toHaveLength(1);
    });
    const runSpans = exporter.getFinishedSpans().filter((span) => span.name === 'runtime.run');
    expect(runSpans).toHaveLength(2);
    const [traced, repeated] = [...runSpans].sort((a, b) => Number(a.attributes['runtime.run.repeated'] === true) - Number(b.attributes['runtime.run.repeated'] === true)) as [ReadableSpan, ReadableSpan];
    expect(traced.attributes).toMatchObject({ 'runtime.run.id': first.id, 'runtime.run.state': 'completed' });
    expect(repeated.attributes).toMatchObject({ 'runtime.run.id': first.id, 'runtime.run.repeated': true });
    const task = exporter.getFinishedSpans().filter((span) => span.name === 'runtime.task a');
    expect(task).toHaveLength(1);
    expect(parentId(task[0] as ReadableSpan)).toBe(spanId(traced));
    await runtime.close();
  });

  it('gives a streamed call the time to its first chunk, and runtime.stream a run span', async () => {
    server = await fakeOpenAi(0);
    const runtime = runtimeAgainst(server);
    let text = '';
    for await (const part of runtime.stream({ tasks: [{ id: 'a', prompt: 'Hi.', model: 'gpt-4o-mini' }] })) {
      if (part.type === 'text-delta') text += part.text;
    }
    expect(text).toBe('Hello');
    const spans = exporter.getFinishedSpans();
    const runSpan = spans.find((span) => span.name === 'runtime.run') as ReadableSpan;
    const task = spans.find((span) => span.name === 'runtime.task a') as ReadableSpan;
    const call = spans.find((span) => span.kind === SpanKind.CLIENT) as ReadableSpan;
    expect(parentId(task)).toBe(spanId(runSpan));
    expect(parentId(call)).toBe(spanId(task));
    expect(call.attributes[ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK]).toBeGreaterThan(0);
    expect(call.attributes[ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]).toBe(5);
    await runtime.close();
  });

  it('marks a task that fails for good and its run with status ERROR and error.type', async () => {
    server = await fakeOpenAi(10);
    const runtime = runtimeAgainst(server);
    const run = await runtime.run({ tasks: [{ id: 'a', prompt: 'Hi.', model: 'gpt-4o-mini' }] });
    expect(run.state).toBe('failed');
    const spans = exporter.getFinishedSpans();
    const task = spans.find((span) => span.name === 'runtime.task a') as ReadableSpan;
    expect(task.status.code).toBe(SpanStatusCode.ERROR);
    expect(task.attributes[ATTR_ERROR_TYPE]).toBe('PROVIDER_ERROR');
    expect(spans.filter((span) => span.kind === SpanKind.CLIENT)).toHaveLength(3);
    const runSpan = spans.find((span) => span.name === 'runtime.run') as ReadableSpan;
    expect(runSpan.status.code).toBe(SpanStatusCode.ERROR);
    await runtime.close();
  });
});

describe('tracing without an SDK, or without the API', () => {
  it('runs with the global no-op tracer when no SDK is registered, exporting nothing', async () => {
    const exporterUnused = new InMemorySpanExporter();
    const runtime = createRuntime();
    const run = await runtime.run({ tasks: [{ id: 'a', prompt: 'Hi.' }, { id: 'b', prompt: 'Bye.', deps: ['a'] }] }, {
      traceParent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    });
    expect(run.state).toBe('completed');
    expect(exporterUnused.getFinishedSpans()).toEqual([]);
    expect(trace.getTracer('probe').startSpan('probe').isRecording()).toBe(false);
    await runtime.close();
  });

  it('is off, and createRuntime still works, when @opentelemetry/api cannot be loaded', async () => {
    const missing = (id: string): never => {
      throw Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' });
    };
    expect(loadOtelApi(missing)).toBeUndefined();
    expect(createTracing(true, () => loadOtelApi(missing))).toBeUndefined();
    expect(createTracing(false)).toBeUndefined();
    expect(createTracing(true)).toBeDefined();
    const runtime = createRuntime({ tracing: false });
    expect((await runtime.run({ tasks: [{ id: 'a', prompt: 'Hi.' }] })).state).toBe('completed');
    await runtime.close();
  });

  it('declares a peer range of @opentelemetry/api that the current stable SDK installs', () => {
    const require = createRequire(import.meta.url);
    const ours = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      peerDependencies: Record<string, string>;
      peerDependenciesMeta: Record<string, { optional?: boolean }>;
    };
    const sdk = JSON.parse(readFileSync(require.resolve('@opentelemetry/sdk-trace-base/package.json'), 'utf8')) as {
      version: string;
      peerDependencies: Record<string, string>;
    };
    // The API next to the SDK (the package has no `./package.json` export: read it beside its main file).
    const sdkRequire = createRequire(require.resolve('@opentelemetry/sdk-trace-base'));
    const apiMain = sdkRequire.resolve('@opentelemetry/api');
    const api = JSON.parse(readFileSync(new URL('../../package.json', `file://${apiMain}`), 'utf8')) as { name: string; version: string };
    expect(api.name).toBe('@opentelemetry/api');
    expect(semver.major(sdk.version)).toBe(2);
    const range = ours.peerDependencies['@opentelemetry/api'] as string;
    expect(ours.peerDependenciesMeta['@opentelemetry/api']?.optional).toBe(true);
    expect(semver.intersects(range, sdk.peerDependencies['@opentelemetry/api'] as string)).toBe(true);
    // The API installed next to the SDK satisfies both.
    expect(semver.satisfies(api.version, range)).toBe(true);
    expect(semver.satisfies(api.version, sdk.peerDependencies['@opentelemetry/api'] as string)).toBe(true);
  });

  it('parses W3C traceparent headers and refuses malformed ones', () => {
    expect(parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')).toEqual({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      parentId: '00f067aa0ba902b7',
      traceFlags: 1,
    });
    expect(parseTraceparent('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-future')).toMatchObject({ traceFlags: 0 });
    for (const bad of [
      '',
      'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
      '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra',
    ]) {
      expect(parseTraceparent(bad)).toBeUndefined();
    }
  });
});
