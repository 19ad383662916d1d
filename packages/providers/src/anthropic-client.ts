/**
 * The Anthropic Messages API adapter.
 *
 * @remarks
 * Plain `fetch`, no SDK, for the same reasons as the OpenAI-compatible adapter (real socket close on
 * abort, raw Retry-After headers, no hidden retries). System messages become the top-level `system`
 * field; tool calls and results become `tool_use` / `tool_result` blocks. Usage is normalized to the
 * contracts' subset rule: input = `input_tokens` + cache reads + cache writes. In a stream, usage
 * comes from `message_start` and is updated by `message_delta`; what Anthropic did not send (a
 * stream cut before `message_delta`) is replaced by an upper bound marked `usage.estimated`. A
 * `tool_use` block streams as `tool-call-delta` chunks (its id and name at `content_block_start`, then
 * each `input_json_delta.partial_json`), and whole as a `tool-call` chunk at its `content_block_stop`.
 * A stream is complete only with `message_stop`: anything shorter is a typed `incomplete_stream`
 * error. An answer without any content block is the typed error `empty_response` (retryable,
 * with its billed usage), except a refusal, which is a `content_filter` result. No retries here:
 * wrap it with {@link createResilientClient}.
 */
import { ProviderError, type Clock, type RuntimeError, type LlmResult, type LlmStreamChunk, type ToolCall, type Usage } from '@runtime/contracts';
import type { LlmCallOptions, LlmRequest } from '@runtime/contracts';
import { incompleteStream, streamFailure } from './internal/stream-errors.js';
import { resolveClock, resolveFetch, trimTrailingSlash } from './internal/adapter-options.js';
import {
  anthropicBody,
  anthropicFinishReason,
  anthropicUsage,
  type AnthropicUsageWire,
} from './internal/anthropic-wire.js';
import type { FetchFunction } from './fetch-function.js';
import { openHttpCall, type HttpCall, type HttpEndpoint } from './internal/http-call.js';
import type { StreamingLlmClient } from './streaming-llm-client.js';
import { httpFailureToError } from './classify-error.js';
import { parseSse } from './internal/sse.js';
import { wholeAnswerChunks } from './internal/whole-answer-chunks.js';

/**
 * Options of {@link createAnthropicClient}.
 * @public
 */
export interface AnthropicClientOptions {
  /** API root (without `/v1`). @defaultValue `'https://api.anthropic.com'` */
  readonly baseUrl?: string;
  /** Sent as `x-api-key`. */
  readonly apiKey?: string;
  /** `anthropic-version` header. @defaultValue `'2023-06-01'` */
  readonly version?: string;
  /** Extra headers on every request (e.g. `anthropic-beta`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Provider name for breakers, errors and logs. @defaultValue `'anthropic'` */
  readonly provider?: string;
  /** Deadline of a call when the caller gives none, in ms. @defaultValue none */
  readonly timeoutMs?: number;
  /** `fetch` to use. @defaultValue the global `fetch` */
  readonly fetch?: FetchFunction;
  /** For `retry-after` HTTP dates. @defaultValue `systemClock` */
  readonly clock?: Clock;
}

interface ContentBlockWire {
  readonly type?: string;
  readonly text?: string;
  readonly id?: string;
  readonly name?: string;
  readonly input?: unknown;
}

interface MessageWire {
  readonly id?: string;
  readonly model?: string;
  readonly content?: readonly ContentBlockWire[];
  readonly stop_reason?: string | null;
  readonly usage?: AnthropicUsageWire;
  /** An error body sent with status 200 (a proxy, or a server that ignored `stream: true`). */
  readonly type?: string;
  readonly error?: { readonly type?: string; readonly message?: string };
}

interface StreamEventWire {
  readonly type?: string;
  readonly message?: MessageWire;
  readonly index?: number;
  readonly content_block?: ContentBlockWire;
  readonly delta?: { readonly type?: string; readonly text?: string; readonly partial_json?: string; readonly stop_reason?: string | null };
  readonly usage?: AnthropicUsageWire;
  readonly error?: { readonly type?: string; readonly message?: string };
}

function malformed(provider: string, model: string, what: string): ProviderError {
  return new ProviderError({
    code: 'PROVIDER_ERROR',
    message: `${provider} sent a malformed response: ${what}.`,
    details: { provider, model, kind: 'transient', reason: 'malformed_response' },
    isRetryable: true,
  });
}

/**
 * An answer with neither text nor tool calls. Anthropic does send these (an `end_turn` right after
 * a tool result, for instance); `output: ''` would pass for a real answer downstream, so it is a
 * typed error instead: retryable (a new sample usually answers), with the usage it was billed.
 */
function emptyResponse(provider: string, model: string, stopReason: string | null | undefined, usage: Usage): ProviderError {
  return new ProviderError({
    code: 'PROVIDER_ERROR',
    message: `${provider} answered without any content block (stop_reason ${String(stopReason)}).`,
    details: { provider, model, kind: 'transient', reason: 'empty_response', stopReason: stopReason ?? null, usage: { ...usage } },
    isRetryable: true,
  });
}

/** Whether an answer with no text and no tool call is empty rather than cut or refused. */
function isEmpty(result: Pick<LlmResult, 'output' | 'toolCalls' | 'finishReason'>): boolean {
  return (
    result.output === '' &&
    (result.toolCalls === undefined || result.toolCalls.length === 0) &&
    result.finishReason !== 'length' &&
    result.finishReason !== 'content_filter'
  );
}

/** Maps an in-stream `error` event to the status Anthropic would have answered with. */
function streamErrorStatus(type: string | undefined): number {
  switch (type) {
    case 'overloaded_error':
      return 529;
    case 'rate_limit_error':
      return 429;
    case 'invalid_request_error':
      return 400;
    case 'authentication_error':
      return 401;
    case 'permission_error':
      return 403;
    case 'not_found_error':
      return 404;
    case 'request_too_large':
      return 413;
    default:
      return 500;
  }
}

/** An Anthropic `error` object (in a stream or a 200 body), classified as the HTTP failure it stands for. */
function errorEvent(error: { readonly type?: string; readonly message?: string } | undefined, context: { provider: string; model: string }): RuntimeError {
  return httpFailureToError(
    {
      status: streamErrorStatus(error?.type),
      message: error?.message ?? 'error event in stream',
      ...(error?.type === undefined ? {} : { providerCode: error.type }),
    },
    context,
  );
}

/**
 * Creates an {@link @runtime/contracts#LlmClient} for the Anthropic Messages API.
 *
 * @example
 * ```ts
 * const claude = createAnthropicClient({ apiKey: process.env.ANTHROPIC_API_KEY });
 * const result = await claude.complete({ model: asModelId('claude-sonnet'), providerModel: 'claude-sonnet-4-5', messages, maxOutputTokens: 512 });
 * ```
 * @public
 */
export function createAnthropicClient(options: AnthropicClientOptions = {}): StreamingLlmClient {
  const provider = options.provider ?? 'anthropic';
  const baseUrl = trimTrailingSlash(options.baseUrl ?? 'https://api.anthropic.com');
  const doFetch = resolveFetch(options.fetch);
  const clock = resolveClock(options.clock);
  const headers: Record<string, string> = { 'anthropic-version': options.version ?? '2023-06-01', ...options.headers };
  if (options.apiKey !== undefined) headers['x-api-key'] = options.apiKey;

  const endpoint: HttpEndpoint = { provider, url: `${baseUrl}/v1/messages`, headers, timeoutMs: options.timeoutMs, clock, fetch: doFetch };

  function call(request: LlmRequest, callOptions: LlmCallOptions | undefined, stream: boolean): HttpCall {
    return openHttpCall(endpoint, request, callOptions, anthropicBody(request, stream));
  }

  /** The result of a JSON answer (`complete`, or a server that ignored `stream: true`). */
  function resultOf(request: LlmRequest, http: HttpCall, response: Response, payload: MessageWire): LlmResult {
    const model = request.providerModel ?? request.model;
    if (payload.type === 'error') throw errorEvent(payload.error, { provider, model });
    if (payload.content === undefined) throw malformed(provider, model, 'no content');
    let output = '';
    const toolCalls: ToolCall[] = [];
    for (const block of payload.content) {
      if (block.type === 'text') output += block.text ?? '';
      else if (block.type === 'tool_use') {
        toolCalls.push({ id: block.id ?? '', name: block.name ?? '', arguments: JSON.stringify(block.input ?? {}) });
      }
    }
    const requestId = http.requestId(response) ?? payload.id;
    const result: LlmResult = {
      output,
      ...(toolCalls.length > 0 ? { toolCalls } : {}),
      usage: anthropicUsage(payload.usage, request, { output, toolCalls, outputFinal: true }),
      finishReason: anthropicFinishReason(payload.stop_reason),
      ...(payload.model === undefined ? {} : { providerModel: payload.model }),
      ...(requestId === undefined ? {} : { requestId }),
      source: 'provider',
      attempts: 1,
    };
    if (isEmpty(result)) throw emptyResponse(provider, model, payload.stop_reason, result.usage);
    return result;
  }

  return {
    provider,
    async complete(request, callOptions) {
      const http = call(request, callOptions, false);
      const { response, payload } = await http.receiveJson<MessageWire>();
      return resultOf(request, http, response, payload);
    },
    async *stream(request, callOptions): AsyncGenerator<LlmStreamChunk> {
      const model = request.providerModel ?? request.model;
      const context = { provider, model };
      const http = call(request, callOptions, true);
      const response = await http.send();
      if (http.isJson(response)) {
        // A server that ignored `stream: true`: its JSON answer is the whole result.
        const result = resultOf(request, http, response, await http.readJson<MessageWire>(response));
        yield* wholeAnswerChunks(result);
        return;
      }
      const body = response.body;
      if (body === null) {
        http.finish();
        throw malformed(provider, model, 'empty stream body');
      }
      let output = '';
      let usage: AnthropicUsageWire = {};
      let sawDelta = false;
      let sawStop = false;
      let stopReason: string | null | undefined;
      let providerModel: string | undefined;
      let messageId: string | undefined;
      // By content-block index; `call` is the tool call's position among the answer's calls (the
      // fragments' `index`), which differs from the block index when text blocks come first.
      const blocks = new Map<number, { id: string; name: string; json: string; call: number }>();
      let callsStarted = 0;
      const toolCalls: ToolCall[] = [];
      const usageSoFar = (): Usage => {
        const unfinished = [...blocks.values()].map((block) => ({ name: block.name, arguments: block.json }));
        return anthropicUsage(usage, request, { output, toolCalls: [...toolCalls, ...unfinished], outputFinal: sawDelta });
      };
      let completed = false;
      try {
        for await (const event of parseSse(body)) {
          let data: StreamEventWire;
          try {
            data = JSON.parse(event.data) as StreamEventWire;
          } catch (error) {
            // The last event, cut before its blank line: the stream was cut (judged below).
            if (!event.terminated) break;
            throw malformed(provider, model, `bad JSON in stream (${String(error)})`);
          }
          const type = data.type ?? event.event;
          if (type === 'message_start') {
            providerModel = data.message?.model;
            messageId = data.message?.id;
            usage = { ...data.message?.usage };
          } else if (type === 'content_block_start' && data.content_block?.type === 'tool_use') {
            const block = { id: data.content_block.id ?? '', name: data.content_block.name ?? '', json: '', call: callsStarted };
            callsStarted += 1;
            blocks.set(data.index ?? 0, block);
            yield { type: 'tool-call-delta', delta: { index: block.call, id: block.id, name: block.name } };
          } else if (type === 'content_block_delta') {
            if (data.delta?.type === 'text_delta' && data.delta.text !== undefined && data.delta.text !== '') {
              output += data.delta.text;
              yield { type: 'text', text: data.delta.text };
            } else if (data.delta?.type === 'input_json_delta') {
              const block = blocks.get(data.index ?? 0);
              const fragment = data.delta.partial_json ?? '';
              if (block !== undefined && fragment !== '') {
                block.json += fragment;
                yield { type: 'tool-call-delta', delta: { index: block.call, arguments: fragment } };
              }
            }
          } else if (type === 'content_block_stop') {
            const block = blocks.get(data.index ?? 0);
            if (block !== undefined) {
              blocks.delete(data.index ?? 0);
              const toolCall: ToolCall = { id: block.id, name: block.name, arguments: block.json === '' ? '{}' : block.json };
              toolCalls.push(toolCall);
              yield { type: 'tool-call', toolCall };
            }
          } else if (type === 'message_delta') {
            if (data.delta?.stop_reason !== undefined) stopReason = data.delta.stop_reason;
            // message_delta carries cumulative counts; newer API versions repeat the input side too.
            usage = mergeUsage(usage, data.usage);
            if (typeof data.usage?.output_tokens === 'number') sawDelta = true;
          } else if (type === 'message_stop') {
            sawStop = true;
            break;
          } else if (type === 'error') {
            throw errorEvent(data.error, context);
          }
        }
        completed = true;
      } catch (error) {
        throw streamFailure(http.mapError(error), context, output !== '' || callsStarted > 0, usageSoFar);
      } finally {
        if (completed) http.finish();
        else http.cancel();
      }
      const delivered = output !== '' || callsStarted > 0;
      if (!sawStop) throw incompleteStream(context, delivered, usageSoFar(), 'before message_stop');
      const requestId = http.requestId(response) ?? messageId;
      const result: LlmResult = {
        output,
        ...(toolCalls.length > 0 ? { toolCalls } : {}),
        usage: usageSoFar(),
        finishReason: anthropicFinishReason(stopReason),
        ...(providerModel === undefined ? {} : { providerModel }),
        ...(requestId === undefined ? {} : { requestId }),
        source: 'provider',
        attempts: 1,
      };
      if (isEmpty(result)) throw emptyResponse(provider, model, stopReason, result.usage);
      yield { type: 'done', result };
    },
  };
}

/** `message_delta` usage over `message_start`'s: numbers replace, `cache_creation` merges. */
function mergeUsage(current: AnthropicUsageWire, delta: AnthropicUsageWire | undefined): AnthropicUsageWire {
  const result: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(delta ?? {})) {
    if (typeof value === 'number') result[key] = value;
    else if (key === 'cache_creation' && typeof value === 'object' && value !== null) {
      result[key] = { ...current.cache_creation, ...(value as Record<string, unknown>) };
    }
  }
  return result;
}
