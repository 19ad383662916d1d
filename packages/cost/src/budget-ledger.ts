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
import type { BudgetLedger, BudgetSnapshot, Clock, Money, Reservation, ReservationId, Settlement } from '@runtime/contracts';
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
  /** Closed reservations remembered for idempotent settle (oldest forgotten first). @defaultValue 100000 */
  readonly closedRetention?: number;
}

interface ScopeState {
  limit: bigint | null;
  spent: bigint;
  reserved: bigint;
}

interface Entry {
  readonly view: Reservation;
  readonly scopes: readonly ScopeState[];
  readonly amount: bigint;
  readonly expiresAt: number;
  readonly holder: string | undefined;
  state: 'open' | 'settled' | 'released' | 'expired';
  settlement: Settlement | undefined;
  lateCharged: boolean;
}

/** Runs a synchronous operation and hands its outcome back as a promise (the interface is async). */
function promised<T>(operation: () => T): Promise<T> {
  try {
    return Promise.resolve(operation());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
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
  const retention = options.closedRetention ?? 100_000;
  const scopes = new Map<string, ScopeState>();
  const open = new Map<string, Entry>();
  const closed = new Map<string, Entry>();
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
      closed.set(id, entry);
      if (closed.size > retention) {
        const oldest = closed.keys().next();
        if (oldest.done !== true) closed.delete(oldest.value);
      }
    }
  };

  const returnAmount = (entry: Entry): void => {
    for (const scope of entry.scopes) scope.reserved -= entry.amount;
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

  /** The entry of an id, with its lease checked. */
  const lookup = (id: string, now: number): Entry => {
    const entry = open.get(id) ?? closed.get(id);
    if (entry === undefined) throw reservationNotFound(id);
    if (entry.state === 'open' && entry.expiresAt <= now) expire(entry);
    return entry;
  };

  const settleNow = (idValue: ReservationId, actualValue: Money): Settlement => {
    const id = checkId(idValue);
    const actual = checkAmount(actualValue, 'actual');
    const entry = lookup(id, clock.now());
    if (entry.state === 'settled' && entry.settlement !== undefined) return entry.settlement;
    if (entry.state === 'expired') {
      // The call happened: its money is charged even though the lease ran out first.
      if (!entry.lateCharged) {
        for (const scope of entry.scopes) scope.spent += actual;
        entry.lateCharged = true;
      }
      throw reservationClosed(id, 'expired', 'settle', true);
    }
    if (entry.state !== 'open') throw reservationClosed(id, entry.state, 'settle');
    for (const scope of entry.scopes) {
      scope.reserved -= entry.amount;
      scope.spent += actual;
    }
    entry.settlement = Object.freeze({ id: entry.view.id, reserved: money(entry.amount), actual: money(actual) });
    close(entry, 'settled');
    return entry.settlement;
  };

  const releaseNow = (idValue: ReservationId): void => {
    const id = checkId(idValue);
    const entry = lookup(id, clock.now());
    if (entry.state === 'settled') throw reservationClosed(id, 'settled', 'release');
    if (entry.state !== 'open') return;
    returnAmount(entry);
    close(entry, 'released');
  };

  return {
    setLimit: (scopeValue, limitValue) =>
      promised(() => {
        const scope = checkScopeName(scopeValue);
        const limit = checkLimit(limitValue);
        const state = scopes.get(scope);
        if (state === undefined) scopes.set(scope, { limit, spent: 0n, reserved: 0n });
        else state.limit = limit;
      }),

    reserve: (scopeNames, amountValue, reserveOptions) =>
      promised(() => {
        const names = checkScopes(scopeNames);
        const amount = checkAmount(amountValue, 'amount');
        const checked = checkReserveOptions(reserveOptions);
        const now = clock.now();
        sweep(now);
        if (checked.id !== undefined) {
          const existing = open.get(checked.id) ?? closed.get(checked.id);
          if (existing !== undefined) return existing.view;
        }
        const states: ScopeState[] = [];
        for (const name of names) {
          const state = scopes.get(name);
          if (state === undefined) throw unknownScope(name);
          states.push(state);
        }
        for (const [index, state] of states.entries()) {
          if (state.limit !== null && state.spent + state.reserved + amount > state.limit) {
            throw budgetExceeded(names[index] ?? '', state.limit, state.spent, state.reserved, amount);
          }
        }
        for (const state of states) state.reserved += amount;
        const id = checked.id ?? `${idPrefix}${++sequence}`;
        const expiresAt = now + checked.leaseMs;
        const view: Reservation = Object.freeze({
          id: asReservationId(id),
          scopes: Object.freeze(names),
          amount: money(amount),
          expiresAt,
          ...(checked.holder === undefined ? {} : { holder: checked.holder }),
        });
        open.set(id, { view, scopes: states, amount, expiresAt, holder: checked.holder, state: 'open', settlement: undefined, lateCharged: false });
        if (expiresAt < nextExpiry) nextExpiry = expiresAt;
        if (checked.holder !== undefined) {
          let ids = byHolder.get(checked.holder);
          if (ids === undefined) byHolder.set(checked.holder, (ids = new Set()));
          ids.add(id);
        }
        return view;
      }),

    settle: (id, actual) => promised(() => settleNow(id, actual)),

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
          limit: state.limit === null ? null : money(state.limit),
          spent: money(state.spent),
          reserved: money(state.reserved),
        };
      }),

    sweepExpired: () => promised(() => sweep(clock.now())),
  };
}
