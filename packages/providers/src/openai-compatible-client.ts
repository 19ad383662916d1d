/**
 * The OpenAI chat-completions adapter (OpenAI, vLLM, Ollama, LM Studio, OpenRouter, …).
 *
 * @remarks
 * Plain `fetch` (Node's undici), no SDK: the caller's `AbortSignal` and the deadline abort the
 * request and close its socket, `retry-after-ms` / `retry-after` are read from the raw headers, and
 * nothing retries behind the resilient client's back. Streaming asks for
 * `stream_options.include_usage` so usage is the provider's; what a server leaves out is replaced
 * by an upper bound marked `usage.estimated`. Tool-call arguments stream as `tool-call-delta` chunks
 * (`delta.tool_calls[i]`, fragments sharing the call's `index`); each whole call follows as a
 * `tool-call` chunk once the stream is complete. A stream is complete only with `[DONE]` (or, for
 * servers that omit it, a `finish_reason` before the body ends); anything shorter is a typed
 * `incomplete_stream` error, never a success. This adapter does not retry, break circuits or
 * deduplicate: wrap it with {@link createResilientClient}.
 */
import type { LlmCallOptions, LlmRequest, LlmResult, LlmStreamChunk, ModelCatalog } from '@runtime/contracts';
import type { Clock, ToolCall, ToolCallDelta } from '@runtime/contracts';
import { ProviderError } from '@runtime/contracts';
import { outputCap, resolveClock, resolveFetch, trimTrailingSlash } from './internal/adapter-options.js';
import type { FetchFunction } from './fetch-function.js';
import { openHttpCall, type HttpCall, type HttpEndpoint } from './internal/http-call.js';
import {
  openAiFinishReason,
  openAiStreamError,
  openAiUsage,
  toWireMessage,
  type OpenAiResponseWire,
  type OpenAiToolCallWire,
  type OpenAiUsageWire,
} from './internal/openai-wire.js';
import { wholeAnswerChunks } from './internal/whole-answer-chunks.js';
import { incompleteStream, isTransportFailure, streamFailure } from './internal/stream-errors.js';
import type { StreamingLlmClient } from './streaming-llm-client.js';
import { parseSse } from './internal/sse.js';

/** OpenAI's own API root: the default base URL, where `max_completion_tokens` is the default field. */
const OPENAI_BASE_URL = 'https://api.openai.com/v1';

/**
 * Options of {@link createOpenAiCompatibleClient}.
 * @public
 */
export interface OpenAiCompatibleClientOptions {
  /** API root, up to and including `/v1`. @defaultValue `'https://api.openai.com/v1'` */
  readonly baseUrl?: string;
  /** Sent as `Authorization: Bearer …` when set (local servers often need none). */
  readonly apiKey?: string;
  /** Extra headers on every request (e.g. `OpenAI-Organization`, OpenRouter's `HTTP-Referer`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Provider name for breakers, errors and logs. @defaultValue `'openai'` */
  readonly provider?: string;
  /** Deadline of a call when the caller gives none, in ms. @defaultValue none */
  readonly timeoutMs?: number;
  /**
   * The request field for the completion cap when the model's catalog entry does not name one
   * (`capabilities.outputTokensParam`, see `catalog`): OpenAI's o-series and gpt-5 models accept
   * only `max_completion_tokens`; some compatible servers only know `max_tokens`.
   * @defaultValue `'max_completion_tokens'` for OpenAI itself (provider `openai` or the official
   * base URL), `'max_tokens'` for every other server
   */
  readonly maxTokensField?: 'max_tokens' | 'max_completion_tokens';
  /**
   * Where the adapter looks up a request's model (`find(request.model)`) for
   * `capabilities.outputTokensParam`, which wins over `maxTokensField`. Not needed behind
   * {@link createProviderRouter}: the router hands the entry over (`LlmCallOptions.modelInfo`).
   * @defaultValue none
   */
  readonly catalog?: Pick<ModelCatalog, 'find'>;
  /** `fetch` to use. @defaultValue the global `fetch` */
  readonly fetch?: FetchFunction;
  /** For `retry-after` HTTP dates. @defaultValue `systemClock` */
  readonly clock?: Clock;
}

function malformed(provider: string, model: string, what: string): ProviderError {
  return new ProviderError({
    code: 'PROVIDER_ERROR',
    message: `${provider} sent a malformed response: ${what}.`,
    details: { provider, model, kind: 'transient', reason: 'malformed_response' },
    isRetryable: true,
  });
}

/** Tool calls of a JSON answer. */
function toolCallsOf(payload: OpenAiResponseWire): ToolCall[] {
  return (payload.choices?.[0]?.message?.tool_calls ?? []).map((wire) => ({
    id: wire.id ?? '',
    name: wire.function?.name ?? '',
    arguments: wire.function?.arguments ?? '',
  }));
}

/** The caller-visible fragment of one streamed `tool_calls[i]` entry (undefined when it carries nothing). */
function toolCallDelta(index: number, wire: OpenAiToolCallWire): ToolCallDelta | undefined {
  const id = wire.id !== undefined && wire.id !== '' ? wire.id : undefined;
  const name = wire.function?.name !== undefined && wire.function.name !== '' ? wire.function.name : undefined;
  const args = wire.function?.arguments !== undefined && wire.function.arguments !== '' ? wire.function.arguments : undefined;
  if (id === undefined && name === undefined && args === undefined) return undefined;
  return { index, ...(id === undefined ? {} : { id }), ...(name === undefined ? {} : { name }), ...(args === undefined ? {} : { arguments: args }) };
}

/**
 * Creates an {@link @runtime/contracts#LlmClient} for any OpenAI-compatible chat-completions API.
 *
 * @remarks
 * Usage maps `prompt_tokens` → input (cached tokens included, as OpenAI reports them),
 * `prompt_tokens_details.cached_tokens` → cache reads, `completion_tokens_details.reasoning_tokens`
 * → reasoning. OpenAI has no cache-write charge, so cache writes are 0.
 *
 * @example
 * ```ts
 * const openai = createOpenAiCompatibleClient({ apiKey: process.env.OPENAI_API_KEY });
 * const result = await openai.complete({ model: asModelId('gpt-4o-mini'), messages, maxOutputTokens: 256 });
 * ```
 * @public
 */
export function createOpenAiCompatibleClient(options: OpenAiCompatibleClientOptions = {}): StreamingLlmClient {
  const provider = options.provider ?? 'openai';
  const baseUrl = trimTrailingSlash(options.baseUrl ?? OPENAI_BASE_URL);
  const doFetch = resolveFetch(options.fetch);
  const clock = resolveClock(options.clock);
  const defaultField =
    options.maxTokensField ?? (provider === 'openai' || baseUrl === OPENAI_BASE_URL ? 'max_completion_tokens' : 'max_tokens');
  const catalog = options.catalog;
  const headers: Record<string, string> = { ...options.headers };
  if (options.apiKey !== undefined) headers.authorization = `Bearer ${options.apiKey}`;

  function body(request: LlmRequest, callOptions: LlmCallOptions | undefined, stream: boolean): Record<string, unknown> {
    const info = callOptions?.modelInfo ?? catalog?.find(request.model);
    const field = info?.capabilities?.outputTokensParam ?? defaultField;
    const wire: Record<string, unknown> = {
      model: request.providerModel ?? request.model,
      messages: request.messages.map(toWireMessage),
      [field]: outputCap(request),
    };
    if (request.temperature !== undefined) wire.temperature = request.temperature;
    if (request.stop !== undefined && request.stop.length > 0) wire.stop = request.stop;
    if (request.responseFormat === 'json') wire.response_format = { type: 'json_object' };
    if (request.tools !== undefined && request.tools.length > 0) {
      wire.tools = request.tools.map((tool) => ({
        type: 'function',
        function: { name: tool.name, description: tool.description, parameters: tool.parameters },
      }));
      // OpenAI's tool_choice takes the same three words ('auto' | 'required' | 'none').
      if (request.toolChoice !== undefined) wire.tool_choice = request.toolChoice;
    }
    if (stream) {
      wire.stream = true;
      wire.stream_options = { include_usage: true };
    }
    return wire;
  }

  const endpoint: HttpEndpoint = { provider, url: `${baseUrl}/chat/completions`, headers, timeoutMs: options.timeoutMs, clock, fetch: doFetch };

  function call(request: LlmRequest, callOptions: LlmCallOptions | undefined, stream: boolean): HttpCall {
    return openHttpCall(endpoint, request, callOptions, body(request, callOptions, stream));
  }

  /** The result of a JSON answer (`complete`, or a server that ignored `stream: true`). */
  function resultOf(request: LlmRequest, http: HttpCall, response: Response, payload: OpenAiResponseWire): LlmResult {
    const model = request.providerModel ?? request.model;
    if (payload.error !== undefined) throw openAiStreamError(payload.error, { provider, model });
    const choice = payload.choices?.[0];
    if (choice === undefined) throw malformed(provider, model, 'no choices');
    const toolCalls = toolCallsOf(payload);
    const output = choice.message?.content ?? '';
    const requestId = http.requestId(response) ?? payload.id;
    return {
      output,
      ...(toolCalls.length > 0 ? { toolCalls } : {}),
      usage: openAiUsage(payload.usage, request, output, toolCalls),
      finishReason: openAiFinishReason(choice.finish_reason),
      ...(payload.model === undefined ? {} : { providerModel: payload.model }),
      ...(requestId === undefined ? {} : { requestId }),
      source: 'provider',
      attempts: 1,
    };
  }

  return {
    provider,
    async complete(request, callOptions) {
      const http = call(request, callOptions, false);
      const { response, payload } = await http.receiveJson<OpenAiResponseWire>();
      return resultOf(request, http, response, payload);
    },
    async *stream(request, callOptions): AsyncGenerator<LlmStreamChunk> {
      const model = request.providerModel ?? request.model;
      const context = { provider, model };
      const http = call(request, callOptions, true);
      const response = await http.send();
      if (http.isJson(response)) {
        // A server that ignored `stream: true`: its JSON answer is the whole result.
        const result = resultOf(request, http, response, await http.readJson<OpenAiResponseWire>(response));
        yield* wholeAnswerChunks(result);
        return;
      }
      const body = response.body;
      if (body === null) {
        http.finish();
        throw malformed(provider, model, 'empty stream body');
      }
      let output = '';
      let reason: string | null | undefined;
      let usage: OpenAiUsageWire | null | undefined;
      let providerModel: string | undefined;
      let responseId: string | undefined;
      let sawDone = false;
      const calls = new Map<number, { id: string; name: string; arguments: string }>();
      const toolCallsSoFar = (): ToolCall[] => [...calls.entries()].sort(([a], [b]) => a - b).map(([, entry]) => entry);
      const usageSoFar = () => openAiUsage(usage, request, output, toolCallsSoFar());
      // Tool-call fragments count as delivered output too: a retry would repeat them.
      let fragmentsDelivered = false;
      const delivered = (): boolean => output !== '' || fragmentsDelivered;
      let completed = false;
      try {
        for await (const event of parseSse(body)) {
          if (event.data === '[DONE]') {
            sawDone = true;
            break;
          }
          let chunk: OpenAiResponseWire;
          try {
            chunk = JSON.parse(event.data) as OpenAiResponseWire;
          } catch (error) {
            // The last event, cut before its blank line: the stream was cut (judged below).
            if (!event.terminated) break;
            throw malformed(provider, model, `bad JSON in stream (${String(error)})`);
          }
          if (chunk.error !== undefined) throw openAiStreamError(chunk.error, context);
          providerModel ??= chunk.model;
          responseId ??= chunk.id;
          if (chunk.usage !== undefined && chunk.usage !== null) usage = chunk.usage;
          const choice = chunk.choices?.[0];
          if (choice === undefined) continue;
          const text = choice.delta?.content;
          if (typeof text === 'string' && text !== '') {
            output += text;
            yield { type: 'text', text };
          }
          for (const delta of choice.delta?.tool_calls ?? []) {
            const index = delta.index ?? 0;
            const current = calls.get(index) ?? { id: '', name: '', arguments: '' };
            if (delta.id !== undefined && delta.id !== '') current.id = delta.id;
            // Assigned, not appended (as the official SDK does): some servers repeat the name.
            if (delta.function?.name !== undefined && delta.function.name !== '') current.name = delta.function.name;
            if (delta.function?.arguments !== undefined) current.arguments += delta.function.arguments;
            calls.set(index, current);
            const fragment = toolCallDelta(index, delta);
            if (fragment !== undefined) {
              fragmentsDelivered = true;
              yield { type: 'tool-call-delta', delta: fragment };
            }
          }
          if (choice.finish_reason !== undefined && choice.finish_reason !== null) reason = choice.finish_reason;
        }
        completed = true;
      } catch (error) {
        const failure = http.mapError(error);
        // The model had finished (finish_reason) when the connection broke: the answer is whole,
        // only the usage chunk may be missing (then estimated). Aborts and timeouts still count.
        if (reason === undefined || !isTransportFailure(failure)) throw streamFailure(failure, context, delivered(), usageSoFar);
      } finally {
        if (completed) http.finish();
        else http.cancel();
      }
      // Complete: `[DONE]`, or a finish_reason from a server that omits `[DONE]`.
      if (!sawDone && (reason === undefined || reason === null)) {
        throw incompleteStream(context, delivered(), usageSoFar(), 'before its finish_reason');
      }
      const toolCalls = toolCallsSoFar();
      for (const toolCall of toolCalls) yield { type: 'tool-call', toolCall };
      const requestId = http.requestId(response) ?? responseId;
      yield {
        type: 'done',
        result: {
          output,
          ...(toolCalls.length > 0 ? { toolCalls } : {}),
          usage: usageSoFar(),
          finishReason: openAiFinishReason(reason),
          ...(providerModel === undefined ? {} : { providerModel }),
          ...(requestId === undefined ? {} : { requestId }),
          source: 'provider',
          attempts: 1,
        },
      };
    },
  };
}
