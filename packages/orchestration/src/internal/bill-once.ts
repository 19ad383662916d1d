/**
 * Bill once: the money of a call the provider answered is charged exactly once — in the ledger, the
 * task's usage and the usage tracker alike — whatever fails afterwards.
 *
 * @remarks
 * Runs outside the call's `try`, so nothing here releases the reservation of an answered call.
 * Impossible usage is normalised (`normalizeUsage`), transient settle failures are retried (settle
 * is idempotent), a settle that lands after the lease expired is accepted when the ledger charged it
 * (`RESERVATION_CLOSED` with `details.charged`), and a reservation released under the call (another
 * owner took the run over) is charged through a fresh zero hold settled to the actual cost — the
 * ledger charges an over-settle in full, and a zero hold fits whatever the others hold. Such a hold's
 * id is derived from the original ({@link lateReservationIds}: `<id>/late`, `<id>/late.2`, …), and
 * every settle carries the call's usage, so a process resuming the run after a crash finds the
 * charge with `ledger.lookup` and accounts it (see `resume-ledger.ts`). A compaction summary call is
 * charged the same way ({@link chargeOnce}) under {@link summaryReservationId}.
 */
import {
  EMPTY_USAGE,
  RuntimeError,
  ZERO_MONEY,
  asReservationId,
  normalizeUsage,
  type LlmResult,
  type Money,
  type Reservation,
  type ReservationId,
  type ResultSource,
  type Settlement,
  type Usage,
  type UsageAdjustment,
} from '@runtime/contracts';
import type { RunLoop } from './run-loop.js';
import type { TaskRuntime } from './task-runtime.js';

/** Settle attempts on a retryable failure (a store blip), with backoff from {@link SETTLE_BACKOFF_MS}. */
const SETTLE_ATTEMPTS = 6;
const SETTLE_BACKOFF_MS = 20;
/** Fresh holds tried for a late charge whose hold is itself closed under it. */
const LATE_ROUNDS = 3;

/** What a call cost and what was charged. */
export interface Bill {
  /** Billed tokens (empty for a `dedup`/`cache` result). */
  readonly usage: Usage;
  /** The cost charged. */
  readonly cost: Money;
  /** Where the result came from when not a billed provider call. */
  readonly source: Exclude<ResultSource, 'provider'> | undefined;
  /** Changes made to the reported usage. */
  readonly adjustments: readonly UsageAdjustment[] | undefined;
  /** The ledger's settlement (or its equivalent for a late charge). */
  readonly settlement: Settlement;
}

function isClosed(error: unknown): error is RuntimeError {
  return RuntimeError.isInstance(error) && error.code === 'RESERVATION_CLOSED';
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function retried<Value>(operation: () => Promise<Value>): Promise<Value> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await operation();
    } catch (error) {
      if (!(RuntimeError.isInstance(error) && error.isRetryable) || attempt >= SETTLE_ATTEMPTS) throw error;
      await delay(SETTLE_BACKOFF_MS * 2 ** (attempt - 1));
    }
  }
}

/** The id of the fresh hold of late-charge round `round` (1-based) of reservation `id`. */
function lateReservationId(id: ReservationId, round: number): ReservationId {
  return asReservationId(`${id}/late${round === 1 ? '' : `.${round}`}`);
}

/** Every id a late charge of reservation `id` may have used, in round order. */
export function lateReservationIds(id: ReservationId): ReservationId[] {
  return Array.from({ length: LATE_ROUNDS }, (_, index) => lateReservationId(id, index + 1));
}

/** Every id a charge against reservation `id` may have landed under: `id` itself, then its late holds. */
export function chargeIds(id: ReservationId): ReservationId[] {
  return [id, ...lateReservationIds(id)];
}

/**
 * The id of the hold of the compaction summary call made for the attempt whose reservation is
 * `attemptId`: `<attemptId>/summary` (its late holds derive from it like any other's).
 */
export function summaryReservationId(attemptId: ReservationId): ReservationId {
  return asReservationId(`${attemptId}/summary`);
}

/**
 * Charges `cost` against `reservation` exactly once, whatever state the reservation is in; the
 * settle carries `usage` when given (a zero settle without usage is what a free result leaves).
 */
export async function chargeOnce(loop: RunLoop, reservation: Reservation, cost: Money, usage: Usage | undefined): Promise<Settlement> {
  const { ledger } = loop.options;
  const options = usage === undefined ? {} : { usage };
  try {
    return await retried(() => ledger.settle(reservation.id, cost, options));
  } catch (error) {
    if (!isClosed(error)) throw error;
    if (error.details['charged'] === true) return { id: reservation.id, reserved: reservation.amount, actual: cost };
  }
  // Released under the call (the run was taken over, or a holder sweep): charge it anew, under a
  // holder of its own so the sweep of the dead owner's reservations cannot release it again.
  for (let round = 1; ; round += 1) {
    const late = lateReservationId(reservation.id, round);
    await retried(() => ledger.reserve(reservation.scopes, ZERO_MONEY, { id: late, holder: `${loop.owner}#late`, runId: loop.id }));
    try {
      const settled = await retried(() => ledger.settle(late, cost, options));
      return { id: settled.id, reserved: reservation.amount, actual: settled.actual };
    } catch (error) {
      if (!isClosed(error) || round >= LATE_ROUNDS) throw error;
      if (error.details['charged'] === true) return { id: late, reserved: reservation.amount, actual: cost };
    }
  }
}

/**
 * Prices and charges an answered call once; never releases its reservation.
 * @throws the ledger's error when the charge could not be recorded at all (non-retryable, or
 * retries exhausted); the caller reports it without failing the task.
 */
export async function billOnce(loop: RunLoop, task: TaskRuntime, reservation: Reservation, result: LlmResult): Promise<Bill> {
  const { costs } = loop.options;
  const source = result.source === 'dedup' || result.source === 'cache' ? result.source : undefined;
  const normalized = normalizeUsage(result.usage);
  const usage = source === undefined ? normalized.usage : EMPTY_USAGE;
  const cost = source === undefined ? costs.cost(task.model.id, usage) : ZERO_MONEY;
  const settlement = await chargeOnce(loop, reservation, cost, usage);
  return { usage, cost, source, adjustments: normalized.adjusted ? normalized.details : undefined, settlement };
}
