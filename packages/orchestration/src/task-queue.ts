/**
 * A bounded FIFO with backpressure.
 *
 * @remarks
 * When full, {@link @runtime/contracts#TaskQueue.enqueue} throws `QUEUE_FULL` with the capacity and a retry hint (the
 * sidecar maps it to 429 with Retry-After) — nothing is dropped silently. The parallel executor
 * keeps the work waiting for a slot in one of these.
 */
import { RunStateError, ValidationError, type TaskQueue } from '@runtime/contracts';

/**
 * Options of {@link createTaskQueue}.
 * @public
 */
export interface TaskQueueOptions {
  /** Most items held at once (an integer ≥ 1). */
  readonly capacity: number;
  /** Retry hint carried by `QUEUE_FULL`. @defaultValue 1000 */
  readonly retryAfterMs?: number;
}

class RingQueue<Item> implements TaskQueue<Item> {
  readonly capacity: number;
  readonly #retryAfterMs: number;
  #items: (Item | undefined)[] = [];
  #head = 0;
  #size = 0;

  constructor(capacity: number, retryAfterMs: number) {
    this.capacity = capacity;
    this.#retryAfterMs = retryAfterMs;
  }

  get size(): number {
    return this.#size;
  }

  enqueue(item: Item): void {
    if (this.#size >= this.capacity) {
      throw new RunStateError({
        code: 'QUEUE_FULL',
        message: `The queue is full (${this.capacity} items); retry later.`,
        details: { capacity: this.capacity, retryAfterMs: this.#retryAfterMs },
      });
    }
    const length = this.#items.length;
    if (this.#size === length) {
      // Grow: unroll the ring so head is at 0.
      const grown = this.#items.slice(this.#head).concat(this.#items.slice(0, this.#head));
      grown.length = Math.min(this.capacity, Math.max(8, length * 2));
      this.#items = grown;
      this.#head = 0;
    }
    this.#items[(this.#head + this.#size) % this.#items.length] = item;
    this.#size += 1;
  }

  dequeue(): Item | undefined {
    if (this.#size === 0) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.#items.length;
    this.#size -= 1;
    return item;
  }
}

/**
 * Creates a bounded {@link @runtime/contracts#TaskQueue}.
 * @throws {@link @runtime/contracts#ValidationError} `VALIDATION_FAILED` for a capacity that is not an integer ≥ 1, or
 * a negative retry hint.
 * @example
 * ```ts
 * const queue = createTaskQueue<string>({ capacity: 2 });
 * queue.enqueue('a'); queue.enqueue('b');
 * queue.enqueue('c'); // throws RunStateError QUEUE_FULL
 * ```
 * @public
 */
export function createTaskQueue<Item>(options: TaskQueueOptions): TaskQueue<Item> {
  const { capacity, retryAfterMs = 1000 } = options;
  if (!(Number.isInteger(capacity) || capacity === Number.POSITIVE_INFINITY) || capacity < 1) {
    throw new ValidationError({
      code: 'VALIDATION_FAILED',
      message: `Queue capacity must be an integer ≥ 1, got ${String(capacity)}.`,
      details: { capacity },
    });
  }
  if (!Number.isFinite(retryAfterMs) || retryAfterMs < 0) {
    throw new ValidationError({
      code: 'VALIDATION_FAILED',
      message: `retryAfterMs must be a finite number ≥ 0, got ${String(retryAfterMs)}.`,
      details: { retryAfterMs },
    });
  }
  return new RingQueue<Item>(capacity, retryAfterMs);
}
