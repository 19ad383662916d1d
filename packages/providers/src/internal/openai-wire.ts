import type { FinishReason, LlmRequest, Message, RuntimeError, ToolCall } from '@runtime/contracts';
import { httpFailureToError } from '../classify-error.js';
import { tokens } from './adapter-options.js';
import { completeUsage, type ReportedUsage } from './usage-estimate.js';

export interface OpenAiToolCallWire {
  readonly id?: string;
  readonly index?: number;
  readonly function?: { readonly name?: string; readonly arguments?: string };
}

export interface OpenAiUsageWire {
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

interface OpenAiErrorWire {
  readonly message?: unknown;
  readonly type?: unknown;
  readonly code?: unknown;
  readonly status?: unknown;
}

export interface OpenAiResponseWire {
  readonly id?: string;
  readonly model?: string;
  readonly choices?: readonly OpenAiChoiceWire[];
  readonly usage?: OpenAiUsageWire | null;
  readonly error?: OpenAiErrorWire | string;
}

export function toWireMessage(message: Message): Record<string, unknown> {
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

export function openAiFinishReason(reason: string | null | undefined): FinishReason {
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

/**
 * The provider's usage, or an upper-bound estimate of what it left out (marked `estimated`).
 * OpenAI already reports cached ⊂ prompt and reasoning ⊂ completion; it has no cache-write charge.
 */
export function openAiUsage(
  usage: OpenAiUsageWire | null | undefined,
  request: LlmRequest,
  output: string,
  toolCalls: readonly ToolCall[],
): ReturnType<typeof completeUsage> {
  const reported: ReportedUsage = {
    inputTokens: typeof usage?.prompt_tokens === 'number' ? tokens(usage.prompt_tokens) : undefined,
    outputTokens: typeof usage?.completion_tokens === 'number' ? tokens(usage.completion_tokens) : undefined,
    cacheReadTokens: tokens(usage?.prompt_tokens_details?.cached_tokens),
    cacheWriteTokens: 0,
    cacheWrite1hTokens: 0,
    reasoningTokens: tokens(usage?.completion_tokens_details?.reasoning_tokens),
  };
  return completeUsage(reported, request, { output, toolCalls, outputFinal: true });
}

/** The HTTP status an in-stream error stands for (streams answer 200 before they fail). */
function streamErrorStatus(error: OpenAiErrorWire): number {
  if (typeof error.status === 'number') return error.status;
  // vLLM and other compatible servers put the status in `code`.
  if (typeof error.code === 'number' && error.code >= 400 && error.code < 600) return error.code;
  const names = `${typeof error.code === 'string' ? error.code : ''} ${typeof error.type === 'string' ? error.type : ''}`;
  if (/context_length_exceeded|invalid_request|bad_?request|invalid_value|invalid_prompt/i.test(names)) return 400;
  if (/authentication|invalid_api_key/i.test(names)) return 401;
  if (/permission|unsupported_country/i.test(names)) return 403;
  if (/not_found|model_not_found/i.test(names)) return 404;
  if (/rate_limit|insufficient_quota|tokens|requests/i.test(names)) return 429;
  return 500;
}

/** An in-stream `{"error": …}` chunk, classified as the HTTP failure it stands for. */
export function openAiStreamError(wire: OpenAiErrorWire | string, context: { readonly provider: string; readonly model: string }): RuntimeError {
  const error: OpenAiErrorWire = typeof wire === 'string' ? { message: wire } : wire;
  const providerCode = typeof error.code === 'string' ? error.code : typeof error.type === 'string' ? error.type : undefined;
  return httpFailureToError(
    {
      status: streamErrorStatus(error),
      message: typeof error.message === 'string' ? error.message : 'error event in stream',
      ...(providerCode === undefined ? {} : { providerCode }),
    },
    context,
  );
}
