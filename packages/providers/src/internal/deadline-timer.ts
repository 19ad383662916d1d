import type { Clock } from '@runtime/contracts';
import type { ResilienceTimers } from '../resilient-client-options.js';

/** Something with a deadline: the timer calls `expire` once it has passed (unless it left first). */
export interface Deadline {
  deadline: number;
  settled: boolean;
  expire(): void;
}

interface Queue {
  readonly items: Deadline[];
  start: number;
}

/**
 * One timer for every pending attempt deadline, instead of a `setTimeout` per attempt.
 *
 * @remarks
 * Deadlines are queued per duration (so each queue is in deadline order: same duration, later
 * start) and a single timer is armed for the earliest one. Settled entries are dropped lazily.
 * The timer is cleared as soon as nothing is pending: none is left running after the last call
 * ends. With `timers.defer`, arming waits until the event loop turns: calls that settle within
 * the same turn (an answer already there, a cache) never touch a timer at all, and nothing is
 * lost, since no timer can fire before the turn ends.
 */
export class DeadlineTimer {
  readonly #timers: ResilienceTimers;
  readonly #clock: Clock;
  readonly #queues = new Map<number, Queue>();
  #pending = 0;
  #handle: unknown;
  #armedFor = Number.POSITIVE_INFINITY;
  #armRequested = false;
  readonly #onTimer = (): void => this.#fire();
  readonly #onDeferred = (): void => {
    this.#armRequested = false;
    if (this.#pending > 0) this.#armForEarliest();
  };

  constructor(timers: ResilienceTimers, clock: Clock) {
    this.#timers = timers;
    this.#clock = clock;
  }

  /** Starts watching `item`, due `durationMs` from now. */
  add(item: Deadline, durationMs: number): void {
    item.deadline = this.#clock.now() + durationMs;
    item.settled = false;
    let queue = this.#queues.get(durationMs);
    if (queue === undefined) {
      queue = { items: [], start: 0 };
      this.#queues.set(durationMs, queue);
    }
    queue.items.push(item);
    this.#pending += 1;
    if (item.deadline >= this.#armedFor) return;
    if (this.#timers.defer === undefined) this.#arm(item.deadline);
    else if (!this.#armRequested) {
      this.#armRequested = true;
      this.#timers.defer(this.#onDeferred);
    }
  }

  /** Stops watching `item` (its attempt ended first). */
  remove(item: Deadline): void {
    if (item.settled) return;
    item.settled = true;
    this.#pending -= 1;
    if (this.#pending === 0) {
      this.#queues.clear();
      this.#disarm();
    }
  }

  /** Arms for the earliest unsettled deadline, dropping settled heads on the way. */
  #armForEarliest(): void {
    let next = Number.POSITIVE_INFINITY;
    for (const [duration, queue] of this.#queues) {
      while (queue.start < queue.items.length && queue.items[queue.start]?.settled === true) queue.start += 1;
      const head = queue.items[queue.start];
      if (head === undefined) this.#queues.delete(duration);
      else next = Math.min(next, head.deadline);
    }
    if (next < this.#armedFor) this.#arm(next);
  }

  #arm(deadline: number): void {
    this.#disarm();
    this.#armedFor = deadline;
    this.#handle = this.#timers.setTimeout(this.#onTimer, Math.max(0, deadline - this.#clock.now()));
  }

  #disarm(): void {
    if (this.#handle !== undefined) this.#timers.clearTimeout(this.#handle);
    this.#handle = undefined;
    this.#armedFor = Number.POSITIVE_INFINITY;
  }

  #fire(): void {
    this.#handle = undefined;
    this.#armedFor = Number.POSITIVE_INFINITY;
    const now = this.#clock.now();
    const expired: Deadline[] = [];
    let next = Number.POSITIVE_INFINITY;
    for (const [duration, queue] of this.#queues) {
      while (queue.start < queue.items.length) {
        const head = queue.items[queue.start];
        if (head === undefined || (!head.settled && head.deadline > now)) break;
        queue.start += 1;
        if (!head.settled) {
          head.settled = true;
          this.#pending -= 1;
          expired.push(head);
        }
      }
      if (queue.start >= queue.items.length) this.#queues.delete(duration);
      else {
        if (queue.start > 1024) {
          queue.items.splice(0, queue.start);
          queue.start = 0;
        }
        next = Math.min(next, queue.items[queue.start]?.deadline ?? Number.POSITIVE_INFINITY);
      }
    }
    if (this.#pending > 0 && next !== Number.POSITIVE_INFINITY) this.#arm(next);
    for (const item of expired) item.expire();
  }
}
