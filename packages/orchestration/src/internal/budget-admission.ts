/**
 * Budget-aware admission: reserve a task's worst case, and wait (state `waiting`, reason `budget`)
 * while it does not fit only because of other tasks' open reservations.
 *
 * @remarks
 * A refusal is final only when the refusing scope's settled spend plus this task's own worst case
 * exceeds its limit, or when nothing of this run is in flight that could free room. Otherwise the
 * task keeps its slot, journals `task.waiting`, and asks again each time a reservation of the run
 * settles or is released ({@link RunLoop.budgetFreed}). Not responsible for pricing or the call.
 */
import {
  BudgetError,
  asReservationId,
  moneyToUsd,
  type Money,
  type Reservation,
  type ReservationId,
} from '@runtime/contracts';
import type { RunLoop } from './run-loop.js';
import { taskRecord, type TaskRuntime } from './task-runtime.js';

/** Thrown when the run stopped while the task waited: it never started and is skipped. */
export class StoppedWhileWaiting extends Error {}

/**
 * The id of an attempt's reservation: `<run>/<task>/<attempt>@<lease epoch>.<loop nonce>`, unique
 * per attempt across owners and across loops of one owner (a resumed run reserves anew, never
 * under an id a dead owner used — a closed id cannot be reserved again).
 */
export function reservationIdOf(loop: RunLoop, task: TaskRuntime, attempt: number): ReservationId {
  return asReservationId(`${loop.id}/${task.id}/${attempt}@${loop.epoch}.${loop.nonce}`);
}

function othersHold(loop: RunLoop, task: TaskRuntime): boolean {
  for (const other of loop.tasks.values()) if (other !== task && other.reservationId !== undefined) return true;
  return false;
}

/** Reserves `worstCase` for the attempt (under `id`: an agent step's own), waiting for budget while other tasks' reservations block it. */
export async function reserveWorstCase(
  loop: RunLoop,
  task: TaskRuntime,
  attempt: number,
  worstCase: Money,
  signal: AbortSignal,
  id: ReservationId = reservationIdOf(loop, task, attempt),
): Promise<Reservation> {
  const { ledger } = loop.options;
  const leaseMs = loop.options.reservationLeaseMs;
  for (;;) {
    const generation = loop.budgetGeneration;
    try {
      return await ledger.reserve(loop.scopes, worstCase, {
        id,
        holder: loop.owner,
        runId: loop.id,
        taskId: task.id,
        ...(leaseMs === undefined ? {} : { leaseMs }),
      });
    } catch (error) {
      if (!(BudgetError.isInstance(error) && error.code === 'BUDGET_EXCEEDED') || loop.stopping !== undefined) throw error;
      const scope = String(error.details['scope']);
      const snapshot = await ledger.snapshot(scope);
      if (snapshot.limit !== null && snapshot.spent + worstCase > snapshot.limit) throw error;
      if (loop.budgetGeneration !== generation) continue; // room was freed meanwhile
      if (!othersHold(loop, task)) throw error;
      if (task.state !== 'waiting' || task.waiting?.reason !== 'budget') {
        const details = {
          scope,
          requestedUsd: moneyToUsd(worstCase),
          spentUsd: moneyToUsd(snapshot.spent),
          reservedUsd: moneyToUsd(snapshot.reserved),
          limitUsd: snapshot.limit === null ? null : moneyToUsd(snapshot.limit),
        };
        task.state = 'waiting';
        task.waiting = { reason: 'budget', details };
        await loop.journal.commit(undefined, [taskRecord(loop.id, task)], [{ type: 'task.waiting', taskId: task.id, reason: 'budget', details }]);
      }
      if (loop.budgetGeneration === generation) {
        try {
          await loop.waitForBudget(signal);
        } catch (abort) {
          // The run stopped (abort, failFast, timeout): the task never started. A task timeout fails it.
          if (loop.stopping !== undefined) throw new StoppedWhileWaiting('The run stopped while the task waited for budget.');
          throw abort;
        }
      }
      if (loop.stopping !== undefined) throw new StoppedWhileWaiting('The run stopped while the task waited for budget.');
    }
  }
}
