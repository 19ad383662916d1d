/**
 * A fake clock with timers and an abortable `sleep`, for fake-clock tests of retry, timeout and
 * breaker behaviour (no real waiting, no flakiness).
 */
import type { Clock } from '@runtime/contracts';
import type { ResilienceTimers } from '../resilient-client-options.js';

/**
 * Time under test control.
 * @public
 */
export interface FakeTime {
  /** The fake clock (pass as `clock`). */
  readonly clock: Clock;
  /** Abortable sleep on the fake clock (pass as `sleep`); every requested delay is recorded in {@link FakeTime.sleeps}. */
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Timers on the fake clock (pass as `timers`). */
  readonly timers: ResilienceTimers;
  /** Every delay passed to {@link FakeTime.sleep}, in call order. */
  readonly sleeps: readonly number[];
  /** Current fake time in epoch ms. */
  now(): number;
  /** Moves time forward, firing due timers and sleeps in order and letting promise chains run between them. */
  advance(ms: number): Promise<void>;
  /** Timers and sleeps not yet fired. */
  pending(): number;
}

/**
 * Options of {@link createFakeTime}.
 * @public
 */
export interface FakeTimeOptions {
  /** Start time in epoch ms. @defaultValue `Date.UTC(2026, 0, 1)` */
  readonly startMs?: number;
  /**
   * When true, `sleep(ms)` moves the clock forward by `ms` itself (firing timers due on the way)
   * and resolves at once: convenient for sequential retry tests.
   * @defaultValue false
   */
  readonly autoAdvance?: boolean;
}

interface Entry {
  readonly at: number;
  readonly seq: number;
  readonly fire: () => void;
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Creates a {@link FakeTime}.
 *
 * @example
 * ```ts
 * const time = createFakeTime({ autoAdvance: true });
 * const llm = createResilientClient(inner, { clock: time.clock, sleep: time.sleep, timers: time.timers });
 * ```
 * @public
 */
export function createFakeTime(options: FakeTimeOptions = {}): FakeTime {
  let now = options.startMs ?? Date.UTC(2026, 0, 1);
  let seq = 0;
  const entries = new Map<number, Entry>();
  const sleeps: number[] = [];

  function schedule(ms: number, fire: () => void): number {
    seq += 1;
    entries.set(seq, { at: now + Math.max(0, ms), seq, fire });
    return seq;
  }

  function fireDue(target: number): boolean {
    let next: Entry | undefined;
    for (const entry of entries.values()) {
      if (entry.at <= target && (next === undefined || entry.at < next.at || (entry.at === next.at && entry.seq < next.seq))) {
        next = entry;
      }
    }
    if (next === undefined) return false;
    entries.delete(next.seq);
    now = Math.max(now, next.at);
    next.fire();
    return true;
  }

  async function advance(ms: number): Promise<void> {
    const target = now + ms;
    await tick();
    while (fireDue(target)) await tick();
    now = Math.max(now, target);
    await tick();
  }

  return {
    clock: { now: () => now },
    sleeps,
    now: () => now,
    pending: () => entries.size,
    advance,
    sleep(ms, signal) {
      sleeps.push(ms);
      if (signal?.aborted === true) return Promise.reject(signal.reason as Error);
      if (options.autoAdvance === true) {
        const target = now + ms;
        while (fireDue(target));
        now = Math.max(now, target);
        return Promise.resolve();
      }
      return new Promise<void>((resolve, reject) => {
        const onAbort = (): void => {
          entries.delete(id);
          reject(signal?.reason as Error);
        };
        const id = schedule(ms, () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        });
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
    timers: {
      setTimeout: (callback, ms) => schedule(ms, callback),
      clearTimeout: (handle) => {
        if (typeof handle === 'number') entries.delete(handle);
      },
    },
  };
}
