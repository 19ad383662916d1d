import type { LlmRequest } from '@runtime/contracts';

/** Identity of a request for dedup and caching: model, messages and every generation parameter. */
export function requestKey(request: LlmRequest): string {
  return JSON.stringify([
    request.model,
    request.providerModel ?? null,
    request.messages,
    request.tools ?? null,
    request.maxOutputTokens,
    request.temperature ?? null,
    request.stop ?? null,
    request.responseFormat ?? 'text',
  ]);
}
