/**
 * The in-memory {@link @runtime/contracts#BudgetLedger}: the embedded default, exact and fast.
 *
 * @remarks
 * Every operation runs synchronously inside one call, so a reserve checks and updates all its
 * scopes atomically with respect to every other caller in the process. Leases expire lazily: each
 * reserve, settle, release and snapshot first returns the amounts of expired leases (a scan that
 * only runs when the earliest lease may have passed), and {@link SweepableBudgetLedger.sweepExpired}
 * does it on demand; `renew` moves an open lease forward. The last `closedRetention` closed
 * reservations are remembered whole (state, hold, settlement with its usage), so settle stays
 * idempotent and `lookup` answers for them; an older closed id is forgotten (`lookup` returns
 * `undefined`, settle `RESERVATION_NOT_FOUND`). Not shared across processes: use
 * `@runtime/cost/redis` for that.
 */
import { randomUUID } from 'node:crypto';
import { asReservationId, money, systemClock } from '@runtime/contracts';
import type {
  BudgetLedger,
  BudgetSnapshot,
  Clock,
  Money,
  Reservation,
  ReservationId,
  ReservationStatus,
  ReserveOptions,
  SettleOptions,
  Settlement,
} from '@runtime/contracts';
import {
  budgetExceeded,
  checkAmount,
  checkId,
  checkLeaseMs,
  checkLimit,
  checkReserveOptions,
  checkSettleOptions,
  checkScopeName,
  checkScopes,
  reservationClosed,
  reservationIdConflict,
  reservationNotFound,
  sameHold,
  unknownScope,
} from './internal/ledger-input.js';
import { invalid } from './internal/errors.js';
import { addTo, fromLimbs, setLimbs, subtractFrom, sumExceeds, toLimbs } from './internal/limbs.js';
import type { Limbs } from './internal/limbs.js';
import { SequenceTable } from './internal/sequence-table.js';

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
   * How many closed reservations are remembered for idempotent settle and {@link @runtime/contracts#BudgetLedger.lookup}:
   * the most recently closed ones, the oldest forgotten first. @defaultValue 10000
   */
  readonly closedRetention?: number;
}

interface ScopeState {
  limit: Limbs | null;
  readonly spent: Limbs;
  readonly reserved: Limbs;
}

/** An open reservation (or a closed one still remembered whole); `hi`/`lo` are its amount's limbs. */
interface Entry extends Limbs {
  readonly id: string;
  /** Where it is filed: its sequence number when the ledger named it, else its id. */
  readonly key: Key;
  /** The hold as handed out; replaced (with the new expiry) by a renewal. */
  view: Reservation;
  readonly scopes: readonly ScopeState[];
  expiresAt: number;
  /** The lease length it was made with (a renewal without `leaseMs` uses it again). */
  readonly leaseMs: number;
  readonly holder: string | undefined;
  /** The id was chosen by the caller (a repeated reserve must find the reservation again). */
  readonly callerId: boolean;
  state: 'open' | 'settled' | 'released' | 'expired';
  /** Its settlement once settled, or the late charge of an expired one (a settle after expiry). */
  settlement: Settlement | undefined;
  /** Neighbours in the intrusive list of open reservations (no Map churn on open/close). */
  prev: Entry | undefined;
  next: Entry | undefined;
}

/** A generated id's sequence number (a cheap integer map key) or a caller-chosen id. */
type Key = number | string;

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
  // Every open reservation and every remembered closed one: those the ledger named in a ring
  // indexed by sequence number (hashing a fresh id string into a Map dominated the hot path), the
  // others by id. A close
  // overwrites the value in place, and a ring of the last `retention` closed keys says which one
  // to forget next.
  const generated = new SequenceTable<Entry>(retention + 4096);
  const named = new Map<string, Entry>();
  const closedRing: (Key | undefined)[] = [];
  let ringNext = 0;
  // Open reservations as an intrusive doubly-linked list (for sweeps; O(1) insert and removal).
  let openHead: Entry | undefined;
  const byHolder = new Map<string, Set<string>>();
  const idPrefix = `res_${randomUUID().slice(0, 8)}_`;
  const prefixLength = idPrefix.length;
  let sequence = 0;
  // A lower bound of the earliest open lease: no scan is needed before it.
  let nextExpiry = Number.POSITIVE_INFINITY;
  // Scratch limbs for the amount of the call in progress (no allocation per call).
  const scratch: Limbs = { hi: 0, lo: 0 };

  /** The key of an id: its sequence number when it has the form of the ids this ledger generates. */
  const keyOf = (id: string): Key => {
    if (id.length <= prefixLength || id.length > prefixLength + 15 || !id.startsWith(idPrefix)) return id;
    let sequenceNumber = 0;
    for (let index = prefixLength; index < id.length; index++) {
      const digit = id.charCodeAt(index) - 48;
      if (digit < 0 || digit > 9 || (digit === 0 && index === prefixLength)) return id;
      sequenceNumber = sequenceNumber * 10 + digit;
    }
    return sequenceNumber;
  };

  const find = (key: Key): Entry | undefined => (typeof key === 'number' ? generated.get(key) : named.get(key));

  const forget = (key: Key): void => {
    if (typeof key === 'number') generated.delete(key);
    else named.delete(key);
  };

  const remember = (key: Key, value: Entry): void => {
    if (retention <= 0) {
      forget(key);
      return;
    }
    if (typeof key === 'number') generated.update(key, value);
    else named.set(key, value);
    const forgotten = closedRing[ringNext];
    closedRing[ringNext] = key;
    ringNext = ringNext + 1 === retention ? 0 : ringNext + 1;
    if (forgotten !== undefined) forget(forgotten);
  };

  const close = (entry: Entry, state: Entry['state']): void => {
    entry.state = state;
    const { id, prev, next } = entry;
    if (prev === undefined) openHead = next;
    else prev.next = next;
    if (next !== undefined) next.prev = prev;
    entry.prev = undefined;
    entry.next = undefined;
    if (entry.holder !== undefined) {
      const ids = byHolder.get(entry.holder);
      ids?.delete(id);
      if (ids?.size === 0) byHolder.delete(entry.holder);
    }
    remember(entry.key, entry);
  };

  const returnAmount = (entry: Entry): void => {
    for (const scope of entry.scopes) subtractFrom(scope.reserved, entry);
  };

  const expire = (entry: Entry): void => {
    returnAmount(entry);
    close(entry, 'expired');
  };

  const sweep = (now: number): number => {
    if (now < nextExpiry) return 0;
    let expired = 0;
    let next = Number.POSITIVE_INFINITY;
    let entry = openHead;
    while (entry !== undefined) {
      const following = entry.next;
      if (entry.expiresAt <= now) {
        expire(entry);
        expired++;
      } else if (entry.expiresAt < next) {
        next = entry.expiresAt;
      }
      entry = following;
    }
    nextExpiry = next;
    return expired;
  };

  /** The entry of an id (open or remembered closed), with its lease checked. */
  const findChecked = (id: string, now: number): Entry | undefined => {
    const found = find(keyOf(id));
    if (found !== undefined && found.state === 'open' && found.expiresAt <= now) expire(found);
    return found;
  };

  const lookupOf = (id: string, now: number): Entry => {
    const found = findChecked(id, now);
    if (found === undefined) throw reservationNotFound(id);
    return found;
  };

  const settlementOf = (entry: Entry, actual: bigint, usage: SettleOptions['usage']): Settlement =>
    Object.freeze(
      usage === undefined
        ? { id: entry.view.id, reserved: entry.view.amount, actual: money(actual) }
        : { id: entry.view.id, reserved: entry.view.amount, actual: money(actual), usage },
    );

  const settleNow = (idValue: ReservationId, actualValue: Money, settleOptions: SettleOptions | undefined): Settlement => {
    const id = checkId(idValue);
    const actual = checkAmount(actualValue, 'actual');
    const usage = checkSettleOptions(settleOptions);
    const entry = lookupOf(id, clock.now());
    if (entry.state === 'settled' && entry.settlement !== undefined) return entry.settlement;
    if (entry.state === 'expired') {
      // The call happened: its money is charged even though the lease ran out first (once).
      if (entry.settlement === undefined) {
        setLimbs(scratch, actual);
        for (const scope of entry.scopes) addTo(scope.spent, scratch);
        entry.settlement = settlementOf(entry, actual, usage);
      }
      throw reservationClosed(id, 'expired', 'settle', true);
    }
    if (entry.state !== 'open') throw reservationClosed(id, entry.state, 'settle');
    setLimbs(scratch, actual);
    const states = entry.scopes;
    for (let index = 0; index < states.length; index++) {
      const scope = states[index];
      if (scope === undefined) continue;
      subtractFrom(scope.reserved, entry);
      addTo(scope.spent, scratch);
    }
    const settlement = settlementOf(entry, actual, usage);
    entry.settlement = settlement;
    close(entry, 'settled');
    return settlement;
  };

  const releaseNow = (idValue: ReservationId): void => {
    const id = checkId(idValue);
    const entry = lookupOf(id, clock.now());
    if (entry.state === 'settled') throw reservationClosed(id, 'settled', 'release');
    if (entry.state !== 'open') return;
    returnAmount(entry);
    close(entry, 'released');
  };

  const renewNow = (idValue: ReservationId, leaseValue: number | undefined): Reservation => {
    const id = checkId(idValue);
    const leaseMs = leaseValue === undefined ? undefined : checkLeaseMs(leaseValue);
    const now = clock.now();
    const entry = lookupOf(id, now);
    if (entry.state !== 'open') throw reservationClosed(id, entry.state, 'renew');
    const expiresAt = now + (leaseMs ?? entry.leaseMs);
    entry.expiresAt = expiresAt;
    entry.view = Object.freeze({ ...entry.view, expiresAt });
    // nextExpiry stays a lower bound of every open lease (a shorter renewal may move it earlier).
    if (expiresAt < nextExpiry) nextExpiry = expiresAt;
    return entry.view;
  };

  const lookupNow = (idValue: ReservationId): ReservationStatus | undefined => {
    const entry = findChecked(checkId(idValue), clock.now());
    if (entry === undefined) return undefined;
    return entry.settlement === undefined
      ? { state: entry.state, reservation: entry.view }
      : { state: entry.state, reservation: entry.view, settlement: entry.settlement };
  };

  // Validated scope lists by identity: callers usually pass the same array for every call of a run.
  const resolvedByList = new WeakMap<readonly string[], ResolvedScopes>();
  let lastList: readonly string[] | undefined;
  let lastResolved: ResolvedScopes | undefined;
  const resolveScopes = (list: readonly string[]): ResolvedScopes => {
    // The array's contents are compared again each time: a caller may have changed it since.
    if (list === lastList && lastResolved !== undefined && sameNames(lastResolved.names, list)) return lastResolved;
    const cached = Array.isArray(list) ? resolvedByList.get(list) : undefined;
    let resolved: ResolvedScopes;
    if (cached !== undefined && sameNames(cached.names, list)) {
      resolved = cached;
    } else {
      const names = checkScopes(list);
      const states: ScopeState[] = [];
      for (const name of names) {
        const state = scopes.get(name);
        if (state === undefined) throw unknownScope(name);
        states.push(state);
      }
      resolved = { names, states };
      resolvedByList.set(list, resolved);
    }
    lastList = list;
    lastResolved = resolved;
    return resolved;
  };

  const reserveNow = (scopeNames: readonly string[], amountValue: Money, reserveOptions: ReserveOptions | undefined): Reservation => {
    const amount = checkAmount(amountValue, 'amount');
    const checked = checkReserveOptions(reserveOptions);
    const { names, states } = resolveScopes(scopeNames);
    const now = clock.now();
    sweep(now);
    let key: Key;
    if (checked.id === undefined) {
      key = ++sequence;
    } else {
      key = keyOf(checked.id);
      const existing = find(key);
      if (existing !== undefined) {
        // An id holds money once: a closed one is never handed back as if it were a new hold.
        if (!existing.callerId) throw invalid('id', 'already used by a reservation this ledger named itself', { id: checked.id });
        if (existing.state !== 'open') throw reservationClosed(checked.id, existing.state, 'reserve');
        if (!sameHold(existing.view, amount, names)) throw reservationIdConflict(checked.id, existing.view, amount, names);
        return existing.view;
      }
      // Ids of this form are reserved for the ledger's own (a later generated id would collide).
      if (typeof key === 'number') throw invalid('id', 'has the form of the ids this ledger generates', { id: checked.id });
    }
    setLimbs(scratch, amount);
    for (let index = 0; index < states.length; index++) {
      const state = states[index];
      if (state?.limit != null && sumExceeds(state.spent, state.reserved, scratch, state.limit)) {
        throw budgetExceeded(names[index] ?? '', fromLimbs(state.limit), fromLimbs(state.spent), fromLimbs(state.reserved), amount);
      }
    }
    for (let index = 0; index < states.length; index++) {
      const state = states[index];
      if (state !== undefined) addTo(state.reserved, scratch);
    }
    const id = checked.id ?? `${idPrefix}${key}`;
    const expiresAt = now + checked.leaseMs;
    const view: Reservation = Object.freeze(
      checked.holder === undefined
        ? { id: asReservationId(id), scopes: names, amount: money(amount), expiresAt }
        : { id: asReservationId(id), scopes: names, amount: money(amount), expiresAt, holder: checked.holder },
    );
    const entry: Entry = {
      hi: scratch.hi,
      lo: scratch.lo,
      id,
      key,
      view,
      scopes: states,
      expiresAt,
      leaseMs: checked.leaseMs,
      holder: checked.holder,
      callerId: checked.id !== undefined,
      state: 'open',
      settlement: undefined,
      prev: undefined,
      next: openHead,
    };
    if (openHead !== undefined) openHead.prev = entry;
    openHead = entry;
    if (typeof key === 'number') generated.insert(key, entry);
    else named.set(key, entry);
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

    settle: (id, actual, settleOptions) => {
      try {
        return Promise.resolve(settleNow(id, actual, settleOptions));
      } catch (error) {
        return rejected(error);
      }
    },

    renew: (id, leaseMs) => promised(() => renewNow(id, leaseMs)),

    lookup: (id) => promised(() => lookupNow(id)),

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
