/**
 * `fromLangChain`: a runtime {@link @runtime/contracts#LlmClient} over any LangChain chat model, so a runtime DAG (the
 * orchestrator, budgets, resume) can run on the models a LangChain user already has.
 *
 * @remarks
 * Messages, tools (through the model's `bindTools`), streaming (text, `tool-call-delta` from
 * `tool_call_chunks`, then whole tool calls and the result), usage (`usage_metadata`, cache and
 * reasoning tokens included), the abort signal and the call deadline are mapped; errors become
 * typed runtime errors (status-based classification, `RUN_ABORTED` on abort). Not responsible for
 * retries, budgets or the output cap: the runtime wraps this client for the first two, and the cap
 * reaches the model only through {@link FromLangChainOptions.callOptions} (LangChain has no
 * model-independent call option for it) or the model's own configuration.
 */
import type { AIMessageChunk, BaseMessage } from '@langchain/core/messages';
import type { BaseChatModel, BaseChatModelCallOptions } from '@langchain/core/language_models/chat_models';
import type { Runnable } from '@langchain/core/runnables';
import {
  EMPTY_USAGE,
  ValidationError,
  type LlmCallOptions,
  type LlmClient,
  type LlmRequest,
  type LlmResult,
  type LlmStreamChunk,
} from '@runtime/contracts';
import { toRuntimeError } from './internal/errors.js';
import { textOf, toLangChainMessages } from './internal/messages.js';
import { resultFromMessage } from './internal/results.js';

/**
 * Options of {@link fromLangChain}.
 * @public
 */
export interface FromLangChainOptions {
  /** Provider name the runtime's router, breaker and metrics use. @defaultValue `'langchain'` */
  readonly provider?: string;
  /**
   * Extra call options for one request, e.g. the model's own output-cap option so that the cap the
   * runtime reserved for reaches the provider (`(request) => ({ max_tokens: request.maxOutputTokens })`
   * for models that read it from call options).
   * @defaultValue none: only `signal`, `timeout` and `stop` are passed
   */
  readonly callOptions?: (request: LlmRequest) => Record<string, unknown>;
}

/**
 * The runtime client {@link fromLangChain} returns: always streams.
 * @public
 */
export interface LangChainLlmClient extends LlmClient {
  /** Streams one call; the last chunk is `done` with the full result and usage. */
  stream(request: LlmRequest, options?: LlmCallOptions): AsyncIterable<LlmStreamChunk>;
}

type ChatRunnable = Runnable<BaseMessage[], AIMessageChunk, BaseChatModelCallOptions>;

/**
 * Wraps a LangChain chat model as a runtime {@link @runtime/contracts#LlmClient}.
 *
 * @example
 * ```ts
 * const runtime = createRuntime({ clients: { openai: fromLangChain(new ChatOpenAI({ model: 'gpt-4o-mini' }), { provider: 'openai' }) } });
 * ```
 * @throws from `complete` and `stream`: {@link @runtime/contracts#ProviderError} `PROVIDER_ERROR`
 * (`details.status`, `details.kind`, `isRetryable`), {@link @runtime/contracts#ExecutionError} `RUN_ABORTED`
 * when the signal aborts, {@link @runtime/contracts#ValidationError} `VALIDATION_FAILED` when tools are
 * offered to a model without `bindTools`.
 * @public
 */
export function fromLangChain(model: BaseChatModel, options: FromLangChainOptions = {}): LangChainLlmClient {
  const provider = options.provider ?? 'langchain';

  const prepare = (request: LlmRequest, callOptions: LlmCallOptions | undefined): { runnable: ChatRunnable; config: BaseChatModelCallOptions } => {
    let runnable: ChatRunnable = model;
    if (request.tools !== undefined && request.tools.length > 0) {
      if (model.bindTools === undefined) {
        throw new ValidationError({
          code: 'VALIDATION_FAILED',
          message: `The LangChain model behind ${request.model} has no bindTools, so it cannot be offered tools.`,
          details: { field: 'tools', model: request.model, provider },
        });
      }
      const tools = request.tools.map((tool) => ({ type: 'function' as const, function: { name: tool.name, description: tool.description, parameters: { ...tool.parameters } } }));
      runnable = model.bindTools(tools, request.toolChoice === undefined ? {} : { tool_choice: request.toolChoice });
    }
    const config: BaseChatModelCallOptions = {
      ...(callOptions?.signal === undefined ? {} : { signal: callOptions.signal }),
      ...(callOptions?.timeoutMs === undefined ? {} : { timeout: callOptions.timeoutMs }),
      ...(request.stop === undefined ? {} : { stop: [...request.stop] }),
      ...options.callOptions?.(request),
    };
    return { runnable, config };
  };

  const fail = (error: unknown, request: LlmRequest, callOptions: LlmCallOptions | undefined): never => {
    throw toRuntimeError(error, { provider, model: request.model, signal: callOptions?.signal });
  };

  return {
    provider,
    async complete(request, callOptions) {
      callOptions?.onAttempt?.(1);
      try {
        const { runnable, config } = prepare(request, callOptions);
        const message = await runnable.invoke(toLangChainMessages(request.messages), config);
        return resultFromMessage(message);
      } catch (error) {
        return fail(error, request, callOptions);
      }
    },
    async *stream(request, callOptions) {
      callOptions?.onAttempt?.(1);
      let final: AIMessageChunk | undefined;
      try {
        const { runnable, config } = prepare(request, callOptions);
        const chunks = await runnable.stream(toLangChainMessages(request.messages), config);
        for await (const chunk of chunks) {
          final = final === undefined ? chunk : final.concat(chunk);
          const text = textOf(chunk.content);
          if (text !== '') yield { type: 'text', text };
          for (const [position, piece] of (chunk.tool_call_chunks ?? []).entries()) {
            yield {
              type: 'tool-call-delta',
              delta: {
                index: piece.index ?? position,
                ...(piece.id === undefined ? {} : { id: piece.id }),
                ...(piece.name === undefined ? {} : { name: piece.name }),
                ...(piece.args === undefined ? {} : { arguments: piece.args }),
              },
            };
          }
        }
      } catch (error) {
        fail(error, request, callOptions);
      }
      const result: LlmResult =
        final === undefined ? { output: '', usage: EMPTY_USAGE, finishReason: 'stop', source: 'provider' } : resultFromMessage(final);
      for (const toolCall of result.toolCalls ?? []) yield { type: 'tool-call', toolCall };
      yield { type: 'done', result };
    },
  };
}
