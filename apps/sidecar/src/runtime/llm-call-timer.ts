/**
 * Times every provider call: its latency (to the last byte), and for streamed calls the time to
 * the first token. Reported per provider and model with the outcome (`ok` or the error code).
 *
 * @remarks
 * The wrapper sits right above each provider client, so retries are timed one by one and a held
 * call (drain) is not timed at all. `complete()` calls have no first token to observe separately:
 * only `stream()` calls feed the time-to-first-token histogram.
 */
import { RuntimeError, type LlmCallOptions, type LlmClient, type LlmRequest, type LlmResult, type LlmStreamChunk } from '@runtime/contracts';

/**
 * Receives the timings.
 * @public
 */
export interface LlmCallTimings {
  /** One finished call: `seconds` to the last byte, `outcome` `ok` or the error code. */
  call(provider: string, model: string, seconds: number, outcome: string): void;
  /** Seconds from the request to the first text or tool-call chunk of a stream. */
  firstToken(provider: string, model: string, seconds: number): void;
}

function outcomeOf(error: unknown): string {
  return RuntimeError.isInstance(error) ? error.code : 'error';
}

/**
 * Wraps `client` so every call is reported to `timings`.
 * @public
 */
export function timeLlmCalls(client: LlmClient, timings: LlmCallTimings): LlmClient {
  const timed: LlmClient = {
    provider: client.provider,
    async complete(request: LlmRequest, options?: LlmCallOptions): Promise<LlmResult> {
      const started = performance.now();
      try {
        const result = await client.complete(request, options);
        timings.call(client.provider, request.model, (performance.now() - started) / 1000, 'ok');
        return result;
      } catch (error) {
        timings.call(client.provider, request.model, (performance.now() - started) / 1000, outcomeOf(error));
        throw error;
      }
    },
  };
  const stream = client.stream?.bind(client);
  if (stream === undefined) return timed;
  return {
    ...timed,
    async *stream(request: LlmRequest, options?: LlmCallOptions): AsyncIterable<LlmStreamChunk> {
      const started = performance.now();
      let first = true;
      let outcome = 'ok';
      try {
        for await (const chunk of stream(request, options)) {
          if (first && chunk.type !== 'done') {
            first = false;
            timings.firstToken(client.provider, request.model, (performance.now() - started) / 1000);
          }
          yield chunk;
        }
      } catch (error) {
        outcome = outcomeOf(error);
        throw error;
      } finally {
        timings.call(client.provider, request.model, (performance.now() - started) / 1000, outcome);
      }
    },
  };
}
