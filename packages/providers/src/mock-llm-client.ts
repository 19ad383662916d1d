/**
 * A deterministic, offline {@link @runtime/contracts#LlmClient} for demos and tests.
 *
 * @remarks
 * Scripted steps (replies or failures) are used one per call, in order; after the script, `respond`
 * decides, and by default the mock echoes the last user message. Failures are the same typed errors
 * the HTTP adapters produce (status codes with Retry-After, connection resets, hangs), so code under
 * test sees exactly what production would. Usage is counted with the injected
 * {@link @runtime/contracts#TokenEstimator}; latency is fixed or seeded-random; every wait honours
 * the caller's abort signal and `timeoutMs`.
 */
import {
  ProviderError,
  type Clock,
  type FinishReason,
  type LlmCallOptions,
  type LlmRequest,
  type LlmResult,
  type LlmStreamChunk,
  type RuntimeError,
  type TokenEstimator,
  type ToolCall,
  type Usage,
} from '@runtime/contracts';
import { abortedError, classifyError } from './classify-error.js';
import { resolveClock } from './internal/adapter-options.js';
import { mockFailureError } from './internal/mock-failure.js';
import { seededRandom } from './internal/random.js';
import { incompleteStream } from './internal/stream-errors.js';
import { simpleEstimator } from './internal/simple-estimator.js';
import { realSleep, untilAborted } from './internal/sleep.js';
import type { StreamingLlmClient } from './streaming-llm-client.js';

/**
 * A scripted answer.
 * @public
 */
export interface MockReply {
  /** The assistant text. @defaultValue `''` */
  readonly output?: string;
  /** Tool calls to request. */
  readonly toolCalls?: readonly ToolCall[];
  /** @defaultValue `'tool_calls'` with tool calls, else `'stop'` */
  readonly finishReason?: FinishReason;
  /** Fields that override the estimated usage (e.g. to simulate cache reads or reasoning). */
  readonly usage?: Partial<Usage>;
  /** Latency of this call, overriding the client's. */
  readonly latencyMs?: number;
}

/**
 * A scripted failure: an HTTP status (with optional Retry-After), a connection reset, a hang
 * that only the caller's abort or `timeoutMs` ends, or a stream cut after some output.
 * @public
 */
export type MockFailure =
  | {
      /** Answer with an HTTP error status. */
      readonly fail: 'status';
      /** The status, e.g. 429, 500, 400. */
      readonly status: number;
      /** The provider's message (`maximum context length` makes a 400 a context-length rejection). */
      readonly message?: string;
      /** The provider's error code (`context_length_exceeded`, `content_policy_violation`, …). */
      readonly code?: string;
      /** A `retry-after` header value: seconds or an HTTP date. */
      readonly retryAfter?: string;
      /** A `retry-after-ms` header value. */
      readonly retryAfterMs?: number;
      /** Latency before the failure. */
      readonly latencyMs?: number;
    }
  | {
      /** The connection is reset (`ECONNRESET`). */
      readonly fail: 'reset';
      /** Latency before the reset. */
      readonly latencyMs?: number;
    }
  | {
      /** Never answers; ends only by abort or `timeoutMs`. */
      readonly fail: 'hang';
    }
  | {
      /**
       * The stream is cut before its terminal event, as the HTTP adapters report it:
       * `PROVIDER_ERROR` `details.reason: 'incomplete_stream'` with `details.usage` (estimated),
       * retryable only when `output` is empty. `stream` yields `output` first, then throws.
       */
      readonly fail: 'incomplete';
      /** The text delivered before the cut. @defaultValue `''` */
      readonly output?: string;
      /** Latency before the first byte. */
      readonly latencyMs?: number;
    };

/**
 * One step of a mock's script.
 * @public
 */
export type MockStep = MockReply | MockFailure;

/**
 * A call the mock received.
 * @public
 */
export interface MockCall {
  /** The request. */
  readonly request: LlmRequest;
  /** The call options (signal, timeout, context). */
  readonly options: LlmCallOptions | undefined;
  /** `complete` or `stream`. */
  readonly method: 'complete' | 'stream';
}

/**
 * Latency: a fixed number of ms, or uniform in `[minMs, maxMs]` from a seeded PRNG.
 * @public
 */
export type MockLatency = number | { readonly minMs: number; readonly maxMs: number; readonly seed?: number };

/**
 * Options of {@link createMockLlmClient}.
 * @public
 */
export interface MockLlmClientOptions {
  /** Provider name. @defaultValue `'mock'` */
  readonly provider?: string;
  /** Steps used one per call, in order. */
  readonly script?: readonly MockStep[];
  /**
   * Decides the answer once the script is used up. `index` counts every call from 0.
   * @defaultValue echo: `echo: <last user message>`
   */
  readonly respond?: (request: LlmRequest, index: number) => MockStep;
  /** Latency of every call. @defaultValue 0 */
  readonly latencyMs?: MockLatency;
  /**
   * Counts usage (inject `@runtime/cost`'s estimator for real token counts).
   * @defaultValue ⌈chars / 4⌉ per text (never 0 for non-empty text), 3 per message, 1 per name,
   * 3 to prime the reply, tools as their JSON text
   */
  readonly estimator?: TokenEstimator;
  /** How to wait (inject a fake for fake-clock tests). @defaultValue a real timer */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** For `retryAfter` HTTP dates. @defaultValue `systemClock` */
  readonly clock?: Clock;
}

/**
 * The mock client: an {@link @runtime/contracts#LlmClient} that also records its calls.
 * @public
 */
export interface MockLlmClient extends StreamingLlmClient {
  /** Every call received, in order. */
  readonly calls: readonly MockCall[];
}

function echo(request: LlmRequest): MockReply {
  const lastUser = [...request.messages].reverse().find((message) => message.role === 'user');
  return { output: `echo: ${lastUser?.content ?? ''}` };
}

function isFailure(step: MockStep): step is MockFailure {
  return 'fail' in step;
}

/**
 * Creates the deterministic mock client.
 *
 * @example
 * ```ts
 * const llm = createMockLlmClient({
 *   script: [{ fail: 'status', status: 429, retryAfter: '1' }, { output: 'hello' }],
 *   estimator: createTokenEstimator(),
 * });
 * ```
 * @public
 */
export function createMockLlmClient(options: MockLlmClientOptions = {}): MockLlmClient {
  const provider = options.provider ?? 'mock';
  const estimator = options.estimator ?? simpleEstimator;
  const sleep = options.sleep ?? realSleep;
  const clock = resolveClock(options.clock);
  const latency = options.latencyMs ?? 0;
  const random = typeof latency === 'number' ? undefined : seededRandom(latency.seed ?? 1);
  const respond = options.respond ?? echo;
  const script = options.script ?? [];
  const calls: MockCall[] = [];

  function latencyFor(step: MockReply | Exclude<MockFailure, { fail: 'hang' }>): number {
    if (step.latencyMs !== undefined) return step.latencyMs;
    if (typeof latency === 'number') return latency;
    const draw = random === undefined ? 0 : random();
    return Math.round(latency.minMs + draw * (latency.maxMs - latency.minMs));
  }

  function timeoutError(request: LlmRequest, timeoutMs: number): ProviderError {
    return new ProviderError({
      code: 'PROVIDER_TIMEOUT',
      message: `${provider} did not answer within ${timeoutMs} ms.`,
      details: { provider, model: request.providerModel ?? request.model, timeoutMs, kind: 'transient' },
    });
  }

  /** Waits `ms`, bounded by the call's deadline and abort. */
  async function wait(ms: number, request: LlmRequest, callOptions: LlmCallOptions | undefined): Promise<void> {
    const signal = callOptions?.signal;
    const context = { provider, model: request.providerModel ?? request.model };
    if (signal?.aborted === true) throw abortedError(signal, context);
    const timeoutMs = callOptions?.timeoutMs;
    const bounded = timeoutMs !== undefined && timeoutMs < ms;
    if (ms <= 0 && !bounded) return;
    try {
      await sleep(bounded ? timeoutMs : ms, signal);
    } catch (error) {
      throw classifyError(error, { ...context, ...(signal === undefined ? {} : { signal }) });
    }
    if (bounded) throw timeoutError(request, timeoutMs);
  }

  /** A hang: ends only by the caller's abort (`RUN_ABORTED`) or its `timeoutMs` (`PROVIDER_TIMEOUT`). */
  async function hang(request: LlmRequest, callOptions: LlmCallOptions | undefined): Promise<never> {
    const signal = callOptions?.signal;
    const timeoutMs = callOptions?.timeoutMs;
    try {
      if (timeoutMs === undefined) await untilAborted(signal);
      else await sleep(timeoutMs, signal);
    } catch (error) {
      throw classifyError(error, { provider, model: request.providerModel ?? request.model, ...(signal === undefined ? {} : { signal }) });
    }
    throw timeoutError(request, timeoutMs ?? 0);
  }

  function resultOf(step: MockReply, request: LlmRequest): LlmResult {
    const model = request.providerModel ?? request.model;
    const output = step.output ?? '';
    const toolCalls = step.toolCalls ?? [];
    const counted =
      estimator.countText(output, model) +
      toolCalls.reduce((sum, call) => sum + estimator.countText(call.name, model) + estimator.countText(call.arguments, model), 0);
    const usage: Usage = {
      inputTokens: estimator.countMessages(request.messages, model, request.tools),
      outputTokens: Math.min(counted, request.maxOutputTokens),
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
      ...step.usage,
    };
    return {
      output,
      ...(toolCalls.length > 0 ? { toolCalls } : {}),
      usage,
      finishReason: step.finishReason ?? (toolCalls.length > 0 ? 'tool_calls' : counted > request.maxOutputTokens ? 'length' : 'stop'),
      providerModel: model,
      requestId: `mock-${calls.length}`,
      source: 'provider',
      attempts: 1,
    };
  }

  /** The output as word-sized text chunks, stopping at an abort. */
  function* pieces(output: string, request: LlmRequest, callOptions: LlmCallOptions | undefined): Generator<LlmStreamChunk> {
    for (const piece of output.match(/\S+\s*|\s+/g) ?? []) {
      if (callOptions?.signal?.aborted === true) {
        throw abortedError(callOptions.signal, { provider, model: request.providerModel ?? request.model });
      }
      yield { type: 'text', text: piece };
    }
  }

  function nextStep(request: LlmRequest, callOptions: LlmCallOptions | undefined, method: MockCall['method']): MockStep {
    const index = calls.length;
    calls.push({ request, options: callOptions, method });
    return script[index] ?? respond(request, index);
  }

  /** The error of a cut stream: what was delivered and the usage it may be billed (estimated). */
  function cutError(step: Extract<MockFailure, { fail: 'incomplete' }>, request: LlmRequest): RuntimeError {
    const model = request.providerModel ?? request.model;
    const output = step.output ?? '';
    const usage: Usage = {
      inputTokens: estimator.countMessages(request.messages, model, request.tools),
      outputTokens: Math.min(estimator.countText(output, model), request.maxOutputTokens),
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
      estimated: true,
    };
    return incompleteStream({ provider, model }, output !== '', usage, 'before its terminal event (scripted)');
  }

  async function run(step: MockStep, request: LlmRequest, callOptions: LlmCallOptions | undefined): Promise<LlmResult> {
    if (isFailure(step)) {
      if (step.fail === 'hang') return hang(request, callOptions);
      if (step.fail === 'incomplete') {
        await wait(latencyFor(step), request, callOptions);
        throw cutError(step, request);
      }
      await wait(latencyFor(step), request, callOptions);
      throw mockFailureError(step, { provider, model: request.providerModel ?? request.model, clock });
    }
    await wait(latencyFor(step), request, callOptions);
    return resultOf(step, request);
  }

  return {
    provider,
    calls,
    complete(request, callOptions) {
      return run(nextStep(request, callOptions, 'complete'), request, callOptions);
    },
    async *stream(request, callOptions) {
      const step = nextStep(request, callOptions, 'stream');
      if (isFailure(step) && step.fail === 'incomplete') {
        await wait(latencyFor(step), request, callOptions);
        yield* pieces(step.output ?? '', request, callOptions);
        throw cutError(step, request);
      }
      const result = await run(step, request, callOptions);
      yield* pieces(result.output, request, callOptions);
      for (const toolCall of result.toolCalls ?? []) yield { type: 'tool-call', toolCall };
      yield { type: 'done', result };
    },
  };
}
