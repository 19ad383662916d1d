/**
 * The example's model catalog and its offline LangChain model (a fake that reports usage the way
 * OpenAI and Anthropic integrations do, cache and reasoning tokens included).
 */
import type { BaseMessage } from '@langchain/core/messages';
import type { ModelCatalogFile } from '@runtime/contracts';
import { ScriptedChatModel } from '@runtime/langchain/testing';

/** One model served by LangChain (provider `langchain`), priced like a mid-size hosted model. */
export const EXAMPLE_CATALOG: ModelCatalogFile = {
  models: [
    {
      id: 'example-chat',
      provider: 'langchain',
      role: 'balanced',
      maxInputTokens: 128_000,
      maxOutputTokens: 4_096,
      encoding: 'o200k_base',
      pricing: { inputPerMTok: 3, cacheReadPerMTok: 0.3, cacheWritePerMTok: 3.75, outputPerMTok: 15, reasoningPerMTok: 15 },
    },
  ],
  defaultModel: 'example-chat',
};

function lastHumanText(messages: readonly BaseMessage[]): string {
  const human = [...messages].reverse().find((message) => message.type === 'human');
  return typeof human?.content === 'string' ? human.content : '';
}

/**
 * The offline model: answers each prompt with a short deterministic text and reports usage — the
 * prompt's characters / 4 as input (half of it read from the prompt cache), 40 output tokens of
 * which 8 are reasoning.
 */
export function createOfflineModel(maxTokens = 256): ScriptedChatModel {
  return new ScriptedChatModel({
    model: 'example-chat',
    maxTokens,
    respond: (messages) => {
      const prompt = messages.map((message) => (typeof message.content === 'string' ? message.content : '')).join('\n');
      const inputTokens = Math.max(1, Math.ceil(prompt.length / 4));
      const cacheRead = Math.floor(inputTokens / 2);
      return {
        content: `Answer to "${lastHumanText(messages).slice(0, 48)}"`,
        usage: {
          input_tokens: inputTokens,
          output_tokens: 40,
          total_tokens: inputTokens + 40,
          input_token_details: { cache_read: cacheRead, cache_creation: 0 },
          output_token_details: { reasoning: 8 },
        },
      };
    },
  });
}
