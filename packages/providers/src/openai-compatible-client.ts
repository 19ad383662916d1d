/**
 * The OpenAI chat-completions adapter (OpenAI, vLLM, Ollama, LM Studio, OpenRouter, …).
 *
 * @remarks
 * Plain `fetch` (Node's undici), no SDK: the caller's `AbortSignal` and the deadline abort the
 * request and close its socket, `retry-after-ms` / `retry-after` are read from the raw headers, and
 * nothing retries behind the resilient client's back. Streaming asks for
 * `stream_options.include_usage` so usage is the provider's, not an estimate. This adapter does
 * not retry, break circuits or deduplicate: wrap it with {@link createResilientClient}.
 */
import type { LlmCallOptions, LlmRequest, LlmResult, LlmStreamChunk } from '@runtime/contracts';
import type { Clock, FinishReason, Message, ToolCall } from '@runtime/contracts';
import { resolveClock, resolveFetch, tokens, trimTrailingSlash } from './internal/adapter-options.js';
import type { FetchFunction } from './fetch-function.js';
import { openHttpCall, type HttpCall, type HttpEndpoint } from './internal/http-call.js';
import type { StreamingLlmClient } from './streaming-llm-client.js';
import { parseSse } from './internal/sse.js';
import { ProviderError } from '@runtime/contracts';

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
   * The request field for the completion cap: OpenAI's reasoning models need
   * `max_completion_tokens`; some compatible servers only know `max_tokens`.
   * @defaultValue `'max_tokens'`
   */
  readonly maxTokensField?: 'max_tokens' | 'max_completion_tokens';
  /** `fetch` to use. @defaultValue the global `fetch` */
  readonly fetch?: FetchFunction;
  /** For `retry-after` HTTP dates. @defaultValue `systemClock` */
  readonly clock?: Clock;
}

interface OpenAiToolCallWire {
  readonly id?: string;
  readonly index?: number;
  readonly function?: { readonly name?: string; readonly arguments?: string };
}

interface OpenAiUsageWire {
  readonly prompt_tokens?: number;
  readonly completion_tokens?: number;
  readonly prompt_tokens_details?: { readonly cached_tokens?: number } | null;
  readonly completion_tokens_details?: { readonly reasoning_tokens?: number } | null;
}

interface OpenAiChoiceWire {
  readonly message?: { readonly content?: string | null; readonly tool_calls?: readonly OpenAiToolCallWire[] };
  readonly delta?: { readonly content?: string | null; readonly tool_calls?: readonly OpenAiToolCallWire[] };
  readonly finish_reason?: string | null;
}

interface OpenAiResponseWire {
  readonly id?: string;
  readonly model?: string;
  readonly choices?: readonly OpenAiChoiceWire[];
  readonly usage?: OpenAiUsageWire | null;
}

function toWireMessage(message: Message): Record<string, unknown> {
  if (message.role === 'tool') {
    return { role: 'tool', tool_call_id: message.toolCallId ?? '', content: message.content };
  }
  const wire: Record<string, unknown> = { role: message.role, content: message.content };
  if (message.name !== undefined) wire.name = message.name;
  if (message.role === 'assistant' && message.toolCalls !== undefined && message.toolCalls.length > 0) {
    wire.content = message.content === '' ? null : message.content;
    wire.tool_calls = message.toolCalls.map((call) => ({
      id: call.id,
      type: 'function',
      function: { name: call.name, arguments: call.arguments },
    }));
  }
  return wire;
}

function finishReason(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case 'stop':
      return 'stop';
    case 'length':
      return 'length';
    case 'tool_calls':
    case 'function_call':
      return 'tool_calls';
    case 'content_filter':
      return 'content_filter';
    default:
      return 'other';
  }
}

/** Usage in the contracts' subset rule: OpenAI already reports cached ⊂ prompt, reasoning ⊂ completion. */
function usageOf(usage: OpenAiUsageWire | null | undefined): LlmResult['usage'] {
  return {
    inputTokens: tokens(usage?.prompt_tokens),
    outputTokens: tokens(usage?.completion_tokens),
    cacheReadTokens: tokens(usage?.prompt_tokens_details?.cached_tokens),
    cacheWriteTokens: 0,
    reasoningTokens: tokens(usage?.completion_tokens_details?.reasoning_tokens),
  };
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
  const baseUrl = trimTrailingSlash(options.baseUrl ?? 'https://api.openai.com/v1');
  const doFetch = resolveFetch(options.fetch);
  const clock = resolveClock(options.clock);
  const maxTokensField = options.maxTokensField ?? 'max_tokens';
  const headers: Record<string, string> = { ...options.headers };
  if (options.apiKey !== undefined) headers.authorization = `Bearer ${options.apiKey}`;

  function body(request: LlmRequest, stream: boolean): Record<string, unknown> {
    const wire: Record<string, unknown> = {
      model: request.providerModel ?? request.model,
      messages: request.messages.map(toWireMessage),
      [maxTokensField]: request.maxOutputTokens,
    };
    if (request.temperature !== undefined) wire.temperature = request.temperature;
    if (request.stop !== undefined && request.stop.length > 0) wire.stop = request.stop;
    if (request.responseFormat === 'json') wire.response_format = { type: 'json_object' };
    if (request.tools !== undefined && request.tools.length > 0) {
      wire.tools = request.tools.map((tool) => ({
        type: 'function',
        function: { name: tool.name, description: tool.description, parameters: tool.parameters },
      }));
    }
    if (stream) {
      wire.stream = true;
      wire.stream_options = { include_usage: true };
    }
    return wire;
  }

  const endpoint: HttpEndpoint = { provider, url: `${baseUrl}/chat/completions`, headers, timeoutMs: options.timeoutMs, clock, fetch: doFetch };

  function call(request: LlmRequest, callOptions: LlmCallOptions | undefined, stream: boolean): HttpCall {
    return openHttpCall(endpoint, request, callOptions, body(request, stream));
  }

  return {
    provider,
    async complete(request, callOptions) {
      const http = call(request, callOptions, false);
      const { response, payload } = await http.receiveJson<OpenAiResponseWire>();
      const choice = payload.choices?.[0];
      if (choice === undefined) throw malformed(provider, request.providerModel ?? request.model, 'no choices');
      const toolCalls: ToolCall[] = (choice.message?.tool_calls ?? []).map((wire) => ({
        id: wire.id ?? '',
        name: wire.function?.name ?? '',
        arguments: wire.function?.arguments ?? '',
      }));
      const requestId = http.requestId(response) ?? payload.id;
      return {
        output: choice.message?.content ?? '',
        ...(toolCalls.length > 0 ? { toolCalls } : {}),
        usage: usageOf(payload.usage),
        finishReason: finishReason(choice.finish_reason),
        ...(payload.model === undefined ? {} : { providerModel: payload.model }),
        ...(requestId === undefined ? {} : { requestId }),
        source: 'provider',
        attempts: 1,
      };
    },
    async *stream(request, callOptions): AsyncGenerator<LlmStreamChunk> {
      const http = call(request, callOptions, true);
      const response = await http.send();
      const body = response.body;
      if (body === null) {
        http.finish();
        throw malformed(provider, request.providerModel ?? request.model, 'empty stream body');
      }
      let output = '';
      let reason: string | null | undefined;
      let usage: OpenAiUsageWire | null | undefined;
      let providerModel: string | undefined;
      let responseId: string | undefined;
      const calls = new Map<number, { id: string; name: string; arguments: string }>();
      let completed = false;
      try {
        for await (const event of parseSse(body)) {
          if (event.data === '[DONE]') break;
          let chunk: OpenAiResponseWire & { error?: { message?: string } };
          try {
            chunk = JSON.parse(event.data) as OpenAiResponseWire & { error?: { message?: string } };
          } catch (error) {
            throw malformed(provider, request.providerModel ?? request.model, `bad JSON in stream (${String(error)})`);
          }
          if (chunk.error !== undefined) {
            throw malformed(provider, request.providerModel ?? request.model, chunk.error.message ?? 'error event');
          }
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
            if (delta.id !== undefined) current.id = delta.id;
            if (delta.function?.name !== undefined) current.name += delta.function.name;
            if (delta.function?.arguments !== undefined) current.arguments += delta.function.arguments;
            calls.set(index, current);
          }
          if (choice.finish_reason !== undefined && choice.finish_reason !== null) reason = choice.finish_reason;
        }
        completed = true;
      } catch (error) {
        throw http.mapError(error);
      } finally {
        if (completed) http.finish();
        else http.cancel();
      }
      const toolCalls: ToolCall[] = [...calls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call);
      for (const toolCall of toolCalls) yield { type: 'tool-call', toolCall };
      const requestId = http.requestId(response) ?? responseId;
      yield {
        type: 'done',
        result: {
          output,
          ...(toolCalls.length > 0 ? { toolCalls } : {}),
          usage: usageOf(usage),
          finishReason: finishReason(reason),
          ...(providerModel === undefined ? {} : { providerModel }),
          ...(requestId === undefined ? {} : { requestId }),
          source: 'provider',
          attempts: 1,
        },
      };
    },
  };
}
