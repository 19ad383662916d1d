/**
 * `toLangChain` / `RuntimeChatModel`: a LangChain chat model that calls through a runtime
 * {@link @runtime/contracts#LlmClient}, for users who stay in LangChain but want the runtime's client chain (retries
 * with Retry-After, circuit breaker, in-flight dedup, fallback models, policy).
 *
 * @remarks
 * `_generate` calls `complete`, `_streamResponseChunks` calls `stream` (or `complete` when the client
 * does not stream); the answer carries `usage_metadata` (cache and reasoning tokens included) and,
 * in `response_metadata`, the attempts the client made and where the result came from. Tools bound
 * with `bindTools` are sent as runtime tool definitions. The output cap is always sent (call option
 * `maxTokens`, else the model's `maxTokens`, else the catalog's limit, else 4096), so a worst case
 * reserved for it bounds the call. Not responsible for budgets: attach a
 * {@link RuntimeCallbackHandler}, which reads the cap from this model's invocation parameters.
 */
import { AIMessage, AIMessageChunk, type BaseMessage, type StandardMessageStructure } from '@langchain/core/messages';
import type { CallbackManagerForLLMRun } from '@langchain/core/callbacks/manager';
import {
  BaseChatModel,
  type BaseChatModelCallOptions,
  type BaseChatModelParams,
  type BindToolsInput,
  type LangSmithParams,
} from '@langchain/core/language_models/chat_models';
import type { BaseLanguageModelInput } from '@langchain/core/language_models/base';
import { ChatGenerationChunk, type ChatResult } from '@langchain/core/outputs';
import type { Runnable } from '@langchain/core/runnables';
import { convertToOpenAITool } from '@langchain/core/utils/function_calling';
import {
  asModelId,
  DEFAULT_MAX_OUTPUT_TOKENS,
  ValidationError,
  type LlmCallContext,
  type LlmCallOptions,
  type LlmClient,
  type LlmRequest,
  type LlmResult,
  type ModelCatalog,
  type ToolChoice,
  type ToolDefinition,
} from '@runtime/contracts';
import { fromLangChainMessages, toLangChainToolCalls } from './internal/messages.js';
import { metadataFromUsage } from './internal/usage.js';

/**
 * Call options of {@link RuntimeChatModel}.
 * @public
 */
export interface RuntimeChatModelCallOptions extends BaseChatModelCallOptions {
  /** Tools offered (set by `bindTools`). */
  readonly tools?: readonly ToolDefinition[];
  /** Output cap of this call. */
  readonly maxTokens?: number;
}

/**
 * Options of {@link toLangChain}.
 * @public
 */
export interface ToLangChainOptions extends BaseChatModelParams {
  /** Catalog model id every call uses. */
  readonly model: string;
  /** The catalog, for the model's output limit (the default cap). */
  readonly catalog?: ModelCatalog;
  /** Output cap. @defaultValue the catalog's `maxOutputTokens` for the model, else 4096 */
  readonly maxTokens?: number;
  /** Sampling temperature. */
  readonly temperature?: number;
  /** Who the calls are for (run, task), passed to the client. */
  readonly context?: LlmCallContext;
}

function toolChoiceOf(choice: BaseChatModelCallOptions['tool_choice']): ToolChoice | undefined {
  if (choice === undefined) return undefined;
  if (choice === 'auto' || choice === 'none' || choice === 'required') return choice;
  // `any`, a tool name or a provider-specific object: the model must call a tool.
  return 'required';
}

function toolDefinitionOf(tool: BindToolsInput): ToolDefinition {
  const converted = convertToOpenAITool(tool);
  return {
    name: converted.function.name,
    description: converted.function.description ?? '',
    parameters: converted.function.parameters ?? { type: 'object', properties: {} },
  };
}

function answerMetadata(result: LlmResult): Record<string, unknown> {
  return {
    finish_reason: result.finishReason,
    attempts: result.attempts ?? 1,
    source: result.source ?? 'provider',
    ...(result.providerModel === undefined ? {} : { model_name: result.providerModel }),
    ...(result.requestId === undefined ? {} : { request_id: result.requestId }),
  };
}

/**
 * A LangChain chat model backed by a runtime {@link @runtime/contracts#LlmClient}. Create it with {@link toLangChain}.
 * @public
 */
export class RuntimeChatModel extends BaseChatModel<RuntimeChatModelCallOptions> {
  /** The client every call goes through. */
  readonly client: LlmClient;
  /** Catalog model id. */
  readonly model: string;
  /** Output cap when a call sets none. */
  readonly maxTokens: number;
  /** Sampling temperature. */
  readonly temperature: number | undefined;
  readonly #context: LlmCallContext | undefined;

  /** Creates the model; prefer {@link toLangChain}. */
  constructor(client: LlmClient, options: ToLangChainOptions) {
    super(options);
    const maxTokens = options.maxTokens ?? options.catalog?.get(options.model).maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS;
    if (!Number.isSafeInteger(maxTokens) || maxTokens < 1) {
      throw new ValidationError({ code: 'VALIDATION_FAILED', message: 'maxTokens must be an integer ≥ 1.', details: { field: 'maxTokens', value: String(maxTokens) } });
    }
    this.client = client;
    this.model = options.model;
    this.maxTokens = maxTokens;
    this.temperature = options.temperature;
    this.#context = options.context;
  }

  /** LangChain's model type tag. */
  _llmType(): string {
    return 'agent-runtime';
  }

  /** The parameters of a call, as callback handlers and tracers see them. */
  override invocationParams(options?: this['ParsedCallOptions']): Record<string, unknown> {
    return {
      model: this.model,
      max_tokens: options?.maxTokens ?? this.maxTokens,
      ...(this.temperature === undefined ? {} : { temperature: this.temperature }),
      ...(options?.tools === undefined ? {} : { tools: options.tools.map((tool) => ({ type: 'function', function: tool })) }),
    };
  }

  /** LangSmith parameters (also read by {@link RuntimeCallbackHandler}). */
  override getLsParams(options: this['ParsedCallOptions']): LangSmithParams {
    return {
      ls_provider: this.client.provider,
      ls_model_name: this.model,
      ls_model_type: 'chat',
      ls_max_tokens: options.maxTokens ?? this.maxTokens,
      ...(this.temperature === undefined ? {} : { ls_temperature: this.temperature }),
    };
  }

  /** Binds tools (any LangChain tool shape) and an optional `tool_choice`. */
  override bindTools(tools: BindToolsInput[], kwargs?: Partial<RuntimeChatModelCallOptions>): Runnable<BaseLanguageModelInput, AIMessageChunk, RuntimeChatModelCallOptions> {
    return this.withConfig({ ...kwargs, tools: tools.map(toolDefinitionOf) });
  }

  /** Runs one call through the client. */
  async _generate(messages: BaseMessage[], options: this['ParsedCallOptions']): Promise<ChatResult> {
    const result = await this.client.complete(this.#request(messages, options), this.#callOptions(options));
    const toolCalls = result.toolCalls === undefined ? [] : toLangChainToolCalls(result.toolCalls);
    const usage = metadataFromUsage(result.usage);
    const message = new AIMessage<StandardMessageStructure>({ content: result.output, tool_calls: toolCalls, usage_metadata: usage, response_metadata: answerMetadata(result) });
    return { generations: [{ text: result.output, message }], llmOutput: { tokenUsage: { promptTokens: usage.input_tokens, completionTokens: usage.output_tokens, totalTokens: usage.total_tokens } } };
  }

  /** Streams one call through the client (text and tool-call fragments, then usage). */
  override async *_streamResponseChunks(messages: BaseMessage[], options: this['ParsedCallOptions'], runManager?: CallbackManagerForLLMRun): AsyncGenerator<ChatGenerationChunk> {
    const request = this.#request(messages, options);
    const callOptions = this.#callOptions(options);
    if (this.client.stream === undefined) {
      const { generations } = await this._generate(messages, options);
      for (const generation of generations) {
        const message = generation.message as AIMessage;
        yield new ChatGenerationChunk({
          text: generation.text,
          message: new AIMessageChunk<StandardMessageStructure>({
            content: generation.text,
            tool_call_chunks: (message.tool_calls ?? []).map((call, index) => ({
              index,
              ...(call.id === undefined ? {} : { id: call.id }),
              name: call.name,
              args: JSON.stringify(call.args),
              type: 'tool_call_chunk' as const,
            })),
            ...(message.usage_metadata === undefined ? {} : { usage_metadata: message.usage_metadata }),
            response_metadata: message.response_metadata,
          }),
        });
      }
      return;
    }
    const streamed = new Set<number>();
    let wholeCalls = 0;
    for await (const part of this.client.stream(request, callOptions)) {
      if (part.type === 'text') {
        const chunk = new ChatGenerationChunk({ text: part.text, message: new AIMessageChunk({ content: part.text }) });
        yield chunk;
        await runManager?.handleLLMNewToken(part.text, undefined, undefined, undefined, undefined, { chunk });
      } else if (part.type === 'tool-call-delta') {
        streamed.add(part.delta.index);
        const { index, id, name } = part.delta;
        yield new ChatGenerationChunk({
          text: '',
          message: new AIMessageChunk({ content: '', tool_call_chunks: [{ index, ...(id === undefined ? {} : { id }), ...(name === undefined ? {} : { name }), args: part.delta.arguments ?? '', type: 'tool_call_chunk' }] }),
        });
      } else if (part.type === 'tool-call') {
        const index = wholeCalls;
        wholeCalls += 1;
        // A client that sends whole calls only (no fragments): deliver the call as one fragment.
        if (streamed.has(index)) continue;
        yield new ChatGenerationChunk({
          text: '',
          message: new AIMessageChunk({ content: '', tool_call_chunks: [{ index, id: part.toolCall.id, name: part.toolCall.name, args: part.toolCall.arguments, type: 'tool_call_chunk' }] }),
        });
      } else {
        yield new ChatGenerationChunk({
          text: '',
          message: new AIMessageChunk<StandardMessageStructure>({ content: '', usage_metadata: metadataFromUsage(part.result.usage), response_metadata: answerMetadata(part.result) }),
        });
      }
    }
  }

  #request(messages: BaseMessage[], options: this['ParsedCallOptions']): LlmRequest {
    const toolChoice = toolChoiceOf(options.tool_choice);
    return {
      model: asModelId(this.model),
      messages: fromLangChainMessages(messages),
      maxOutputTokens: options.maxTokens ?? this.maxTokens,
      ...(options.tools === undefined || options.tools.length === 0 ? {} : { tools: options.tools }),
      ...(toolChoice === undefined ? {} : { toolChoice }),
      ...(this.temperature === undefined ? {} : { temperature: this.temperature }),
      ...(options.stop === undefined ? {} : { stop: options.stop }),
    };
  }

  #callOptions(options: this['ParsedCallOptions']): LlmCallOptions {
    return {
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(options.timeout === undefined ? {} : { timeoutMs: options.timeout }),
      ...(this.#context === undefined ? {} : { context: this.#context }),
    };
  }
}

/**
 * A LangChain chat model that calls through a runtime client (e.g. `runtime.llm` of
 * `createRuntime`, which retries, breaks circuits and deduplicates).
 *
 * @example
 * ```ts
 * const runtime = createRuntime();
 * const model = toLangChain(runtime.llm, { model: 'mock-fast', catalog: runtime.catalog });
 * const answer = await ChatPromptTemplate.fromTemplate('Say hi to {name}').pipe(model).invoke({ name: 'Ada' });
 * ```
 * @throws {@link @runtime/contracts#ModelError} `UNKNOWN_MODEL` when `catalog` is given and lacks the model;
 * {@link @runtime/contracts#ValidationError} for a bad `maxTokens`.
 * @public
 */
export function toLangChain(client: LlmClient, options: ToLangChainOptions): RuntimeChatModel {
  return new RuntimeChatModel(client, options);
}
