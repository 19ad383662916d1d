/**
 * A map from increasing sequence numbers to values, for the in-memory ledger's own reservation
 * ids: a power-of-two ring of slots indexed by `sequence & mask`, so the hot path stores into an
 * array instead of inserting into a hash table. A value whose slot is claimed by a newer sequence
 * number while it is still present moves to an overflow map (rare: only long-held reservations).
 */
export class SequenceTable<V> {
  private readonly keys: Float64Array;
  private readonly values: (V | undefined)[];
  private readonly mask: number;
  private readonly overflow = new Map<number, V>();

  /** `capacity` is rounded up to a power of two. */
  constructor(capacity: number) {
    let size = 16;
    while (size < capacity) size *= 2;
    this.keys = new Float64Array(size);
    this.values = new Array<V | undefined>(size).fill(undefined);
    this.mask = size - 1;
  }

  /** Adds a sequence number not seen before (at least 1). */
  insert(sequence: number, value: V): void {
    const slot = sequence & this.mask;
    const occupant = this.keys[slot] ?? 0;
    if (occupant !== 0) {
      const moved = this.values[slot];
      if (moved !== undefined) this.overflow.set(occupant, moved);
    }
    this.keys[slot] = sequence;
    this.values[slot] = value;
  }

  /** Replaces the value of a present sequence number (no-op when absent). */
  update(sequence: number, value: V): void {
    const slot = sequence & this.mask;
    if (this.keys[slot] === sequence) this.values[slot] = value;
    else if (this.overflow.has(sequence)) this.overflow.set(sequence, value);
  }

  get(sequence: number): V | undefined {
    const slot = sequence & this.mask;
    if (this.keys[slot] === sequence) return this.values[slot];
    return this.overflow.size === 0 ? undefined : this.overflow.get(sequence);
  }

  delete(sequence: number): void {
    const slot = sequence & this.mask;
    if (this.keys[slot] === sequence) {
      this.keys[slot] = 0;
      this.values[slot] = undefined;
    } else {
      this.overflow.delete(sequence);
    }
  }

  /** Values held in the overflow map (for tests). */
  get overflowSize(): number {
    return this.overflow.size;
  }
}
