/**
 * Runtime {@link Message} ↔ LangChain `BaseMessage`.
 *
 * @remarks
 * Text is carried as text: structured LangChain content is reduced to its text blocks (the runtime
 * message is text-only). Tool calls keep their ids so a `tool` message still answers its call;
 * arguments travel as JSON text on the runtime side and as objects on the LangChain side.
 */
import { AIMessage, HumanMessage, SystemMessage, ToolMessage, type BaseMessage } from '@langchain/core/messages';
import type { ToolCall as LangChainToolCall } from '@langchain/core/messages/tool';
import { ValidationError, type Message, type ToolCall } from '@runtime/contracts';

/** The text of LangChain message content: a string, or the `text` of its text blocks. */
export function textOf(content: BaseMessage['content']): string {
  if (typeof content === 'string') return content;
  let text = '';
  for (const block of content as readonly unknown[]) {
    if (typeof block === 'string') text += block;
    else if (typeof block === 'object' && block !== null) {
      const { type, text: blockText } = block as { type?: unknown; text?: unknown };
      if (type === 'text' && typeof blockText === 'string') text += blockText;
    }
  }
  return text;
}

function parseArguments(call: ToolCall): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(call.arguments === '' ? '{}' : call.arguments);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch (error) {
    throw new ValidationError({
      code: 'VALIDATION_FAILED',
      message: `Tool call ${call.id} (${call.name}) has arguments that are not JSON.`,
      details: { field: 'toolCalls.arguments', toolCallId: call.id, tool: call.name },
      cause: error,
    });
  }
  throw new ValidationError({
    code: 'VALIDATION_FAILED',
    message: `Tool call ${call.id} (${call.name}) has arguments that are not a JSON object.`,
    details: { field: 'toolCalls.arguments', toolCallId: call.id, tool: call.name },
  });
}

/** LangChain tool calls of runtime tool calls (arguments parsed). */
export function toLangChainToolCalls(calls: readonly ToolCall[]): LangChainToolCall[] {
  return calls.map((call) => ({ id: call.id, name: call.name, args: parseArguments(call), type: 'tool_call' }));
}

/** Runtime tool calls of LangChain tool calls (arguments as JSON text). */
export function fromLangChainToolCalls(calls: readonly LangChainToolCall[] | undefined): ToolCall[] {
  if (calls === undefined) return [];
  return calls.map((call, index) => ({ id: call.id ?? `call_${index}`, name: call.name, arguments: JSON.stringify(call.args) }));
}

/** LangChain messages of a runtime conversation. */
export function toLangChainMessages(messages: readonly Message[]): BaseMessage[] {
  return messages.map((message): BaseMessage => {
    const name = message.name === undefined ? {} : { name: message.name };
    switch (message.role) {
      case 'system':
        return new SystemMessage({ content: message.content, ...name });
      case 'user':
        return new HumanMessage({ content: message.content, ...name });
      case 'assistant':
        return new AIMessage({ content: message.content, ...name, tool_calls: toLangChainToolCalls(message.toolCalls ?? []) });
      case 'tool':
        return new ToolMessage({ content: message.content, tool_call_id: message.toolCallId ?? '', ...name });
    }
  });
}

/**
 * The runtime conversation of LangChain messages.
 * @throws {@link ValidationError} `VALIDATION_FAILED` for a message type the runtime has no role for.
 */
export function fromLangChainMessages(messages: readonly BaseMessage[]): Message[] {
  return messages.map((message, index): Message => {
    const content = textOf(message.content);
    const name = message.name === undefined ? {} : { name: message.name };
    switch (message.type) {
      case 'system':
      case 'developer':
        return { role: 'system', content, ...name };
      case 'human':
        return { role: 'user', content, ...name };
      case 'ai': {
        const toolCalls = fromLangChainToolCalls((message as AIMessage).tool_calls);
        return { role: 'assistant', content, ...name, ...(toolCalls.length === 0 ? {} : { toolCalls }) };
      }
      case 'tool':
        return { role: 'tool', content, toolCallId: (message as ToolMessage).tool_call_id, ...name };
      default:
        throw new ValidationError({
          code: 'VALIDATION_FAILED',
          message: `Message ${index} has type ${message.type}, which has no runtime role (system, human, ai, tool).`,
          details: { field: `messages[${index}].type`, type: message.type },
        });
    }
  });
}
