import type { LlmResult, LlmStreamChunk } from '@runtime/contracts';

/**
 * The chunks of an answer that arrived whole (a server that ignored `stream: true`, the mock): its
 * text, each tool call as one `tool-call-delta` (so a reader of fragments alone sees every call)
 * followed by the whole `tool-call`, then `done`.
 */
export function* wholeAnswerChunks(result: LlmResult): Generator<LlmStreamChunk> {
  if (result.output !== '') yield { type: 'text', text: result.output };
  const toolCalls = result.toolCalls ?? [];
  for (let index = 0; index < toolCalls.length; index += 1) {
    const toolCall = toolCalls[index];
    if (toolCall === undefined) continue;
    yield { type: 'tool-call-delta', delta: { index, id: toolCall.id, name: toolCall.name, arguments: toolCall.arguments } };
    yield { type: 'tool-call', toolCall };
  }
  yield { type: 'done', result };
}
