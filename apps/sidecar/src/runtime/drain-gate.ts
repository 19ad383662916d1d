/**
 * Lets provider calls in flight finish while holding back new ones, for graceful shutdown.
 *
 * @remarks
 * Once draining, a new call is held (never sent to the provider) until its signal aborts or the
 * process exits: its task stays `running` in the journal and is retried when the run is resumed at
 * the next start, so nothing is billed twice. Calls already in flight run to completion and are
 * journaled normally.
 */
import type { LlmCallOptions, LlmClient, LlmRequest, LlmResult, LlmStreamChunk } from '@runtime/contracts';

/**
 * The gate.
 * @public
 */
export interface DrainGate {
  /** Wraps a client so its calls pass the gate. */
  wrap(client: LlmClient): LlmClient;
  /** Calls sent and not yet answered. */
  readonly inFlight: number;
  /** Whether new calls are held. */
  readonly draining: boolean;
  /** Holds every new call from now on. */
  drain(): void;
}

function held(options: LlmCallOptions | undefined): Promise<never> {
  return new Promise<never>((_resolve, reject) => {
    const signal = options?.signal;
    if (signal === undefined) return;
    if (signal.aborted) reject(signal.reason as Error);
    else signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
  });
}

/**
 * Creates a {@link DrainGate}.
 * @public
 */
export function createDrainGate(): DrainGate {
  let inFlight = 0;
  let draining = false;
  return {
    get inFlight() {
      return inFlight;
    },
    get draining() {
      return draining;
    },
    drain() {
      draining = true;
    },
    wrap(client) {
      const gated: LlmClient = {
        provider: client.provider,
        async complete(request: LlmRequest, options?: LlmCallOptions): Promise<LlmResult> {
          if (draining) return held(options);
          inFlight += 1;
          try {
            return await client.complete(request, options);
          } finally {
            inFlight -= 1;
          }
        },
      };
      const stream = client.stream?.bind(client);
      if (stream === undefined) return gated;
      return {
        ...gated,
        async *stream(request: LlmRequest, options?: LlmCallOptions): AsyncIterable<LlmStreamChunk> {
          if (draining) await held(options);
          inFlight += 1;
          try {
            yield* stream(request, options);
          } finally {
            inFlight -= 1;
          }
        },
      };
    },
  };
}
