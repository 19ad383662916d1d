/**
 * A {@link @runtime/contracts#BudgetLedger} shared by every process that talks to one Redis.
 *
 * @remarks
 * Each operation is one Lua script (sent with EVALSHA; loaded on first use or after a
 * `SCRIPT FLUSH`), so a reserve checks and updates all its scopes atomically across replicas and
 * `spent + reserved ≤ limit` holds under any concurrency. Amounts are exact decimal strings in
 * Redis (see the two-limb arithmetic in the scripts). Leases expire lazily: every reserve returns
 * a batch of expired leases first, snapshot and releaseHolder a larger one, and
 * {@link SweepableBudgetLedger.sweepExpired} all of them; `renew` moves an open lease forward
 * (to the lease it was made with unless told). A closed reservation's record (state, hold,
 * settlement with its usage) is kept `closedRetentionMs` after it closed (default one day), so
 * settle stays idempotent and `lookup` answers for that long; then Redis drops it. Time comes from the `clock` option, so
 * replicas should have synchronised clocks (leases are minutes; small skew is harmless).
 */
import { createHash, randomUUID } from 'node:crypto';
import { InternalError, asReservationId, money, systemClock } from '@runtime/contracts';
import type { BudgetSnapshot, Clock, Money, Reservation, ReservationId, ReservationStatus, SettleOptions, Settlement, Usage } from '@runtime/contracts';
import type { Redis } from 'ioredis';
import type { SweepableBudgetLedger } from '../budget-ledger.js';
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
} from '../internal/ledger-input.js';
import { REDIS_SCRIPTS, SWEEP_BATCH } from '../internal/redis-scripts.js';
import type { RedisScriptName } from '../internal/redis-scripts.js';

/**
 * Options of {@link createRedisBudgetLedger}.
 * @public
 */
export interface RedisBudgetLedgerOptions {
  /** An ioredis client (enable `enableAutoPipelining` for throughput under concurrency). */
  readonly redis: Redis;
  /** Prefix of every key this ledger writes, e.g. `budget:` or `{budget}:` for Redis Cluster. */
  readonly keyPrefix: string;
  /** Time source for leases. @defaultValue `systemClock` */
  readonly clock?: Clock;
  /**
   * How long a closed reservation is remembered for idempotent settle and
   * {@link @runtime/contracts#BudgetLedger.lookup} (with its settlement and usage), in ms.
   * @defaultValue 86400000 (one day)
   */
  readonly closedRetentionMs?: number;
}

type Reply = readonly (string | number | null)[];

function text(value: string | number | null | undefined): string {
  return value === null || value === undefined ? '' : String(value);
}

function usageOf(json: string): Usage | undefined {
  return json === '' ? undefined : (Object.freeze(JSON.parse(json)) as Usage);
}

function settlementOf(id: string, reserved: string, actual: string, usageJson: string): Settlement {
  const usage = usageOf(usageJson);
  const base = { id: asReservationId(id), reserved: money(BigInt(reserved)), actual: money(BigInt(actual)) };
  return Object.freeze(usage === undefined ? base : { ...base, usage });
}

function holdOf(id: string, scopesJson: string, amount: string, expiresAt: string, holder: string): Reservation {
  return Object.freeze({
    id: asReservationId(id),
    scopes: Object.freeze(JSON.parse(scopesJson) as string[]),
    amount: money(BigInt(amount)),
    expiresAt: Number(expiresAt),
    ...(holder === '' ? {} : { holder }),
  });
}

/**
 * Creates a Redis-backed {@link @runtime/contracts#BudgetLedger} (`@runtime/cost/redis`; needs the `ioredis` peer).
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { createRedisBudgetLedger } from '@runtime/cost/redis';
 * const ledger = createRedisBudgetLedger({ redis: new Redis({ enableAutoPipelining: true }), keyPrefix: 'budget:' });
 * ```
 * @throws {@link @runtime/contracts#InternalError} `STORE_ERROR` (retryable) from every method when Redis fails.
 * @public
 */
export function createRedisBudgetLedger(options: RedisBudgetLedgerOptions): SweepableBudgetLedger {
  const { redis, keyPrefix } = options;
  const clock = options.clock ?? systemClock;
  const ttl = String(options.closedRetentionMs ?? 86_400_000);
  const idPrefix = `res_${randomUUID().slice(0, 12)}_`;
  let sequence = 0;
  const shas = Object.fromEntries(
    Object.entries(REDIS_SCRIPTS).map(([name, lua]) => [name, createHash('sha1').update(lua).digest('hex')]),
  ) as Record<RedisScriptName, string>;

  const run = async (name: RedisScriptName, args: readonly string[]): Promise<unknown> => {
    const argv = [keyPrefix, String(clock.now()), ttl, ...args];
    try {
      try {
        return await redis.evalsha(shas[name], 0, argv);
      } catch (error) {
        if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
        await redis.script('LOAD', REDIS_SCRIPTS[name]);
        return await redis.evalsha(shas[name], 0, argv);
      }
    } catch (error) {
      throw new InternalError({
        code: 'STORE_ERROR',
        message: `Redis budget ledger: ${name} failed: ${error instanceof Error ? error.message : String(error)}`,
        details: { operation: name, keyPrefix },
        cause: error,
      });
    }
  };

  // Validated scope lists and their JSON by identity: callers usually pass the same array each
  // call. The contents are compared again each time (a caller may have changed the array).
  const scopesByList = new WeakMap<readonly string[], { readonly names: readonly string[]; readonly json: string }>();
  const resolveScopes = (list: readonly string[]): { readonly names: readonly string[]; readonly json: string } => {
    const cached = Array.isArray(list) ? scopesByList.get(list) : undefined;
    if (cached !== undefined && cached.names.length === list.length && cached.names.every((name, index) => name === list[index])) return cached;
    const names = checkScopes(list);
    const resolved = { names, json: JSON.stringify(names) };
    scopesByList.set(list, resolved);
    return resolved;
  };

  const runReply = async (name: RedisScriptName, args: readonly string[]): Promise<Reply> => (await run(name, args)) as Reply;

  return {
    setLimit: async (scopeValue, limitValue) => {
      const scope = checkScopeName(scopeValue);
      const limit = checkLimit(limitValue);
      await run('setLimit', [scope, limit === null ? '-' : limit.toString()]);
    },

    reserve: async (scopeNames, amountValue, reserveOptions): Promise<Reservation> => {
      const { names, json } = resolveScopes(scopeNames);
      const amount = checkAmount(amountValue, 'amount');
      const checked = checkReserveOptions(reserveOptions);
      const id = checked.id ?? `${idPrefix}${++sequence}`;
      const reply = await runReply('reserve', [
        id,
        amount.toString(),
        String(checked.leaseMs),
        checked.holder ?? '',
        json,
        checked.runId ?? '',
        checked.taskId ?? '',
        checked.id === undefined ? '0' : '1',
      ]);
      const [status] = reply;
      if (status === 'UNKNOWN_SCOPE') throw unknownScope(text(reply[1]));
      if (status === 'BUDGET_EXCEEDED') {
        throw budgetExceeded(text(reply[1]), BigInt(text(reply[2])), BigInt(text(reply[3])), BigInt(text(reply[4])), amount);
      }
      if (status === 'EXISTS') {
        const holder = text(reply[4]);
        const state = text(reply[5]);
        if (state !== 'open') throw reservationClosed(id, state === 'settled' || state === 'released' ? state : 'expired', 'reserve');
        const held = { amount: BigInt(text(reply[2])), scopes: JSON.parse(text(reply[1])) as string[] };
        if (!sameHold(held, amount, names)) throw reservationIdConflict(id, held, amount, names);
        return Object.freeze({
          id: asReservationId(id),
          scopes: Object.freeze(held.scopes),
          amount: money(held.amount),
          expiresAt: Number(reply[3]),
          ...(holder === '' ? {} : { holder }),
        });
      }
      return Object.freeze({
        id: asReservationId(id),
        scopes: Object.freeze(names),
        amount: money(amount),
        expiresAt: Number(reply[1]),
        ...(checked.holder === undefined ? {} : { holder: checked.holder }),
      });
    },

    settle: async (idValue: ReservationId, actualValue: Money, settleOptions?: SettleOptions): Promise<Settlement> => {
      const id = checkId(idValue);
      const actual = checkAmount(actualValue, 'actual');
      const usage = checkSettleOptions(settleOptions);
      const usageJson = usage === undefined ? '' : JSON.stringify(usage);
      const reply = await runReply('settle', [id, actual.toString(), usageJson]);
      const [status] = reply;
      if (status === 'NOT_FOUND') throw reservationNotFound(id);
      if (status === 'CLOSED') {
        const state = reply[1] === 'expired' ? 'expired' : 'released';
        throw reservationClosed(id, state, 'settle', state === 'expired');
      }
      if (status === 'SETTLED') return settlementOf(id, text(reply[1]), text(reply[2]), text(reply[3]));
      return settlementOf(id, text(reply[1]), actual.toString(), usageJson);
    },

    renew: async (idValue: ReservationId, leaseValue?: number): Promise<Reservation> => {
      const id = checkId(idValue);
      const leaseMs = leaseValue === undefined ? '' : String(checkLeaseMs(leaseValue));
      const reply = await runReply('renew', [id, leaseMs]);
      const [status] = reply;
      if (status === 'NOT_FOUND') throw reservationNotFound(id);
      if (status === 'CLOSED') {
        const state = text(reply[1]);
        throw reservationClosed(id, state === 'settled' || state === 'released' ? state : 'expired', 'renew');
      }
      return holdOf(id, text(reply[3]), text(reply[2]), text(reply[1]), text(reply[4]));
    },

    lookup: async (idValue: ReservationId): Promise<ReservationStatus | undefined> => {
      const id = checkId(idValue);
      const reply = await runReply('lookup', [id]);
      const state = text(reply[0]);
      if (state === 'NOT_FOUND') return undefined;
      const reservation = holdOf(id, text(reply[2]), text(reply[1]), text(reply[3]), text(reply[4]));
      const checked = state === 'open' || state === 'settled' || state === 'released' ? state : 'expired';
      if (text(reply[5]) !== '1') return { state: checked, reservation };
      return { state: checked, reservation, settlement: settlementOf(id, text(reply[1]), text(reply[6]), text(reply[7])) };
    },

    release: async (idValue) => {
      const id = checkId(idValue);
      const status = await run('release', [id]);
      if (status === 'NOT_FOUND') throw reservationNotFound(id);
      if (status === 'CLOSED') throw reservationClosed(id, 'settled', 'release');
    },

    releaseHolder: async (holderValue) => Number(await run('releaseHolder', [checkId(holderValue, 'holder')])),

    snapshot: async (scopeValue): Promise<BudgetSnapshot> => {
      const scope = checkScopeName(scopeValue);
      const reply = await runReply('snapshot', [scope]);
      if (reply[0] === 'UNKNOWN_SCOPE') throw unknownScope(scope);
      const limit = text(reply[1]);
      return {
        scope,
        limit: limit === '-' ? null : money(BigInt(limit)),
        spent: money(BigInt(text(reply[2]))),
        reserved: money(BigInt(text(reply[3]))),
      };
    },

    sweepExpired: async () => {
      let total = 0;
      for (;;) {
        const swept = Number(await run('sweep', []));
        total += swept;
        if (swept < SWEEP_BATCH) return total;
      }
    },
  };
}
