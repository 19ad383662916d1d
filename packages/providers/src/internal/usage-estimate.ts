/**
 * Upper-bound token counts for usage a provider did not report (a cut stream, a server ignoring
 * `stream_options.include_usage`, a JSON answer without `usage`, an Anthropic stream cut before
 * `message_delta`).
 *
 * @remarks
 * The count is the UTF-8 byte length: every byte-level BPE token (OpenAI's o200k/cl100k, Claude's
 * tokenizer) covers at least one byte, so bytes never undercount — the point is that a call that
 * produced output is never charged less than it cost. It overcounts English prose about 4×; the
 * result is marked `estimated` so nobody mistakes it for the provider's figure. Hidden reasoning
 * tokens cannot be seen in the text and are not in the estimate.
 */
import { REPLY_PRIMING_TOKENS } from '@runtime/contracts';
import type { LlmRequest, ToolCall, Usage } from '@runtime/contracts';

/** Chat overhead per message (role, separators), as in OpenAI's counting recipe. */
const PER_MESSAGE = 3;

/** UTF-8 length of a string without allocating (lone surrogates count 3, as the encoder writes U+FFFD). */
export function utf8Bytes(text: string): number {
  let bytes = 0;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && index + 1 < text.length) {
      const next = text.charCodeAt(index + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        index += 1;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/** An upper bound of the prompt's tokens: bytes of every text, plus chat overhead. */
export function estimateInputTokens(request: LlmRequest): number {
  let total = REPLY_PRIMING_TOKENS;
  for (const message of request.messages) {
    total += PER_MESSAGE + utf8Bytes(message.content);
    if (message.name !== undefined) total += 1 + utf8Bytes(message.name);
    if (message.toolCallId !== undefined) total += utf8Bytes(message.toolCallId);
    for (const call of message.toolCalls ?? []) total += utf8Bytes(call.id) + utf8Bytes(call.name) + utf8Bytes(call.arguments);
  }
  if (request.tools !== undefined && request.tools.length > 0) total += utf8Bytes(JSON.stringify(request.tools));
  if (request.stop !== undefined) for (const stop of request.stop) total += utf8Bytes(stop);
  return total;
}

/** An upper bound of the completion's visible tokens: its text and tool calls. */
function estimateOutputTokens(output: string, toolCalls: readonly Pick<ToolCall, 'name' | 'arguments'>[]): number {
  let total = utf8Bytes(output);
  for (const call of toolCalls) total += utf8Bytes(call.name) + utf8Bytes(call.arguments);
  return total;
}

/** What the provider reported; `undefined` for a figure it did not send. */
export interface ReportedUsage {
  readonly inputTokens: number | undefined;
  readonly outputTokens: number | undefined;
  readonly cacheReadTokens: number;
  readonly cacheWriteTokens: number;
  readonly cacheWrite1hTokens: number;
  readonly reasoningTokens: number;
}

/**
 * The usage of a call: the reported figures, with a missing input or output replaced by its upper
 * bound (then `estimated: true`). `minimumOutput` is the output bound of what was produced: a
 * reported output below it (Anthropic's placeholder `output_tokens: 1` before `message_delta`) is
 * raised to it when `outputFinal` is false. A reported 0 for something that exists (a prompt, an
 * output that was produced) counts as not reported.
 */
export function completeUsage(
  reported: ReportedUsage,
  request: LlmRequest,
  produced: { readonly output: string; readonly toolCalls: readonly Pick<ToolCall, 'name' | 'arguments'>[]; readonly outputFinal: boolean },
): Usage {
  let estimated = false;
  let inputTokens = reported.inputTokens;
  // A prompt is never 0 tokens: a 0 is a server that filled the field without counting.
  if (inputTokens === undefined || inputTokens === 0) {
    inputTokens = Math.max(estimateInputTokens(request), reported.cacheReadTokens + reported.cacheWriteTokens);
    estimated = true;
  }
  let outputTokens = reported.outputTokens;
  if (outputTokens === undefined || outputTokens === 0 || !produced.outputFinal) {
    const bound = estimateOutputTokens(produced.output, produced.toolCalls);
    if (outputTokens === undefined || bound > outputTokens) {
      outputTokens = Math.max(bound, reported.reasoningTokens, outputTokens ?? 0);
      estimated = true;
    }
  }
  const usage: Usage = {
    inputTokens,
    outputTokens,
    cacheReadTokens: reported.cacheReadTokens,
    cacheWriteTokens: reported.cacheWriteTokens,
    reasoningTokens: reported.reasoningTokens,
    ...(reported.cacheWrite1hTokens > 0 ? { cacheWrite1hTokens: reported.cacheWrite1hTokens } : {}),
  };
  return estimated ? { ...usage, estimated: true } : usage;
}
