/**
 * One `setTimeout` shared by many deadlines.
 *
 * @remarks
 * A timer per call costs more than the whole scheduler per task (see ARCHITECTURE.md), so
 * deadlines live in a heap behind a single timer armed for the earliest one. Cancelled entries
 * are dropped lazily; when no live deadline is left the timer is cleared, so nothing keeps
 * running after the last call ends.
 */
import { Heap } from './heap.js';

/** The longest delay `setTimeout` takes (2^31 − 1 ms, ≈ 24.8 days); longer ones fire at once. */
export const MAX_TIMER_DELAY_MS = 2_147_483_647;

/**
 * `setTimeout` for any delay: a delay above {@link MAX_TIMER_DELAY_MS} is chained through
 * intermediate timers instead of firing at once. Returns a function that cancels it.
 */
export function cancellableTimeout(delayMs: number, fire: () => void): () => void {
  const at = Date.now() + delayMs;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = (): void => {
    const left = at - Date.now();
    timer = left > MAX_TIMER_DELAY_MS ? setTimeout(arm, MAX_TIMER_DELAY_MS) : setTimeout(fire, Math.max(0, left));
  };
  arm();
  return () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
}

/** A registered deadline; call `cancel` when the work ends first. */
export interface Deadline {
  cancel(): void;
}

interface Entry {
  readonly at: number;
  readonly fire: () => void;
  live: boolean;
}

export class DeadlineTimer {
  readonly #heap = new Heap<Entry>((a, b) => a.at < b.at);
  #live = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #armedAt = Number.POSITIVE_INFINITY;

  /** Calls `fire` after `delayMs` unless cancelled first. */
  add(delayMs: number, fire: () => void): Deadline {
    const entry: Entry = { at: Date.now() + delayMs, fire, live: true };
    this.#heap.push(entry);
    this.#live += 1;
    if (entry.at < this.#armedAt) this.#arm(entry.at);
    return {
      cancel: () => {
        if (!entry.live) return;
        entry.live = false;
        this.#live -= 1;
        if (this.#live === 0) this.#stop();
      },
    };
  }

  /** Live deadlines. */
  get size(): number {
    return this.#live;
  }

  #arm(at: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#armedAt = at;
    // Capped: a longer delay would fire at once and re-arm every millisecond until the deadline.
    this.#timer = setTimeout(() => this.#expire(), Math.min(MAX_TIMER_DELAY_MS, Math.max(0, at - Date.now())));
  }

  #stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedAt = Number.POSITIVE_INFINITY;
    this.#heap.clear();
  }

  #expire(): void {
    this.#timer = undefined;
    this.#armedAt = Number.POSITIVE_INFINITY;
    const now = Date.now();
    const due: Entry[] = [];
    for (let top = this.#heap.peek(); top !== undefined && (top.at <= now || !top.live); top = this.#heap.peek()) {
      this.#heap.pop();
      if (top.live) due.push(top);
    }
    const next = this.#heap.peek();
    if (next !== undefined) this.#arm(next.at);
    for (const entry of due) {
      entry.live = false;
      this.#live -= 1;
      entry.fire();
    }
    if (this.#live === 0) this.#stop();
  }
}
