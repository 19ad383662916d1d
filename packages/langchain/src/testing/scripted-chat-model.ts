/**
 * A fake LangChain chat model that reports `usage_metadata` (with cache and reasoning tokens),
 * calls tools and streams in small pieces: LangChain's own fakes report no usage, so budgets and
 * cost cannot be tested against them.
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
import type { UsageMetadata } from '@langchain/core/messages';
import { ChatGenerationChunk, type ChatResult } from '@langchain/core/outputs';
import type { Runnable } from '@langchain/core/runnables';

/**
 * One scripted answer of {@link ScriptedChatModel}.
 * @public
 */
export interface ScriptedAnswer {
  /** The text. @defaultValue `''` */
  readonly content?: string;
  /** Tool calls (arguments as an object). */
  readonly toolCalls?: readonly { readonly id: string; readonly name: string; readonly args: Record<string, unknown> }[];
  /** Reported usage; absent means the model reports none. */
  readonly usage?: UsageMetadata;
  /** Throw this instead of answering. */
  readonly error?: Error;
}

/**
 * Options of {@link ScriptedChatModel}.
 * @public
 */
export interface ScriptedChatModelOptions extends BaseChatModelParams {
  /** Answers, one per call, the last one repeated. @defaultValue `[]` (then `respond` answers) */
  readonly answers?: readonly ScriptedAnswer[];
  /** Answers a call once `answers` is used up (`index` counts every call from 0). */
  readonly respond?: (messages: readonly BaseMessage[], index: number) => ScriptedAnswer;
  /** Model name reported to callbacks (`ls_model_name`). @defaultValue `'scripted'` */
  readonly model?: string;
  /** Output cap reported to callbacks (`max_tokens`). */
  readonly maxTokens?: number;
  /** Wait before answering each call, in ms (cut short by the call's abort signal). @defaultValue 0 */
  readonly delayMs?: number;
  /** Characters per streamed piece of text and of tool arguments. @defaultValue 4 */
  readonly pieceChars?: number;
}

/**
 * Call options of {@link ScriptedChatModel}.
 * @public
 */
export interface ScriptedChatModelCallOptions extends BaseChatModelCallOptions {
  /** Tools bound with `bindTools` (kept so tests can see them). */
  readonly tools?: readonly BindToolsInput[];
}

function pieces(text: string, size: number): string[] {
  const result: string[] = [];
  for (let start = 0; start < text.length; start += size) result.push(text.slice(start, start + size));
  return result;
}

/**
 * The scripted fake model.
 * @public
 */
export class ScriptedChatModel extends BaseChatModel<ScriptedChatModelCallOptions> {
  /** Calls that reached the model (`_generate` or `_streamResponseChunks`). */
  calls = 0;
  /** The messages of each call. */
  readonly received: BaseMessage[][] = [];
  /** The tools of each call. */
  readonly receivedTools: (readonly BindToolsInput[] | undefined)[] = [];
  readonly #answers: readonly ScriptedAnswer[];
  readonly #respond: ((messages: readonly BaseMessage[], index: number) => ScriptedAnswer) | undefined;
  readonly #model: string;
  readonly #maxTokens: number | undefined;
  readonly #pieceChars: number;
  readonly #delayMs: number;

  /** Creates the model. */
  constructor(options: ScriptedChatModelOptions) {
    super(options);
    this.#answers = options.answers ?? [];
    this.#respond = options.respond;
    this.#model = options.model ?? 'scripted';
    this.#maxTokens = options.maxTokens;
    this.#pieceChars = options.pieceChars ?? 4;
    this.#delayMs = options.delayMs ?? 0;
  }

  /** LangChain's model type tag. */
  _llmType(): string {
    return 'scripted';
  }

  /** What callbacks see as the call's parameters. */
  override invocationParams(): Record<string, unknown> {
    return { model: this.#model, ...(this.#maxTokens === undefined ? {} : { max_tokens: this.#maxTokens }) };
  }

  /** LangSmith parameters. */
  override getLsParams(options: this['ParsedCallOptions']): LangSmithParams {
    return { ...super.getLsParams(options), ls_model_name: this.#model, ...(this.#maxTokens === undefined ? {} : { ls_max_tokens: this.#maxTokens }) };
  }

  /** Binds tools (recorded, not interpreted). */
  override bindTools(tools: BindToolsInput[], kwargs?: Partial<ScriptedChatModelCallOptions>): Runnable<BaseLanguageModelInput, AIMessageChunk, ScriptedChatModelCallOptions> {
    return this.withConfig({ ...kwargs, tools });
  }

  async #wait(signal: AbortSignal | undefined): Promise<void> {
    if (this.#delayMs === 0) {
      await new Promise((resolve) => setImmediate(resolve));
    } else {
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => {
          clearTimeout(timer);
          reject(signal?.reason instanceof Error ? signal.reason : new Error('Aborted'));
        };
        const timer = setTimeout(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        }, this.#delayMs);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
    if (signal?.aborted === true) throw signal.reason instanceof Error ? signal.reason : new Error('Aborted');
  }

  #next(messages: BaseMessage[], options: this['ParsedCallOptions']): ScriptedAnswer {
    const scripted = this.calls < this.#answers.length || this.#respond === undefined;
    const answer = (scripted ? this.#answers[Math.min(this.calls, this.#answers.length - 1)] : this.#respond?.(messages, this.calls)) ?? {};
    this.calls += 1;
    this.received.push(messages);
    this.receivedTools.push(options.tools);
    if (answer.error !== undefined) throw answer.error;
    return answer;
  }

  /** Answers one call. */
  async _generate(messages: BaseMessage[], options: this['ParsedCallOptions']): Promise<ChatResult> {
    // A real model answers asynchronously; so does this one (callbacks interleave as they would).
    await this.#wait(options.signal);
    const answer = this.#next(messages, options);
    const content = answer.content ?? '';
    const message = new AIMessage<StandardMessageStructure>({
      content,
      tool_calls: (answer.toolCalls ?? []).map((call) => ({ ...call, args: { ...call.args }, type: 'tool_call' as const })),
      ...(answer.usage === undefined ? {} : { usage_metadata: answer.usage }),
      response_metadata: { model_name: this.#model, finish_reason: (answer.toolCalls ?? []).length > 0 ? 'tool_calls' : 'stop' },
    });
    return { generations: [{ text: content, message }] };
  }

  /** Streams one call: text pieces, tool-call fragments, then a chunk with the usage. */
  override async *_streamResponseChunks(messages: BaseMessage[], options: this['ParsedCallOptions'], runManager?: CallbackManagerForLLMRun): AsyncGenerator<ChatGenerationChunk> {
    await this.#wait(options.signal);
    const answer = this.#next(messages, options);
    for (const text of pieces(answer.content ?? '', this.#pieceChars)) {
      if (options.signal?.aborted === true) throw options.signal.reason;
      await new Promise((resolve) => setImmediate(resolve));
      const chunk = new ChatGenerationChunk({ text, message: new AIMessageChunk({ content: text }) });
      yield chunk;
      await runManager?.handleLLMNewToken(text, undefined, undefined, undefined, undefined, { chunk });
    }
    for (const [index, call] of (answer.toolCalls ?? []).entries()) {
      for (const [position, args] of pieces(JSON.stringify(call.args), this.#pieceChars).entries()) {
        const first = position === 0 ? { id: call.id, name: call.name } : {};
        yield new ChatGenerationChunk({ text: '', message: new AIMessageChunk({ content: '', tool_call_chunks: [{ index, ...first, args, type: 'tool_call_chunk' }] }) });
      }
    }
    yield new ChatGenerationChunk({
      text: '',
      message: new AIMessageChunk<StandardMessageStructure>({
        content: '',
        ...(answer.usage === undefined ? {} : { usage_metadata: answer.usage }),
        response_metadata: { model_name: this.#model, finish_reason: (answer.toolCalls ?? []).length > 0 ? 'tool_calls' : 'stop' },
      }),
    });
  }
}
