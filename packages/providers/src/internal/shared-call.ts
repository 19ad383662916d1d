import type { LlmResult } from '@runtime/contracts';

interface Participant {
  readonly resolve: (result: LlmResult) => void;
  readonly reject: (error: unknown) => void;
  readonly detach: (() => void) | undefined;
  left: boolean;
}

/**
 * One upstream call shared by identical requests. Each participant may leave on its own abort;
 * the upstream call is aborted only when every participant has left. Exactly one participant that
 * is still there gets `source: 'provider'` (it is billed), the others `source: 'dedup'`.
 */
export class SharedCall {
  readonly #participants: Participant[] = [];
  #active: number;
  #providerClaimed: boolean;
  readonly #controller: AbortController | undefined;
  readonly #registry: Map<string, SharedCall>;
  readonly #key: string;

  /**
   * @param controller - aborts the upstream call; absent when a participant that cannot leave
   * (no signal) owns the call, in which case that owner is billed and the call is never abandoned.
   * @param registry - the in-flight table; the call removes itself when it settles or when its
   * last participant leaves, so later callers start afresh instead of joining an aborted call.
   */
  constructor(controller: AbortController | undefined, registry: Map<string, SharedCall>, key: string) {
    this.#controller = controller;
    this.#registry = registry;
    this.#key = key;
    registry.set(key, this);
    this.#providerClaimed = controller === undefined;
    this.#active = controller === undefined ? 1 : 0;
  }

  join(signal: AbortSignal | undefined, abortError: () => Error): Promise<LlmResult> {
    return new Promise<LlmResult>((resolve, reject) => {
      if (signal?.aborted === true) {
        reject(abortError());
        return;
      }
      const onAbort = (): void => {
        if (participant.left) return;
        participant.left = true;
        this.#active -= 1;
        reject(abortError());
        if (this.#active === 0 && this.#controller !== undefined) {
          this.forget();
          this.#controller.abort(signal?.reason);
        }
      };
      const participant: Participant = {
        resolve,
        reject,
        left: false,
        detach: signal === undefined ? undefined : () => signal.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
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
}
