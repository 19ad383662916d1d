/**
 * Exact money arithmetic on two doubles, for the in-memory ledger's hot path.
 *
 * @remarks
 * A `bigint` operation allocates; a reserve + settle across three scopes needs about twenty of
 * them. An amount is kept instead as `hi × 10^15 + lo` with `0 ≤ lo < 10^15` and both parts exact
 * doubles (the same two-limb layout as the Redis scripts), exact up to 9×10^30 femto-dollars —
 * the ledger's {@link MAX_AMOUNT}. `bigint` appears only at the API boundary.
 */
const BASE = 1e15;
const BIG_BASE = 1_000_000_000_000_000n;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** A mutable two-limb amount. */
export interface Limbs {
  hi: number;
  lo: number;
}

export function toLimbs(value: bigint): Limbs {
  const limbs = { hi: 0, lo: 0 };
  setLimbs(limbs, value);
  return limbs;
}

/** Writes `value` into `target` (no allocation when `value` fits a safe integer, the common case). */
export function setLimbs(target: Limbs, value: bigint): void {
  if (value <= MAX_SAFE) {
    const number = Number(value);
    const hi = Math.floor(number / BASE);
    target.hi = hi;
    target.lo = number - hi * BASE;
    return;
  }
  target.hi = Number(value / BIG_BASE);
  target.lo = Number(value % BIG_BASE);
}

export function fromLimbs(value: Limbs): bigint {
  return value.hi === 0 ? BigInt(value.lo) : BigInt(value.hi) * BIG_BASE + BigInt(value.lo);
}

export function addTo(target: Limbs, amount: Limbs): void {
  let lo = target.lo + amount.lo;
  let hi = target.hi + amount.hi;
  if (lo >= BASE) {
    lo -= BASE;
    hi += 1;
  }
  target.lo = lo;
  target.hi = hi;
}

export function subtractFrom(target: Limbs, amount: Limbs): void {
  let lo = target.lo - amount.lo;
  let hi = target.hi - amount.hi;
  if (lo < 0) {
    lo += BASE;
    hi -= 1;
  }
  target.lo = lo;
  target.hi = hi;
}

/** Whether `a + b + c > limit`. */
export function sumExceeds(a: Limbs, b: Limbs, c: Limbs, limit: Limbs): boolean {
  let lo = a.lo + b.lo + c.lo;
  let hi = a.hi + b.hi + c.hi;
  while (lo >= BASE) {
    lo -= BASE;
    hi += 1;
  }
  return hi > limit.hi || (hi === limit.hi && lo > limit.lo);
}
