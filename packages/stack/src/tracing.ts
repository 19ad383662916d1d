/**
 * OpenTelemetry spans of runs, tasks and provider calls, through `@opentelemetry/api` when it is
 * installed (an optional peer dependency).
 *
 * @remarks
 * Spans: `runtime.run` (INTERNAL; a root, or a child of the caller's context or W3C `traceparent`),
 * one `runtime.task {taskId}` (INTERNAL) per task under it, and one `chat {model}` (CLIENT) per
 * provider attempt under its task — the client decorator wraps each adapter client below the
 * router and the resilient wrapper, so every retry is its own CLIENT span. Attribute names come
 * from `@opentelemetry/semantic-conventions/incubating` (GenAI conventions). Task and run spans are
 * driven by the run's events (`orchestrator.subscribe`); retries, budget, breaker, dedup and
 * compaction become span events. Parents are passed explicitly (`trace.setSpan` +
 * `tracer.startSpan(name, options, parent)`): nothing here calls `context.with`, and the
 * AsyncLocalStorage of a context manager is only read for a provider call made outside any traced
 * run. Without `@opentelemetry/api` everything is off; with the API but no SDK the tracer is the
 * API's no-op one and no run is subscribed to. Not responsible for exporting (the application
 * registers an SDK) nor for runs resumed after a crash (their calls get CLIENT spans under the
 * active context, without a run span).
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as OtelApiModule from '@opentelemetry/api';
import type { Attributes, Context, Span, SpanContext, Tracer, TracerProvider } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_REQUEST_STREAM,
  ATTR_GEN_AI_REQUEST_TEMPERATURE,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_ID,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
  ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
  GEN_AI_OPERATION_NAME_VALUE_CHAT,
} from '@opentelemetry/semantic-conventions/incubating';
import {
  asRunId,
  RuntimeError,
  ValidationError,
  type LlmCallContext,
  type LlmCallOptions,
  type LlmClient,
  type LlmRequest,
  type LlmResult,
  type LlmStreamChunk,
  type Orchestrator,
  type Run,
  type RunSpec,
  type RuntimeEvent,
  type StartRunOptions,
  type Usage,
} from '@runtime/contracts';
import type { ResilienceEvent, ResilientClientOptions } from '@runtime/providers';

type OtelApi = typeof OtelApiModule;

/**
 * The W3C trace-context headers of an incoming request.
 * @public
 */
export interface TraceHeaders {
  /** `traceparent`, e.g. `00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01`. */
  readonly traceparent: string;
  /** `tracestate`, passed on as is. */
  readonly tracestate?: string;
}

/**
 * An OpenTelemetry `Context` (structurally: `@opentelemetry/api` need not be installed to compile
 * against this package).
 * @public
 */
export interface OtelContextLike {
  /** Reads a value. */
  getValue(key: symbol): unknown;
  /** A copy with a value set. */
  setValue(key: symbol, value: unknown): OtelContextLike;
  /** A copy without a value. */
  deleteValue(key: symbol): OtelContextLike;
}

/**
 * Where a run's span hangs: an OpenTelemetry context holding the parent span, a W3C `traceparent`
 * string, or the trace-context headers.
 * @public
 */
export type TraceParent = OtelContextLike | TraceHeaders | string;

/**
 * Options of {@link Runtime.run} and {@link Runtime.start}.
 * @public
 */
export interface RuntimeRunOptions extends StartRunOptions {
  /**
   * The parent of the run's `runtime.run` span (e.g. the caller's HTTP server span). A malformed
   * `traceparent` is refused with `VALIDATION_FAILED` (see {@link parseTraceparent} to check one
   * first). @defaultValue the run span is a root span
   */
  readonly traceParent?: TraceParent;
}

/**
 * An OpenTelemetry `TracerProvider` (structurally).
 * @public
 */
export interface TracerProviderLike {
  /** Returns a tracer. */
  getTracer(name: string, version?: string): unknown;
}

/**
 * Tracing settings of {@link RuntimeOptions.tracing}.
 * @public
 */
export interface RuntimeTracingOptions {
  /** Where spans go. @defaultValue the global provider of `@opentelemetry/api` */
  readonly tracerProvider?: TracerProviderLike;
}

/**
 * The parts of a W3C `traceparent`.
 * @public
 */
export interface ParsedTraceparent {
  /** 32 lowercase hex digits, not all zero. */
  readonly traceId: string;
  /** 16 lowercase hex digits, not all zero. */
  readonly parentId: string;
  /** The trace flags (bit 0: sampled). */
  readonly traceFlags: number;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/**
 * Parses a W3C `traceparent` header (trace-context level 1; later versions are read by their
 * version-00 prefix).
 * @returns its parts, or undefined when it is malformed (a server then starts a new trace).
 * @public
 */
export function parseTraceparent(value: string): ParsedTraceparent | undefined {
  const match = TRACEPARENT.exec(value.trim());
  if (match === null) return undefined;
  const [, version, traceId, parentId, flags, rest] = match as unknown as [string, string, string, string, string, string | undefined];
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (/^0+$/.test(traceId) || /^0+$/.test(parentId)) return undefined;
  return { traceId, parentId, traceFlags: Number.parseInt(flags, 16) };
}

/**
 * Loads `@opentelemetry/api` if installed.
 * @internal
 */
export function loadOtelApi(load: (id: string) => unknown = createRequire(import.meta.url)): OtelApi | undefined {
  try {
    return load('@opentelemetry/api') as OtelApi;
  } catch {
    return undefined;
  }
}

const TRACER_NAME = '@runtime/stack';

interface TaskTrace {
  readonly span: Span;
  readonly context: Context;
}

interface RunTrace {
  readonly span: Span;
  readonly context: Context;
  /** False for a run span that is not recorded (sampled out, or no SDK with a remote parent). */
  readonly recording: boolean;
  readonly tasks: Map<string, TaskTrace>;
  /** Tasks whose span has ended (completed, failed, skipped): later events go to the run span. */
  readonly ended: Set<string>;
  unsubscribe?: () => void;
  closed: boolean;
}

/**
 * The tracing of one runtime.
 * @internal
 */
export class RuntimeTracing {
  readonly #api: OtelApi;
  readonly #tracer: Tracer;
  readonly #runs = new Map<string, RunTrace>();

  constructor(api: OtelApi, provider?: TracerProviderLike) {
    this.#api = api;
    this.#tracer = ((provider as TracerProvider | undefined) ?? api.trace).getTracer(TRACER_NAME);
  }

  /** Runs with an open trace (for tests and leak checks). */
  get openRuns(): number {
    return this.#runs.size;
  }

  /** Starts a run under a `runtime.run` span and follows its events until it ends. */
  async start(orchestrator: Orchestrator, spec: RunSpec, options: RuntimeRunOptions = {}): Promise<Run> {
    const { traceParent, ...startOptions } = options;
    const api = this.#api;
    const parent = traceParent === undefined ? api.ROOT_CONTEXT : this.#parentContext(traceParent);
    const span = this.#tracer.startSpan('runtime.run', { kind: api.SpanKind.INTERNAL }, parent);
    const recording = span.isRecording();
    if (!recording && !api.isSpanContextValid(span.spanContext())) {
      // No SDK and no parent: nothing to trace, nothing to follow.
      return orchestrator.start(spec, startOptions);
    }
    const trace: RunTrace = { span, context: api.trace.setSpan(parent, span), recording, tasks: new Map(), ended: new Set(), closed: false };
    // Known before the run starts, so the first provider call already finds its run's span.
    const runId = startOptions.runId ?? (spec.idempotencyKey === undefined ? asRunId(randomUUID()) : undefined);
    if (runId !== undefined) this.#runs.set(runId, trace);
    let run: Run;
    try {
      run = await orchestrator.start(spec, runId === undefined ? startOptions : { ...startOptions, runId });
    } catch (error) {
      if (runId !== undefined) this.#runs.delete(runId);
      failSpan(api, span, error);
      span.end();
      throw error;
    }
    span.setAttribute('runtime.run.id', run.id);
    if (runId === undefined) {
      if (this.#runs.has(run.id) || TERMINAL.has(run.state)) {
        // A repeated idempotent start: the run is already traced (or over); this span only records
        // the repeat.
        span.setAttributes({ 'runtime.run.repeated': true, 'runtime.run.state': run.state });
        span.end();
        return run;
      }
      this.#runs.set(run.id, trace);
    }
    if (recording) {
      trace.unsubscribe = orchestrator.subscribe(run.id, (event) => {
        this.#onEvent(run.id, trace, event);
      });
    }
    // The terminal event ends the trace; this covers a run that ended before the subscription and
    // unrecorded runs, which follow no events.
    orchestrator.wait(run.id).then(
      (final) => this.#endRun(run.id, trace, final.state, final.error?.message),
      (error: unknown) => this.#endRun(run.id, trace, 'failed', error instanceof Error ? error.message : String(error)),
    );
    return run;
  }

  /**
   * Puts the resilient client's events on spans: a circuit change on every run span open here (a
   * breaker serves every run), a fallback, cache hit or exhausted retry budget on its task's span.
   */
  onResilienceEvent(event: ResilienceEvent): void {
    switch (event.type) {
      case 'provider.circuit':
        for (const run of this.#runs.values()) {
          if (!run.recording) continue;
          run.span.addEvent('provider.circuit', circuitAttributes(event));
        }
        return;
      case 'provider.fallback':
      case 'provider.cache-hit':
      case 'provider.retry-budget-exhausted': {
        const run = event.runId === undefined ? undefined : this.#runs.get(event.runId);
        if (run === undefined || !run.recording) return;
        const { type, runId: _runId, taskId, ...fields } = event;
        const attributes = scalarAttributes(fields);
        if ('error' in event) attributes[ATTR_ERROR_TYPE] = event.error.code;
        const span = taskId === undefined || run.ended.has(taskId) ? run.span : this.#task(run, taskId).span;
        span.addEvent(type, attributes);
        return;
      }
      default:
        // Retries and dedup reach the spans as run events (task.retrying, provider.deduplicated).
        return;
    }
  }

  /** Wraps a provider client: one CLIENT span per call, under its task's span. */
  wrapClient(client: LlmClient): LlmClient {
    const stream = client.stream?.bind(client);
    const wrapped: LlmClient = {
      provider: client.provider,
      complete: (request, options) => {
        const span = this.#startCall(client.provider, request, options, false);
        // Not recorded (no SDK, or sampled out): the call goes straight through.
        if (!span.isRecording()) return client.complete(request, options);
        return client.complete(request, options).then(
          (result) => {
            endCall(span, result);
            return result;
          },
          (error: unknown) => {
            failSpan(this.#api, span, error);
            span.end();
            throw error;
          },
        );
      },
    };
    if (stream === undefined) return wrapped;
    return {
      ...wrapped,
      stream: (request, options) => {
        const span = this.#startCall(client.provider, request, options, true);
        return span.isRecording() ? this.#streamCall(span, stream(request, options)) : stream(request, options);
      },
    };
  }

  async *#streamCall(span: Span, chunks: AsyncIterable<LlmStreamChunk>): AsyncGenerator<LlmStreamChunk> {
    const started = performance.now();
    let first = true;
    let ended = false;
    try {
      for await (const chunk of chunks) {
        if (first && chunk.type !== 'done') {
          first = false;
          span.setAttribute(ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, (performance.now() - started) / 1000);
        }
        if (chunk.type === 'done') {
          ended = true;
          endCall(span, chunk.result);
        }
        yield chunk;
      }
    } catch (error) {
      if (!ended) {
        ended = true;
        failSpan(this.#api, span, error);
        span.end();
      }
      throw error;
    } finally {
      // The consumer stopped reading before the answer was complete.
      if (!ended) {
        span.setAttribute(ATTR_ERROR_TYPE, 'cancelled');
        span.end();
      }
    }
  }

  #startCall(provider: string, request: LlmRequest, options: LlmCallOptions | undefined, streaming: boolean): Span {
    const model = request.providerModel ?? request.model;
    const parent = this.#callParent(options?.context);
    const span = this.#tracer.startSpan(`chat ${model}`, { kind: this.#api.SpanKind.CLIENT }, parent);
    if (!span.isRecording()) return span;
    const attributes: Attributes = {
      [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_NAME_VALUE_CHAT,
      [ATTR_GEN_AI_PROVIDER_NAME]: provider,
      [ATTR_GEN_AI_REQUEST_MODEL]: model,
      [ATTR_GEN_AI_REQUEST_MAX_TOKENS]: request.maxOutputTokens,
    };
    if (streaming) attributes[ATTR_GEN_AI_REQUEST_STREAM] = true;
    if (request.temperature !== undefined) attributes[ATTR_GEN_AI_REQUEST_TEMPERATURE] = request.temperature;
    const context = options?.context;
    if (context?.taskId !== undefined) attributes['runtime.task.id'] = context.taskId;
    if (context?.attempt !== undefined) attributes['runtime.task.attempt'] = context.attempt;
    span.setAttributes(attributes);
    return span;
  }

  /** The task span's context of a call, else the active context (a call outside any traced run). */
  #callParent(call: LlmCallContext | undefined): Context {
    const run = call?.runId === undefined ? undefined : this.#runs.get(call.runId);
    if (run === undefined) return this.#api.context.active();
    if (call?.taskId === undefined || !run.recording || run.ended.has(call.taskId)) return run.context;
    return this.#task(run, call.taskId).context;
  }

  #task(run: RunTrace, taskId: string): TaskTrace {
    let task = run.tasks.get(taskId);
    if (task === undefined) {
      const span = this.#tracer.startSpan(`runtime.task ${taskId}`, { kind: this.#api.SpanKind.INTERNAL, attributes: { 'runtime.task.id': taskId } }, run.context);
      task = { span, context: this.#api.trace.setSpan(run.context, span) };
      run.tasks.set(taskId, task);
    }
    return task;
  }

  /** The task's span, taken out of the run (created if the task had none yet). */
  #endTask(run: RunTrace, taskId: string): Span {
    const span = this.#task(run, taskId).span;
    run.tasks.delete(taskId);
    run.ended.add(taskId);
    return span;
  }

  #onEvent(runId: string, run: RunTrace, event: RuntimeEvent): void {
    switch (event.type) {
      case 'task.delta':
      case 'run.started':
      case 'task.added':
      case 'task.ready':
        return;
      case 'task.started': {
        const span = this.#task(run, event.taskId).span;
        span.setAttribute('runtime.task.attempt', event.attempt);
        span.addEvent('task.started', { 'runtime.task.attempt': event.attempt, 'runtime.model': event.model });
        return;
      }
      case 'task.retrying':
        this.#task(run, event.taskId).span.addEvent('task.retrying', {
          'runtime.task.attempt': event.attempt,
          'runtime.retry.delay_ms': event.delayMs,
          [ATTR_ERROR_TYPE]: event.error.code,
        });
        return;
      case 'task.completed': {
        const span = this.#endTask(run, event.taskId);
        span.setAttributes({
          ...usageAttributes(event.usage),
          'runtime.cost_usd': event.costUsd,
          'runtime.task.attempt': event.attempt,
          'runtime.result.source': event.source ?? 'provider',
        });
        span.end();
        return;
      }
      case 'task.failed': {
        const span = this.#endTask(run, event.taskId);
        span.setAttributes({ ...usageAttributes(event.usage), 'runtime.cost_usd': event.usage.costUsd, [ATTR_ERROR_TYPE]: event.error.code });
        span.setStatus({ code: this.#api.SpanStatusCode.ERROR, message: event.error.message });
        span.end();
        return;
      }
      case 'task.skipped': {
        const attributes = { 'runtime.task.id': event.taskId, 'runtime.skip.reason': event.reason };
        const task = run.tasks.get(event.taskId);
        run.ended.add(event.taskId);
        if (task === undefined) {
          // Never started: no span of its own.
          run.span.addEvent('task.skipped', attributes);
          return;
        }
        run.tasks.delete(event.taskId);
        task.span.setAttributes(attributes);
        task.span.end();
        return;
      }
      case 'provider.circuit':
        run.span.addEvent('provider.circuit', circuitAttributes(event));
        return;
      case 'run.completed':
      case 'run.failed':
      case 'run.aborted':
        run.span.setAttributes({ ...usageAttributes(event.usage), 'runtime.cost_usd': event.usage.costUsd });
        this.#endRun(runId, run, event.type.slice('run.'.length), event.type === 'run.completed' ? undefined : event.type === 'run.failed' ? event.error.message : (event.reason ?? 'aborted'));
        return;
      default: {
        // Everything else that concerns one task (budget, waiting, throttling, compaction, dedup,
        // tools, agent steps) is an event of its span, with the event's scalar fields.
        const { type, runId: _runId, seq: _seq, at: _at, taskId, ...fields } = event;
        const attributes = scalarAttributes(fields);
        if (run.ended.has(taskId)) run.span.addEvent(type, { ...attributes, 'runtime.task.id': taskId });
        else this.#task(run, taskId).span.addEvent(type, attributes);
      }
    }
  }

  #endRun(runId: string, run: RunTrace, state: string, message: string | undefined): void {
    if (run.closed) return;
    run.closed = true;
    run.unsubscribe?.();
    if (this.#runs.get(runId) === run) this.#runs.delete(runId);
    for (const task of run.tasks.values()) task.span.end();
    run.tasks.clear();
    run.span.setAttribute('runtime.run.state', state);
    if (message !== undefined && state !== 'completed') run.span.setStatus({ code: this.#api.SpanStatusCode.ERROR, message });
    run.span.end();
  }

  #parentContext(parent: TraceParent): Context {
    const api = this.#api;
    if (typeof parent !== 'string' && !('traceparent' in parent)) return parent;
    const header = typeof parent === 'string' ? parent : parent.traceparent;
    const parsed = parseTraceparent(header);
    if (parsed === undefined) {
      throw new ValidationError({
        code: 'VALIDATION_FAILED',
        message: `Not a W3C traceparent: ${JSON.stringify(header)}.`,
        details: { field: 'traceParent', value: header },
      });
    }
    const tracestate = typeof parent === 'string' ? undefined : parent.tracestate;
    const spanContext: SpanContext = {
      traceId: parsed.traceId,
      spanId: parsed.parentId,
      traceFlags: parsed.traceFlags,
      isRemote: true,
      ...(tracestate === undefined || tracestate === '' ? {} : { traceState: api.createTraceState(tracestate) }),
    };
    return api.trace.setSpanContext(api.ROOT_CONTEXT, spanContext);
  }
}

const TERMINAL: ReadonlySet<string> = new Set(['completed', 'failed', 'aborted']);

function usageAttributes(usage: Pick<Usage, 'inputTokens' | 'outputTokens' | 'cacheReadTokens' | 'cacheWriteTokens' | 'reasoningTokens'>): Attributes {
  return {
    [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: usage.inputTokens,
    [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: usage.outputTokens,
    [ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]: usage.cacheReadTokens,
    [ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS]: usage.cacheWriteTokens,
    [ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS]: usage.reasoningTokens,
  };
}

/** The attributes of a circuit change (a resilience event or a journaled `provider.circuit`). */
function circuitAttributes(event: { readonly provider: string; readonly model: string; readonly from: string; readonly to: string }): Attributes {
  return { [ATTR_GEN_AI_PROVIDER_NAME]: event.provider, 'runtime.model': event.model, 'runtime.circuit.from': event.from, 'runtime.circuit.to': event.to };
}

function scalarAttributes(fields: Readonly<Record<string, unknown>>): Attributes {
  const attributes: Attributes = {};
  for (const [key, value] of Object.entries(fields)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') attributes[`runtime.${snakeCase(key)}`] = value;
  }
  return attributes;
}

function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

function endCall(span: Span, result: LlmResult): void {
  const attributes: Attributes = {
    ...usageAttributes(result.usage),
    [ATTR_GEN_AI_RESPONSE_FINISH_REASONS]: [result.finishReason],
  };
  if (result.providerModel !== undefined) attributes[ATTR_GEN_AI_RESPONSE_MODEL] = result.providerModel;
  if (result.requestId !== undefined) attributes[ATTR_GEN_AI_RESPONSE_ID] = result.requestId;
  span.setAttributes(attributes);
  span.end();
}

function failSpan(api: OtelApi, span: Span, error: unknown): void {
  const code = RuntimeError.isInstance(error) ? error.code : error instanceof Error ? error.name : 'Error';
  span.setAttribute(ATTR_ERROR_TYPE, code);
  span.setStatus({ code: api.SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

/**
 * Creates the tracing of a runtime, or undefined when it is off or `@opentelemetry/api` is not installed.
 * @internal
 */
export function createTracing(option: boolean | RuntimeTracingOptions | undefined, load: () => OtelApi | undefined = loadOtelApi): RuntimeTracing | undefined {
  if (option === false) return undefined;
  const api = load();
  if (api === undefined) return undefined;
  return new RuntimeTracing(api, option === true || option === undefined ? undefined : option.tracerProvider);
}

/**
 * Resilience options whose `onEvent` also feeds the tracing (the caller's `onEvent` still gets every event).
 * @internal
 */
export function tracedResilience(options: ResilientClientOptions, tracing: RuntimeTracing): ResilientClientOptions {
  const onEvent = options.onEvent;
  return {
    ...options,
    onEvent: (event) => {
      tracing.onResilienceEvent(event);
      onEvent?.(event);
    },
  };
}

/**
 * An orchestrator whose `start` opens the run's trace (for helpers that start runs themselves,
 * such as `runtime.stream`).
 * @internal
 */
export function tracedOrchestrator(orchestrator: Orchestrator, tracing: RuntimeTracing): Orchestrator {
  return {
    start: (spec, options) => tracing.start(orchestrator, spec, options),
    get: (runId) => orchestrator.get(runId),
    addTasks: (runId, tasks) => orchestrator.addTasks(runId, tasks),
    abort: (runId, reason) => orchestrator.abort(runId, reason),
    wait: (runId) => orchestrator.wait(runId),
    resume: (runId) => orchestrator.resume(runId),
    provideInput: (runId, taskId, response) => orchestrator.provideInput(runId, taskId, response),
    events: (runId, afterSeq) => orchestrator.events(runId, afterSeq),
    subscribe: (runId, listener) => orchestrator.subscribe(runId, listener),
  };
}
