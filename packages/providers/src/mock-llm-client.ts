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
  ValidationError,
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
  /** Delay between two streamed chunks of this call, overriding the client's `chunkDelayMs`. */
  readonly chunkDelayMs?: number;
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
      /** Delay between two streamed chunks, overriding the client's `chunkDelayMs`. */
      readonly chunkDelayMs?: number;
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
   * `stream` only: the delay before each chunk after the first (word-sized text pieces, then each
   * tool call's fragments), so a test can watch an answer arrive slowly. Bounded by the caller's
   * abort and `timeoutMs` like the latency. @defaultValue 0
   */
  readonly chunkDelayMs?: number;
  /** `stream` only: the most characters of a tool call's arguments per `tool-call-delta`. @defaultValue 16 */
  readonly toolArgumentsChunkChars?: number;
  /**
   * Whether {@link MockLlmClient.calls} records each call (request, options, signal) for a test to
   * inspect. A long-running server sets `false`: the record grows by about a kilobyte per call.
   * Script order and `mock-<n>` request ids are the same either way. @defaultValue true
   */
  readonly recordCalls?: boolean;
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
  /** Every call received, in order (empty with `recordCalls: false`). */
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
 * @throws {@link @runtime/contracts#ValidationError} `VALIDATION_FAILED` (`details.field`) for a
 * `chunkDelayMs` that is not a finite number ≥ 0 or a `toolArgumentsChunkChars` that is not an integer ≥ 1.
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
  const recordCalls = options.recordCalls ?? true;
  let received = 0;
  const chunkDelayMs = options.chunkDelayMs ?? 0;
  if (!(Number.isFinite(chunkDelayMs) && chunkDelayMs >= 0)) {
    throw new ValidationError({ code: 'VALIDATION_FAILED', message: 'chunkDelayMs must be a finite number ≥ 0.', details: { field: 'chunkDelayMs', value: String(chunkDelayMs) } });
  }
  const argumentsChunk = options.toolArgumentsChunkChars ?? 16;
  if (!(Number.isSafeInteger(argumentsChunk) && argumentsChunk >= 1)) {
    // A NaN size used to send every tool call's arguments as one empty fragment.
    throw new ValidationError({
      code: 'VALIDATION_FAILED',
      message: 'toolArgumentsChunkChars must be an integer ≥ 1.',
      details: { field: 'toolArgumentsChunkChars', value: String(argumentsChunk) },
    });
  }

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
      requestId: `mock-${received}`,
      source: 'provider',
      attempts: 1,
    };
  }

  /** The chunks of an answer: word-sized text pieces, then each tool call's fragments and whole call. */
  function* chunksOf(output: string, toolCalls: readonly ToolCall[]): Generator<LlmStreamChunk> {
    for (const piece of output.match(/\S+\s*|\s+/g) ?? []) yield { type: 'text', text: piece };
    for (let index = 0; index < toolCalls.length; index += 1) {
      const toolCall = toolCalls[index] as ToolCall;
      yield { type: 'tool-call-delta', delta: { index, id: toolCall.id, name: toolCall.name } };
      for (let start = 0; start < toolCall.arguments.length; start += argumentsChunk) {
        yield { type: 'tool-call-delta', delta: { index, arguments: toolCall.arguments.slice(start, start + argumentsChunk) } };
      }
      yield { type: 'tool-call', toolCall };
    }
  }

  /** Yields the chunks, `chunkDelayMs` apart, stopping at an abort or the deadline. */
  async function* paced(
    chunks: Iterable<LlmStreamChunk>,
    delayMs: number,
    request: LlmRequest,
    callOptions: LlmCallOptions | undefined,
  ): AsyncGenerator<LlmStreamChunk> {
    // `timeoutMs` bounds the whole stream, not each wait.
    const timeoutMs = callOptions?.timeoutMs;
    const deadline = timeoutMs === undefined ? undefined : clock.now() + timeoutMs;
    let first = true;
    for (const chunk of chunks) {
      if (!first && delayMs > 0) {
        const remaining = deadline === undefined ? undefined : Math.max(0, deadline - clock.now());
        await wait(delayMs, request, remaining === undefined ? callOptions : { ...callOptions, timeoutMs: remaining });
      }
      first = false;
      if (callOptions?.signal?.aborted === true) {
        throw abortedError(callOptions.signal, { provider, model: request.providerModel ?? request.model });
      }
      yield chunk;
    }
  }

  function nextStep(request: LlmRequest, callOptions: LlmCallOptions | undefined, method: MockCall['method']): MockStep {
    const index = received;
    received += 1;
    if (recordCalls) calls.push({ request, options: callOptions, method });
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
        yield* paced(chunksOf(step.output ?? '', []), step.chunkDelayMs ?? chunkDelayMs, request, callOptions);
        throw cutError(step, request);
      }
      const result = await run(step, request, callOptions);
      const delayMs = isFailure(step) ? chunkDelayMs : (step.chunkDelayMs ?? chunkDelayMs);
      yield* paced(chunksOf(result.output, result.toolCalls ?? []), delayMs, request, callOptions);
      yield { type: 'done', result };
    },
  };
}
