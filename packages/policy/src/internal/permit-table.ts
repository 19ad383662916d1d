/**
 * Open permits of the in-memory limiter, by sequence number, in admission order.
 *
 * Parallel arrays rather than one object per permit: a limiter holds every unsettled permit for up
 * to its longest window, and plain array slots cost the garbage collector far less than objects.
 */

/** An open permit taken out of the table. */
export interface TakenPermit<State> {
  readonly state: State;
  /** Absolute indexes in the rpm, rph and tpm logs; -1 when the rule was not applied. */
  readonly rpm: number;
  readonly rph: number;
  readonly tpm: number;
}

export class PermitTable<State> {
  private states: (State | undefined)[] = [];
  private indexes: number[] = [];
  private expiries: number[] = [];
  private head = 0;
  private base = 0;

  /** Adds an open permit; returns its sequence number. */
  add(state: State, rpm: number, rph: number, tpm: number, expiresAt: number): number {
    this.states.push(state);
    this.indexes.push(rpm, rph, tpm);
    this.expiries.push(expiresAt);
    return this.base + this.states.length - 1;
  }

  /** Removes and returns an open, unexpired permit; `undefined` when unknown, taken or expired. */
  take(sequence: number, now: number): TakenPermit<State> | undefined {
    const slot = sequence - this.base;
    if (!Number.isSafeInteger(slot) || slot < this.head || slot >= this.states.length) return undefined;
    const state = this.states[slot];
    if (state === undefined) return undefined;
    this.states[slot] = undefined;
    if ((this.expiries[slot] ?? 0) <= now) return undefined;
    const at = slot * 3;
    return { state, rpm: this.indexes[at] ?? -1, rph: this.indexes[at + 1] ?? -1, tpm: this.indexes[at + 2] ?? -1 };
  }

  /** Forgets the taken and expired permits at the front; compacts when half the table is dead. */
  sweep(now: number): void {
    let head = this.head;
    while (head < this.states.length && (this.states[head] === undefined || (this.expiries[head] ?? 0) <= now)) {
      this.states[head] = undefined;
      head += 1;
    }
    if (head * 2 >= this.states.length) {
      this.states = this.states.slice(head);
      this.indexes = this.indexes.slice(head * 3);
      this.expiries = this.expiries.slice(head);
      this.base += head;
      head = 0;
    }
    this.head = head;
  }
}
