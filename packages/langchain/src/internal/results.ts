/**
 * A LangChain AI message → the runtime's {@link LlmResult}.
 */
import type { AIMessage } from '@langchain/core/messages';
import { EMPTY_USAGE, type FinishReason, type LlmResult } from '@runtime/contracts';
import { fromLangChainToolCalls, textOf } from './messages.js';
import { usageFromMetadata } from './usage.js';

const FINISH_REASONS: Readonly<Record<string, FinishReason>> = {
  stop: 'stop',
  end_turn: 'stop',
  stop_sequence: 'stop',
  STOP: 'stop',
  length: 'length',
  max_tokens: 'length',
  MAX_TOKENS: 'length',
  tool_calls: 'tool_calls',
  tool_use: 'tool_calls',
  function_call: 'tool_calls',
  content_filter: 'content_filter',
  refusal: 'content_filter',
  SAFETY: 'content_filter',
};

function metadataString(message: AIMessage, key: string): string | undefined {
  const value: unknown = message.response_metadata[key];
  return typeof value === 'string' ? value : undefined;
}

/** The runtime result of a model's answer. Usage is the model's report (zero when it sent none). */
export function resultFromMessage(message: AIMessage): LlmResult {
  const toolCalls = fromLangChainToolCalls(message.tool_calls);
  const reported = metadataString(message, 'finish_reason') ?? metadataString(message, 'stop_reason');
  const finishReason: FinishReason = toolCalls.length > 0 ? 'tool_calls' : reported === undefined ? 'stop' : (FINISH_REASONS[reported] ?? 'other');
  const providerModel = metadataString(message, 'model_name') ?? metadataString(message, 'model');
  return {
    output: textOf(message.content),
    ...(toolCalls.length === 0 ? {} : { toolCalls }),
    usage: message.usage_metadata === undefined ? EMPTY_USAGE : usageFromMetadata(message.usage_metadata),
    finishReason,
    ...(providerModel === undefined ? {} : { providerModel }),
    ...(message.id === undefined ? {} : { requestId: message.id }),
    source: 'provider',
  };
}
