/**
 * The in-memory {@link @runtime/contracts#BudgetLedger}: the embedded default, exact and fast.
 *
 * @remarks
 * Every operation runs synchronously inside one call, so a reserve checks and updates all its
 * scopes atomically with respect to every other caller in the process. Leases expire lazily: each
 * reserve, settle, release and snapshot first returns the amounts of expired leases (a scan that
 * only runs when the earliest lease may have passed), and {@link SweepableBudgetLedger.sweepExpired}
 * does it on demand. Closed reservations are remembered (bounded by `closedRetention`) so settle
 * stays idempotent. Not shared across processes: use `@runtime/cost/redis` for that.
 */
import { randomUUID } from 'node:crypto';
import { asReservationId, money, systemClock } from '@runtime/contracts';
import type { BudgetLedger, BudgetSnapshot, Clock, Money, Reservation, ReservationId, ReserveOptions, Settlement } from '@runtime/contracts';
import {
  budgetExceeded,
  checkAmount,
  checkId,
  checkLimit,
  checkReserveOptions,
  checkScopeName,
  checkScopes,
  reservationClosed,
  reservationNotFound,
  unknownScope,
} from './internal/ledger-input.js';
import { invalid } from './internal/errors.js';
import { addTo, fromLimbs, subtractFrom, sumExceeds, toLimbs } from './internal/limbs.js';
import type { Limbs } from './internal/limbs.js';

/**
 * A {@link @runtime/contracts#BudgetLedger} that can also return expired leases on demand.
 * @public
 */
export interface SweepableBudgetLedger extends BudgetLedger {
  /** Expires every reservation whose lease has passed; returns how many. */
  sweepExpired(): Promise<number>;
}

/**
 * Options of {@link createBudgetLedger}.
 * @public
 */
export interface BudgetLedgerOptions {
  /** Time source for leases. @defaultValue `systemClock` */
  readonly clock?: Clock;
  /**
   * Closed reservations remembered for idempotent settle: at least half this many, at most this
   * many (the oldest are forgotten in bulk). @defaultValue 10000
   */
  readonly closedRetention?: number;
}

interface ScopeState {
  limit: Limbs | null;
  readonly spent: Limbs;
  readonly reserved: Limbs;
}

interface Entry {
  readonly view: Reservation;
  readonly scopes: readonly ScopeState[];
  readonly amount: Limbs;
  readonly expiresAt: number;
  readonly holder: string | undefined;
  /** The id was chosen by the caller (a repeated reserve must find the reservation again). */
  readonly callerId: boolean;
  state: 'open' | 'settled' | 'released' | 'expired';
  settlement: Settlement | undefined;
  lateCharged: boolean;
}

const RELEASED = 'released';

/**
 * What is remembered of a closed reservation: its {@link Settlement} or {@link RELEASED} in the
 * common case (keeping whole entries alive halves throughput through garbage collection), the
 * entry itself when it expired (a late settle is still charged) or had a caller-chosen id.
 */
type Closed = Entry | Settlement | typeof RELEASED;

function isEntry(value: Closed): value is Entry {
  return typeof value === 'object' && 'view' in value;
}

interface ResolvedScopes {
  readonly names: readonly string[];
  readonly states: readonly ScopeState[];
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false;
  return true;
}

function rejected(error: unknown): Promise<never> {
  return Promise.reject(error instanceof Error ? error : new Error(String(error)));
}

/** Runs a synchronous operation and hands its outcome back as a promise (the interface is async). */
function promised<T>(operation: () => T): Promise<T> {
  try {
    return Promise.resolve(operation());
  } catch (error) {
    return rejected(error);
  }
}

/**
 * Creates an in-memory {@link @runtime/contracts#BudgetLedger}.
 *
 * @example
 * ```ts
 * const ledger = createBudgetLedger();
 * await ledger.setLimit('tenant:acme', usd(100));
 * await ledger.setLimit('run:r1', usd(2));
 * const hold = await ledger.reserve(['tenant:acme', 'run:r1'], usd('0.05'));
 * await ledger.settle(hold.id, usd('0.0123'));
 * ```
 * @public
 */
export function createBudgetLedger(options: BudgetLedgerOptions = {}): SweepableBudgetLedger {
  const clock = options.clock ?? systemClock;
  const retention = options.closedRetention ?? 10_000;
  const scopes = new Map<string, ScopeState>();
  const open = new Map<string, Entry>();
  // Closed reservations in two generations: when the newer one holds half the retention it
  // becomes the older one and the oldest generation is dropped whole (no per-entry deletes).
  let closed = new Map<string, Closed>();
  let closedBefore = new Map<string, Closed>();
  const generationSize = Math.max(1, Math.ceil(retention / 2));
  const byHolder = new Map<string, Set<string>>();
  const idPrefix = `res_${randomUUID().slice(0, 8)}_`;
  let sequence = 0;
  // A lower bound of the earliest open lease: no scan is needed before it.
  let nextExpiry = Number.POSITIVE_INFINITY;

  const close = (entry: Entry, state: Entry['state']): void => {
    entry.state = state;
    const id = entry.view.id;
    open.delete(id);
    if (entry.holder !== undefined) {
      const ids = byHolder.get(entry.holder);
      ids?.delete(id);
      if (ids?.size === 0) byHolder.delete(entry.holder);
    }
    if (retention > 0) {
      if (closed.size >= generationSize) {
        closedBefore = closed;
        closed = new Map();
      }
      const remembered: Closed =
        entry.callerId || state === 'expired' ? entry : state === 'released' ? RELEASED : (entry.settlement ?? entry);
      closed.set(id, remembered);
    }
  };

  const returnAmount = (entry: Entry): void => {
    for (const scope of entry.scopes) subtractFrom(scope.reserved, entry.amount);
  };

  const expire = (entry: Entry): void => {
    returnAmount(entry);
    close(entry, 'expired');
  };

  const sweep = (now: number): number => {
    if (now < nextExpiry) return 0;
    let expired = 0;
    let next = Number.POSITIVE_INFINITY;
    for (const entry of open.values()) {
      if (entry.expiresAt <= now) {
        expire(entry);
        expired++;
      } else if (entry.expiresAt < next) {
        next = entry.expiresAt;
      }
    }
    nextExpiry = next;
    return expired;
  };

  /** What is known of an id, with its lease checked. */
  const lookup = (id: string, now: number): Closed => {
    const found = open.get(id) ?? closed.get(id) ?? closedBefore.get(id);
    if (found === undefined) throw reservationNotFound(id);
    if (isEntry(found) && found.state === 'open' && found.expiresAt <= now) expire(found);
    return found;
  };

  const settleNow = (idValue: ReservationId, actualValue: Money): Settlement => {
    const id = checkId(idValue);
    const actual = checkAmount(actualValue, 'actual');
    const entry = lookup(id, clock.now());
    if (entry === RELEASED) throw reservationClosed(id, 'released', 'settle');
    if (!isEntry(entry)) return entry;
    if (entry.state === 'settled' && entry.settlement !== undefined) return entry.settlement;
    if (entry.state === 'expired') {
      // The call happened: its money is charged even though the lease ran out first.
      if (!entry.lateCharged) {
        const late = toLimbs(actual);
        for (const scope of entry.scopes) addTo(scope.spent, late);
        entry.lateCharged = true;
      }
      throw reservationClosed(id, 'expired', 'settle', true);
    }
    if (entry.state !== 'open') throw reservationClosed(id, entry.state, 'settle');
    const charged = toLimbs(actual);
    for (const scope of entry.scopes) {
      subtractFrom(scope.reserved, entry.amount);
      addTo(scope.spent, charged);
    }
    entry.settlement = Object.freeze({ id: entry.view.id, reserved: entry.view.amount, actual: money(actual) });
    close(entry, 'settled');
    return entry.settlement;
  };

  const releaseNow = (idValue: ReservationId): void => {
    const id = checkId(idValue);
    const entry = lookup(id, clock.now());
    if (entry === RELEASED) return;
    if (!isEntry(entry) || entry.state === 'settled') throw reservationClosed(id, 'settled', 'release');
    if (entry.state !== 'open') return;
    returnAmount(entry);
    close(entry, 'released');
  };

  // Validated scope lists by identity: callers usually pass the same array for every call of a run.
  const resolvedByList = new WeakMap<readonly string[], ResolvedScopes>();
  const resolveScopes = (list: readonly string[]): ResolvedScopes => {
    const cached = Array.isArray(list) ? resolvedByList.get(list) : undefined;
    if (cached !== undefined && sameNames(cached.names, list)) return cached;
    const names = checkScopes(list);
    const states: ScopeState[] = [];
    for (const name of names) {
      const state = scopes.get(name);
      if (state === undefined) throw unknownScope(name);
      states.push(state);
    }
    const resolved: ResolvedScopes = { names, states };
    resolvedByList.set(list, resolved);
    return resolved;
  };

  const reserveNow = (scopeNames: readonly string[], amountValue: Money, reserveOptions: ReserveOptions | undefined): Reservation => {
    const amount = checkAmount(amountValue, 'amount');
    const checked = checkReserveOptions(reserveOptions);
    const { names, states } = resolveScopes(scopeNames);
    const now = clock.now();
    sweep(now);
    if (checked.id !== undefined) {
      const existing = open.get(checked.id) ?? closed.get(checked.id) ?? closedBefore.get(checked.id);
      if (existing !== undefined && isEntry(existing)) return existing.view;
      if (existing !== undefined) throw invalid('id', 'already used by a reservation this ledger named itself', { id: checked.id });
    }
    const limbs = toLimbs(amount);
    for (let index = 0; index < states.length; index++) {
      const state = states[index];
      if (state?.limit != null && sumExceeds(state.spent, state.reserved, limbs, state.limit)) {
        throw budgetExceeded(names[index] ?? '', fromLimbs(state.limit), fromLimbs(state.spent), fromLimbs(state.reserved), amount);
      }
    }
    for (const state of states) addTo(state.reserved, limbs);
    const id = checked.id ?? `${idPrefix}${++sequence}`;
    const expiresAt = now + checked.leaseMs;
    const view: Reservation = Object.freeze(
      checked.holder === undefined
        ? { id: asReservationId(id), scopes: names, amount: money(amount), expiresAt }
        : { id: asReservationId(id), scopes: names, amount: money(amount), expiresAt, holder: checked.holder },
    );
    open.set(id, {
      view,
      scopes: states,
      amount: limbs,
      expiresAt,
      holder: checked.holder,
      callerId: checked.id !== undefined,
      state: 'open',
      settlement: undefined,
      lateCharged: false,
    });
    if (expiresAt < nextExpiry) nextExpiry = expiresAt;
    if (checked.holder !== undefined) {
      let ids = byHolder.get(checked.holder);
      if (ids === undefined) byHolder.set(checked.holder, (ids = new Set()));
      ids.add(id);
    }
    return view;
  };

  return {
    setLimit: (scopeValue, limitValue) =>
      promised(() => {
        const scope = checkScopeName(scopeValue);
        const checked = checkLimit(limitValue);
        const limit = checked === null ? null : toLimbs(checked);
        const state = scopes.get(scope);
        if (state === undefined) scopes.set(scope, { limit, spent: { hi: 0, lo: 0 }, reserved: { hi: 0, lo: 0 } });
        else state.limit = limit;
      }),

    reserve: (scopeNames, amountValue, reserveOptions) => {
      try {
        return Promise.resolve(reserveNow(scopeNames, amountValue, reserveOptions));
      } catch (error) {
        return rejected(error);
      }
    },

    settle: (id, actual) => {
      try {
        return Promise.resolve(settleNow(id, actual));
      } catch (error) {
        return rejected(error);
      }
    },

    release: (id) => promised(() => releaseNow(id)),

    releaseHolder: (holderValue) =>
      promised(() => {
        const holder = checkId(holderValue, 'holder');
        sweep(clock.now());
        const ids = [...(byHolder.get(holder) ?? [])];
        for (const id of ids) releaseNow(asReservationId(id));
        return ids.length;
      }),

    snapshot: (scopeValue) =>
      promised((): BudgetSnapshot => {
        const scope = checkScopeName(scopeValue);
        sweep(clock.now());
        const state = scopes.get(scope);
        if (state === undefined) throw unknownScope(scope);
        return {
          scope,
          limit: state.limit === null ? null : money(fromLimbs(state.limit)),
          spent: money(fromLimbs(state.spent)),
          reserved: money(fromLimbs(state.reserved)),
        };
      }),

    sweepExpired: () => promised(() => sweep(clock.now())),
  };
}
