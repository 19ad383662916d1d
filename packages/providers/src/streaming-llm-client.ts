/**
 * An {@link @runtime/contracts#LlmClient} whose `stream` is always there.
 */
import type { LlmCallOptions, LlmClient, LlmRequest, LlmStreamChunk } from '@runtime/contracts';

/**
 * A client that can stream (every client of this package is one).
 * @public
 */
export interface StreamingLlmClient extends LlmClient {
  /** Streams one call; the last chunk is `done` with the full result and usage. */
  stream(request: LlmRequest, options?: LlmCallOptions): AsyncIterable<LlmStreamChunk>;
}
