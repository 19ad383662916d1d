import { ProviderError, type CircuitState, type Clock } from '@runtime/contracts';

export interface CircuitSettings {
  readonly failureThreshold: number;
  readonly resetAfterMs: number;
  /** The half-open probe's deadline (the runner enforces it); refusals meanwhile wait this long at most. */
  readonly probeTimeoutMs: number;
  readonly onTransition: (provider: string, model: string, from: CircuitState, to: CircuitState) => void;
}

/** A permit: whether the holder is the one half-open probe. */
export type Permit = boolean;

/**
 * One breaker (provider + model): opens after `failureThreshold` consecutive transient failures;
 * after `resetAfterMs` the first caller becomes the single half-open probe and every other caller
 * fails fast with `CIRCUIT_OPEN` until the probe settles. The probe always runs with a deadline
 * (`probeTimeoutMs`, enforced by the attempt runner), so a hung probe cannot keep the circuit
 * half-open for ever; a refusal's `retryAfterMs` is never 0.
 */
export class Circuit {
  state: CircuitState = 'closed';
  #failures = 0;
  #openedAt = 0;
  #probing = false;
  #probeStartedAt = 0;
  readonly #provider: string;
  readonly #model: string;
  readonly #settings: CircuitSettings;

  constructor(provider: string, model: string, settings: CircuitSettings) {
    this.#provider = provider;
    this.#model = model;
    this.#settings = settings;
  }

  /** @throws ProviderError `CIRCUIT_OPEN` when the call may not go through. */
  acquire(clock: Clock): Permit {
    if (this.state === 'closed') return false;
    const now = clock.now();
    if (this.state === 'open' && now - this.#openedAt >= this.#settings.resetAfterMs) {
      this.#move('halfOpen');
    }
    if (this.state === 'halfOpen' && !this.#probing) {
      this.#probing = true;
      this.#probeStartedAt = now;
      return true;
    }
    const retryAfterMs =
      this.state === 'open'
        ? this.#settings.resetAfterMs - (now - this.#openedAt)
        : this.#probeStartedAt + this.#settings.probeTimeoutMs - now;
    throw new ProviderError({
      code: 'CIRCUIT_OPEN',
      message: `The circuit for ${this.#provider}/${this.#model} is ${this.state === 'open' ? 'open' : 'half-open with a probe in flight'}.`,
      details: {
        provider: this.#provider,
        model: this.#model,
        state: this.state,
        kind: 'transient',
        // Never 0: a caller told "retry now" would hammer a circuit that is still refusing.
        retryAfterMs: Math.max(1, retryAfterMs),
      },
    });
  }

  /** The service answered (a success or a terminal error such as 400: it is up). */
  succeed(probe: Permit): void {
    this.#failures = 0;
    if (probe) {
      this.#probing = false;
      this.#move('closed');
    }
  }

  /** A transient failure (429, 5xx, reset, timeout). */
  fail(probe: Permit, now: number): void {
    if (probe) {
      this.#probing = false;
      this.#openedAt = now;
      this.#move('open');
      return;
    }
    if (this.state !== 'closed') return;
    this.#failures += 1;
    if (this.#failures >= this.#settings.failureThreshold) {
      this.#openedAt = now;
      this.#move('open');
    }
  }

  /** The call ended without telling anything about the service (the caller aborted). */
  release(probe: Permit): void {
    if (probe) this.#probing = false;
  }

  #move(to: CircuitState): void {
    const from = this.state;
    if (from === to) return;
    this.state = to;
    if (to === 'closed') this.#failures = 0;
    this.#settings.onTransition(this.#provider, this.#model, from, to);
  }
}
