import { trace, type Span, type SpanOptions, type Tracer, type TracerProvider } from '@opentelemetry/api';
import { asRunId, asTaskId, type Orchestrator, type RuntimeEvent } from '@runtime/contracts';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createRunObserver } from './run-observer.js';
import { createSidecarMetrics } from './sidecar-metrics.js';

interface RecordedSpan {
  readonly name: string;
  readonly attributes: Record<string, unknown>;
  status?: { code: number; message?: string };
  ended: boolean;
}

const spans: RecordedSpan[] = [];

function recordingSpan(name: string, options: SpanOptions | undefined): Span {
  const recorded: RecordedSpan = { name, attributes: { ...options?.attributes }, ended: false };
  spans.push(recorded);
  const span = {
    setAttribute: (key: string, value: unknown) => ((recorded.attributes[key] = value), span),
    setAttributes: (values: Record<string, unknown>) => (Object.assign(recorded.attributes, values), span),
    setStatus: (status: { code: number; message?: string }) => ((recorded.status = status), span),
    end: () => {
      recorded.ended = true;
    },
    spanContext: () => ({ traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 1 }),
    isRecording: () => true,
  };
  return span as unknown as Span;
}

const provider: TracerProvider = {
  getTracer: (): Tracer => ({ startSpan: (name: string, options?: SpanOptions) => recordingSpan(name, options) }) as unknown as Tracer,
};
trace.setGlobalTracerProvider(provider);

afterAll(() => {
  trace.disable();
});

describe('createRunObserver', () => {
  it('turns events into gen_ai spans with cost, metrics, and ends everything at the terminal event', async () => {
    let listener: ((event: RuntimeEvent) => void) | undefined;
    let unsubscribed = false;
    const orchestrator = {
      subscribe: (_runId: string, next: (event: RuntimeEvent) => void) => {
        listener = next;
        return () => {
          unsubscribed = true;
        };
      },
      get: () => Promise.resolve(undefined),
    } as unknown as Orchestrator;
    const metrics = createSidecarMetrics({ defaultMetrics: false });
    const observer = createRunObserver({ orchestrator, metrics, logger: pino({ level: 'silent' }) });
    const runId = asRunId('run-1');
    observer.watch(runId);
    expect(observer.watching).toBe(1);
    const base = { runId, at: '2026-01-01T00:00:00.000Z' };
    const usage = { inputTokens: 100, outputTokens: 40, cacheReadTokens: 10, cacheWriteTokens: 0, reasoningTokens: 5, costUsd: 0.0123 };
    const events: RuntimeEvent[] = [
      { ...base, seq: 1, type: 'task.ready', taskId: asTaskId('a') },
      { ...base, seq: 2, type: 'task.started', taskId: asTaskId('a'), attempt: 1, model: 'gpt-x' },
      { ...base, seq: 3, type: 'task.completed', taskId: asTaskId('a'), attempt: 1, usage, costUsd: 0.0123 },
      { ...base, seq: 4, type: 'provider.circuit', provider: 'openai', model: 'gpt-x', from: 'closed', to: 'open' },
      { ...base, seq: 5, type: 'run.completed', usage },
    ];
    for (const event of events) listener?.(event);

    const chat = spans.find((span) => span.name === 'chat gpt-x');
    expect(chat?.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-x',
      'gen_ai.usage.input_tokens': 100,
      'gen_ai.usage.output_tokens': 40,
      'gen_ai.usage.cache_read_input_tokens': 10,
      'gen_ai.usage.reasoning_tokens': 5,
      'runtime.cost.usd': 0.0123,
      'runtime.run.id': 'run-1',
      'runtime.task.id': 'a',
    });
    expect(chat?.ended).toBe(true);
    const run = spans.find((span) => span.name === 'runtime.run');
    expect(run).toMatchObject({ ended: true, attributes: { 'runtime.run.state': 'completed', 'runtime.cost.usd': 0.0123 } });
    expect(unsubscribed).toBe(true);
    expect(observer.watching).toBe(0);

    const text = await metrics.registry.metrics();
    expect(text).toContain('runtime_tokens_total{type="input",model="gpt-x"} 100');
    expect(text).toContain('runtime_cost_usd_total{model="gpt-x"} 0.0123');
    expect(text).toContain('runtime_circuit_state{provider="openai",model="gpt-x"} 2');
    expect(text).toContain('runtime_runs_total{state="completed"} 1');
    expect(text).toContain('runtime_queue_depth 0');
  });
});
