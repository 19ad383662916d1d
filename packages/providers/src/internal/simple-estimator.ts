import type { Message, TokenEstimator, ToolDefinition } from '@runtime/contracts';

function countText(text: string): number {
  return text.length === 0 ? 0 : Math.max(1, Math.ceil(text.length / 4));
}

function countMessage(message: Message): number {
  let total = 3 + countText(message.content) + (message.name === undefined ? 0 : 1);
  for (const call of message.toolCalls ?? []) total += countText(call.name) + countText(call.arguments);
  return total;
}

function countTools(tools: readonly ToolDefinition[]): number {
  return tools.length === 0 ? 0 : countText(JSON.stringify(tools));
}

/**
 * The mock's fallback when no estimator is injected: ⌈chars / 4⌉ per text (never 0 for non-empty
 * text), 3 per message, 1 per name, 3 to prime the reply, tools as their JSON.
 */
export const simpleEstimator: TokenEstimator = {
  countText: (text) => countText(text),
  countMessage: (message) => countMessage(message),
  countTools: (tools) => countTools(tools),
  countMessages: (messages, _model, tools) =>
    messages.reduce((sum, message) => sum + countMessage(message), 3) + countTools(tools ?? []),
  isExact: () => false,
};
