import type { LlmRequest } from '@runtime/contracts';

/**
 * Identity of a request for dedup and caching: model, provider model, every generation parameter
 * and what is sent of each message (role, content, name, tool call id, tool calls).
 *
 * @remarks
 * Built by hand with length prefixes (unambiguous: no content can fake a field boundary) rather
 * than `JSON.stringify` of the whole request, which measured ≈ 3× slower: this key is the main
 * cost of dedup and is linear in the prompt's size. `pinned` and `priority` are compaction hints,
 * never sent, so they are not part of it.
 */
export function requestKey(request: LlmRequest): string {
  let key = `${request.model}\u0000${request.providerModel ?? ''}\u0000${request.maxOutputTokens}\u0000${request.temperature ?? ''}\u0000${request.responseFormat ?? 'text'}`;
  if (request.stop !== undefined) key += `\u0000s${JSON.stringify(request.stop)}`;
  if (request.tools !== undefined) key += `\u0000t${JSON.stringify(request.tools)}`;
  if (request.toolChoice !== undefined) key += `\u0000c${request.toolChoice}`;
  for (const message of request.messages) {
    key += `\u0000${message.role}\u0001${message.content.length}\u0001${message.content}`;
    if (message.name !== undefined) key += `\u0001n${message.name.length}\u0001${message.name}`;
    if (message.toolCallId !== undefined) key += `\u0001i${message.toolCallId.length}\u0001${message.toolCallId}`;
    if (message.toolCalls !== undefined) key += `\u0001c${JSON.stringify(message.toolCalls)}`;
  }
  return key;
}
