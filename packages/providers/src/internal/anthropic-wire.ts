import { ValidationError, type FinishReason, type LlmRequest, type Message, type ToolCall, type Usage } from '@runtime/contracts';
import { outputCap, tokens } from './adapter-options.js';
import { completeUsage } from './usage-estimate.js';

type Block = Record<string, unknown>;
interface WireMessage {
  role: 'user' | 'assistant';
  content: Block[];
}

export interface AnthropicUsageWire {
  readonly input_tokens?: number;
  readonly output_tokens?: number;
  readonly cache_read_input_tokens?: number | null;
  readonly cache_creation_input_tokens?: number | null;
  /** Cache writes by TTL (their sum is `cache_creation_input_tokens`). */
  readonly cache_creation?: {
    readonly ephemeral_5m_input_tokens?: number | null;
    readonly ephemeral_1h_input_tokens?: number | null;
  } | null;
}

function toolInput(message: Message, index: number, argumentsText: string): unknown {
  try {
    return JSON.parse(argumentsText === '' ? '{}' : argumentsText);
  } catch (error) {
    throw new ValidationError({
      code: 'VALIDATION_FAILED',
      message: 'A tool call in the conversation has arguments that are not JSON; Anthropic needs an object.',
      details: { issues: [{ path: ['messages', index, 'toolCalls'], message: String(error) }], role: message.role },
      cause: error,
    });
  }
}

function blocksOf(message: Message, index: number): Block[] {
  if (message.role === 'tool') {
    return [{ type: 'tool_result', tool_use_id: message.toolCallId ?? '', content: message.content }];
  }
  // Anthropic rejects empty and whitespace-only text blocks.
  const blocks: Block[] = message.content.trim() === '' ? [] : [{ type: 'text', text: message.content }];
  for (const call of message.toolCalls ?? []) {
    blocks.push({ type: 'tool_use', id: call.id, name: call.name, input: toolInput(message, index, call.arguments) });
  }
  return blocks;
}

/**
 * The Messages API body: system prompts joined at the top level, roles alternating.
 *
 * @remarks
 * A message with nothing to send (an empty or whitespace-only text and no tool calls) is dropped:
 * Anthropic rejects `content: []` ("all messages must have non-empty content except for the
 * optional final assistant message"), and an empty final assistant turn prefills nothing. The
 * turns around a dropped one then share a role and merge, as consecutive tool results do.
 */
export function anthropicBody(request: LlmRequest, stream: boolean): Record<string, unknown> {
  const system: string[] = [];
  const messages: WireMessage[] = [];
  request.messages.forEach((message, index) => {
    if (message.role === 'system') {
      system.push(message.content);
      return;
    }
    const role = message.role === 'assistant' ? 'assistant' : 'user';
    const blocks = blocksOf(message, index);
    if (blocks.length === 0) return;
    const last = messages.at(-1);
    // The API wants alternating roles; consecutive tool results must share one user turn.
    if (last !== undefined && last.role === role) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  });
  const body: Record<string, unknown> = {
    model: request.providerModel ?? request.model,
    max_tokens: outputCap(request),
    messages,
  };
  if (system.length > 0) body.system = system.join('\n\n');
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.stop !== undefined && request.stop.length > 0) body.stop_sequences = request.stop;
  if (request.tools !== undefined && request.tools.length > 0) {
    body.tools = request.tools.map((tool) => ({
      name: tool.name,
      description: tool.description,
      input_schema: tool.parameters,
    }));
    // Anthropic's tool_choice: { type: 'auto' | 'any' | 'none' } ('required' is 'any').
    if (request.toolChoice !== undefined) body.tool_choice = { type: request.toolChoice === 'required' ? 'any' : request.toolChoice };
  }
  if (stream) body.stream = true;
  return body;
}

export function anthropicFinishReason(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case 'end_turn':
    case 'stop_sequence':
      return 'stop';
    case 'max_tokens':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      return 'other';
  }
}

/**
 * Anthropic reports cache reads and writes beside `input_tokens`; the contracts count them inside
 * input, so they are added in. 1-hour cache writes (`cache_creation.ephemeral_1h_input_tokens`)
 * are a subset of the writes. A figure Anthropic did not send is replaced by an upper bound
 * (`estimated: true`); `outputFinal` is false while `output_tokens` is still `message_start`'s
 * placeholder (no `message_delta` yet).
 */
export function anthropicUsage(
  usage: AnthropicUsageWire | undefined,
  request: LlmRequest,
  produced: { readonly output: string; readonly toolCalls: readonly Pick<ToolCall, 'name' | 'arguments'>[]; readonly outputFinal: boolean },
): Usage {
  const cacheReadTokens = tokens(usage?.cache_read_input_tokens);
  const byTtl = tokens(usage?.cache_creation?.ephemeral_5m_input_tokens) + tokens(usage?.cache_creation?.ephemeral_1h_input_tokens);
  const cacheWriteTokens = typeof usage?.cache_creation_input_tokens === 'number' ? tokens(usage.cache_creation_input_tokens) : byTtl;
  const cacheWrite1hTokens = Math.min(cacheWriteTokens, tokens(usage?.cache_creation?.ephemeral_1h_input_tokens));
  return completeUsage(
    {
      inputTokens: typeof usage?.input_tokens === 'number' ? tokens(usage.input_tokens) + cacheReadTokens + cacheWriteTokens : undefined,
      outputTokens: typeof usage?.output_tokens === 'number' ? tokens(usage.output_tokens) : undefined,
      cacheReadTokens,
      cacheWriteTokens,
      cacheWrite1hTokens,
      reasoningTokens: 0,
    },
    request,
    produced,
  );
}
