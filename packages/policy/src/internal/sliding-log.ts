/**
 * A sliding log: the admitted entries (time, weight) of one rule of one key, oldest first.
 *
 * An entry counts while `time > now - windowMs` and leaves the window at `time + windowMs`. Entries
 * live in two parallel arrays consumed from `head`; an entry's absolute index (`base + i`) stays
 * valid across compactions so permits can find it again to settle or release it.
 */
export class SlidingLog {
  readonly windowMs: number;
  /** Sum of the weights inside the window (after the last prune). */
  total = 0;
  private times: number[] = [];
  private weights: number[] = [];
  private head = 0;
  private base = 0;

  constructor(windowMs: number) {
    this.windowMs = windowMs;
  }

  /** Drops the entries that left the window at `now`. */
  prune(now: number): void {
    const cutoff = now - this.windowMs;
    const { times, weights } = this;
    let head = this.head;
    while (head < times.length && (times[head] ?? 0) <= cutoff) {
      this.total -= weights[head] ?? 0;
      head += 1;
    }
    if (head === times.length) {
      this.base += head;
      this.times = [];
      this.weights = [];
      this.head = 0;
    } else if (head >= 1024 && head * 2 >= times.length) {
      this.base += head;
      this.times = times.slice(head);
      this.weights = weights.slice(head);
      this.head = 0;
    } else {
      this.head = head;
    }
  }

  /** True when no entry is in the log. */
  isEmpty(): boolean {
    return this.head === this.times.length;
  }

  /** Time of the newest entry, or `-Infinity`. */
  newest(): number {
    return this.times.length > this.head ? (this.times[this.times.length - 1] ?? Number.NEGATIVE_INFINITY) : Number.NEGATIVE_INFINITY;
  }

  /** Appends an entry; returns its absolute index. */
  push(time: number, weight: number): number {
    this.times.push(time);
    this.weights.push(weight);
    this.total += weight;
    return this.base + this.times.length - 1;
  }

  /** Sets the weight of a live entry; false when it already left the window. */
  reweigh(index: number, weight: number): boolean {
    const i = index - this.base;
    if (i < this.head || i >= this.weights.length) return false;
    this.total += weight - (this.weights[i] ?? 0);
    this.weights[i] = weight;
    return true;
  }

  /**
   * Milliseconds until at least `excess` weight has left the window (assuming no new entries);
   * `excess` must not exceed `total`.
   */
  retryAfter(now: number, excess: number): number {
    let freed = 0;
    for (let i = this.head; i < this.times.length; i += 1) {
      freed += this.weights[i] ?? 0;
      if (freed >= excess) return Math.max(1, Math.ceil((this.times[i] ?? now) + this.windowMs - now));
    }
    return this.windowMs;
  }
}
