/**
 * Drains a stream of chunks into its text and final result.
 */
import type { LlmResult, LlmStreamChunk, ToolCall, ToolCallDelta } from '@runtime/contracts';

/**
 * A drained stream.
 * @public
 */
export interface CollectedStream {
  /** The text chunks, in order. */
  readonly texts: readonly string[];
  /** The tool-call chunks, in order. */
  readonly toolCalls: readonly ToolCall[];
  /** The tool-call fragments (`tool-call-delta` chunks), in order. */
  readonly toolCallDeltas: readonly ToolCallDelta[];
  /** The `done` chunk's result, if the stream got that far. */
  readonly result: LlmResult | undefined;
}

/**
 * Reads a whole stream (throws what the stream throws).
 * @public
 */
export async function collectStream(stream: AsyncIterable<LlmStreamChunk>): Promise<CollectedStream> {
  const texts: string[] = [];
  const toolCalls: ToolCall[] = [];
  const toolCallDeltas: ToolCallDelta[] = [];
  let result: LlmResult | undefined;
  for await (const chunk of stream) {
    if (chunk.type === 'text') texts.push(chunk.text);
    else if (chunk.type === 'tool-call') toolCalls.push(chunk.toolCall);
    else if (chunk.type === 'tool-call-delta') toolCallDeltas.push(chunk.delta);
    else result = chunk.result;
  }
  return { texts, toolCalls, toolCallDeltas, result };
}
