/**
 * Tracing through the real server: the real OpenTelemetry SDK (sdk-trace-base, in-memory exporter)
 * registered globally, a real HTTP request carrying a W3C `traceparent`. The library's spans hang
 * under the caller's trace: one `runtime.run` per run (the sidecar makes none of its own), a
 * `runtime.task` per task, a CLIENT `chat {model}` per provider attempt.
 */
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  GEN_AI_OPERATION_NAME_VALUE_CHAT,
} from '@opentelemetry/semantic-conventions/incubating';
import type { Run } from '@runtime/contracts';
import { afterAll, describe, expect, it } from 'vitest';
import { KEYS } from './support/e2e-config.js';
import { useInProcessSidecar } from './support/in-process-sidecar.js';

const exporter = new InMemorySpanExporter();
// Registered before the sidecar starts (its tracer delegates to whatever provider is global).
trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
afterAll(() => {
  trace.disable();
});

const app = useInProcessSidecar();

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const CALLER_SPAN = 'b7ad6b7169203331';

async function spansOfRun(runId: string): Promise<ReadableSpan[]> {
  // The run span ends at the run's terminal event, just after the state the client polled is written.
  for (let wait = 0; wait < 100; wait += 1) {
    const spans = exporter.getFinishedSpans();
    if (spans.some((span) => span.name === 'runtime.run' && span.attributes['runtime.run.id'] === runId)) return spans;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no runtime.run span for ${runId}`);
}

describe('tracing through the sidecar', () => {
  it('makes the run span a child of the request traceparent, with task and per-attempt CLIENT spans under it', async () => {
    exporter.reset();
    const created = await app.client.request<Run>('POST', '/v1/runs', {
      key: KEYS.initech,
      headers: { traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01`, tracestate: 'vendor=value' },
      body: {
        tasks: [
          { id: 'first', prompt: 'One. [task=first][failOnce=503]' },
          { id: 'second', prompt: 'Two. [task=second]', deps: ['first'] },
        ],
      },
    });
    expect(created.status, created.text).toBe(201);
    const run = await app.client.waitForRun(created.body.id, KEYS.initech);
    expect(run.state).toBe('completed');
    const spans = (await spansOfRun(run.id)).filter((span) => span.spanContext().traceId === TRACE_ID);

    const runSpans = spans.filter((span) => span.name === 'runtime.run');
    expect(runSpans).toHaveLength(1);
    const runSpan = runSpans[0] as ReadableSpan;
    expect(runSpan.kind).toBe(SpanKind.INTERNAL);
    expect(runSpan.parentSpanContext?.spanId).toBe(CALLER_SPAN);
    expect(runSpan.spanContext().traceState?.get('vendor')).toBe('value');

    const tasks = spans.filter((span) => span.name.startsWith('runtime.task '));
    expect(tasks.map((span) => span.name).sort()).toEqual(['runtime.task first', 'runtime.task second']);
    for (const task of tasks) expect(task.parentSpanContext?.spanId).toBe(runSpan.spanContext().spanId);

    const calls = spans.filter((span) => span.kind === SpanKind.CLIENT);
    const under = (name: string): ReadableSpan[] => {
      const task = tasks.find((span) => span.name === name) as ReadableSpan;
      return calls.filter((call) => call.parentSpanContext?.spanId === task.spanContext().spanId);
    };
    // The 503 was retried: two attempts, two CLIENT spans, the first one in error.
    expect(under('runtime.task first')).toHaveLength(2);
    expect(under('runtime.task second')).toHaveLength(1);
    expect(calls).toHaveLength(3);
    expect(calls.filter((call) => call.status.code === SpanStatusCode.ERROR).map((call) => call.attributes[ATTR_ERROR_TYPE])).toEqual(['PROVIDER_ERROR']);
    const answered = under('runtime.task second')[0] as ReadableSpan;
    expect(answered.name).toBe('chat balanced-1');
    expect(Object.keys(answered.attributes)).toEqual(
      expect.arrayContaining([
        ATTR_GEN_AI_OPERATION_NAME,
        ATTR_GEN_AI_PROVIDER_NAME,
        ATTR_GEN_AI_REQUEST_MODEL,
        ATTR_GEN_AI_REQUEST_MAX_TOKENS,
        ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
        ATTR_GEN_AI_USAGE_INPUT_TOKENS,
        ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
      ]),
    );
    expect(answered.attributes[ATTR_GEN_AI_OPERATION_NAME]).toBe(GEN_AI_OPERATION_NAME_VALUE_CHAT);
    expect(answered.attributes[ATTR_GEN_AI_PROVIDER_NAME]).toBe('fake');
  });

  it('starts a new trace when the traceparent is malformed (W3C: ignored, not refused)', async () => {
    exporter.reset();
    const created = await app.client.request<Run>('POST', '/v1/runs', {
      key: KEYS.initech,
      headers: { traceparent: `00-${TRACE_ID}-${CALLER_SPAN}` },
      body: { tasks: [{ id: 'only', prompt: 'One. [task=only]' }] },
    });
    expect(created.status, created.text).toBe(201);
    const run = await app.client.waitForRun(created.body.id, KEYS.initech);
    const runSpan = (await spansOfRun(run.id)).find((span) => span.name === 'runtime.run') as ReadableSpan;
    expect(runSpan.parentSpanContext).toBeUndefined();
    expect(runSpan.spanContext().traceId).not.toBe(TRACE_ID);
  });
});
