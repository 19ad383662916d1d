import type { LlmResult } from '@runtime/contracts';
import type { ResilienceTimers } from '../resilient-client-options.js';

interface Participant {
  readonly resolve: (result: LlmResult) => void;
  readonly reject: (error: unknown) => void;
  detach: (() => void) | undefined;
  left: boolean;
}

/** How one participant may leave before the shared call settles. */
export interface ParticipantExit {
  /** Its own abort. */
  readonly signal: AbortSignal | undefined;
  /** `RUN_ABORTED` for that abort. */
  readonly abortError: () => Error;
  /** Its own deadline in ms (a joiner's `timeoutMs`), after which it leaves with `timeoutError`. */
  readonly timeoutMs?: number | undefined;
  readonly timeoutError?: () => Error;
}

/**
 * One upstream call shared by identical requests. Each participant may leave on its own abort or
 * its own deadline; the upstream call is aborted as soon as no participant is left (no orphan call
 * keeps running, retrying, for nobody). Exactly one participant that is still there gets
 * `source: 'provider'` (it is billed), the others `source: 'dedup'`.
 */
export class SharedCall {
  readonly #participants: Participant[] = [];
  #active: number;
  #providerClaimed: boolean;
  readonly #controller: AbortController | undefined;
  readonly #registry: Map<string, SharedCall>;
  readonly #key: string;
  readonly #timers: ResilienceTimers;

  /**
   * @param controller - aborts the upstream call; absent when a participant that cannot leave
   * (no signal, no deadline of its own) owns the call, in which case that owner is billed and the
   * call is never abandoned.
   * @param registry - the in-flight table; the call removes itself when it settles or when its
   * last participant leaves, so later callers start afresh instead of joining an aborted call.
   */
  constructor(controller: AbortController | undefined, registry: Map<string, SharedCall>, key: string, timers: ResilienceTimers) {
    this.#controller = controller;
    this.#registry = registry;
    this.#key = key;
    this.#timers = timers;
    registry.set(key, this);
    this.#providerClaimed = controller === undefined;
    this.#active = controller === undefined ? 1 : 0;
  }

  join(exit: ParticipantExit): Promise<LlmResult> {
    return new Promise<LlmResult>((resolve, reject) => {
      const { signal } = exit;
      const participant: Participant = { resolve, reject, left: false, detach: undefined };
      const leave = (error: Error): void => {
        if (participant.left) return;
        participant.left = true;
        participant.detach?.();
        this.#active -= 1;
        reject(error);
        if (this.#active <= 0) this.#abandon(signal?.reason ?? error);
      };
      if (signal?.aborted === true) {
        // Never counted: if nobody else is in, nobody is left to want the call.
        reject(exit.abortError());
        if (this.#active <= 0) this.#abandon(signal.reason);
        return;
      }
      const onAbort = (): void => leave(exit.abortError());
      let handle: unknown;
      const timeoutError = exit.timeoutError;
      if (exit.timeoutMs !== undefined && timeoutError !== undefined) {
        handle = this.#timers.setTimeout(() => leave(timeoutError()), Math.max(0, exit.timeoutMs));
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      if (signal !== undefined || handle !== undefined) {
        participant.detach = () => {
          signal?.removeEventListener('abort', onAbort);
          if (handle !== undefined) this.#timers.clearTimeout(handle);
        };
      }
      this.#participants.push(participant);
      this.#active += 1;
    });
  }

  /** Leaves the in-flight table (only if this call is still the one registered). */
  forget(): void {
    if (this.#registry.get(this.#key) === this) this.#registry.delete(this.#key);
  }

  deliver(result: LlmResult): void {
    for (const participant of this.#participants) {
      participant.detach?.();
      if (participant.left) continue;
      participant.left = true;
      if (this.#providerClaimed) participant.resolve({ ...result, source: 'dedup' });
      else {
        this.#providerClaimed = true;
        participant.resolve(result);
      }
    }
  }

  fail(error: unknown): void {
    for (const participant of this.#participants) {
      participant.detach?.();
      if (participant.left) continue;
      participant.left = true;
      participant.reject(error);
    }
  }

  #abandon(reason: unknown): void {
    if (this.#controller === undefined || this.#controller.signal.aborted) return;
    this.forget();
    this.#controller.abort(reason);
  }
}
