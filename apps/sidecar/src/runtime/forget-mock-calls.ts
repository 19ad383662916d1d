/**
 * The offline mock provider for a long-running server: the mock records every call it receives
 * (request, options, abort signal) for tests to inspect, which in a server is a leak of about a
 * kilobyte per call. This wrapper empties that record after each call.
 *
 * @remarks
 * A workaround until `createMockLlmClient` has an option not to record (requested from the
 * providers package). The mock's reply does not depend on the record (its default echoes the last
 * user message), so forgetting it changes no answer; only the `mock-<n>` request ids restart.
 */
import type { LlmCallOptions, LlmClient, LlmRequest, LlmResult, LlmStreamChunk } from '@runtime/contracts';
import type { MockCall, MockLlmClient } from '@runtime/providers';

/**
 * `mock` as an {@link LlmClient} that keeps no record of its calls.
 * @public
 */
export function forgetMockCalls(mock: MockLlmClient): LlmClient {
  // The record is the mock's own array, exposed read-only; emptying it is the only way to free it.
  const record = mock.calls as MockCall[];
  const forget = (): void => {
    record.length = 0;
  };
  const client: LlmClient = {
    provider: mock.provider,
    async complete(request: LlmRequest, options?: LlmCallOptions): Promise<LlmResult> {
      try {
        return await mock.complete(request, options);
      } finally {
        forget();
      }
    },
  };
  const stream = mock.stream?.bind(mock);
  if (stream === undefined) return client;
  return {
    ...client,
    async *stream(request: LlmRequest, options?: LlmCallOptions): AsyncIterable<LlmStreamChunk> {
      try {
        yield* stream(request, options);
      } finally {
        forget();
      }
    },
  };
}
