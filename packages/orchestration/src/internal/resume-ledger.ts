/**
 * Makes the ledger and the journal agree when a run is resumed in a new process.
 *
 * @remarks
 * Two directions. {@link recoverCharges}: a call the dead owner answered and charged but never
 * journaled (it crashed between the settle and the commit) is in the ledger, not in the run's usage;
 * the journal still shows its task running with the attempt's `reservationId`, and the ledger's
 * `lookup` of that id (and of the late-charge ids bill-once derives from it) gives the settlement
 * with its usage, which the resume adds to the task. {@link restoreLedger}: a shared ledger (Redis)
 * still has the run's scope and spend; a fresh in-memory ledger does not know the run, so its scope
 * is recreated with the journaled limit and charged the journaled spend, and the budget still holds
 * for the rest of the run.
 */
import {
  BudgetError,
  EMPTY_USAGE,
  RuntimeError,
  asReservationId,
  type BudgetLedger,
  type Money,
  type ReservationId,
  type ReservationStatus,
  type RunRecord,
  type Settlement,
  type TaskRecord,
  type Usage,
} from '@runtime/contracts';
import { lateReservationIds } from './bill-once.js';
import type { TaskRuntime } from './task-runtime.js';

/** A charge found in the ledger that the journal lacks. */
export interface RecoveredCharge {
  readonly task: TaskRuntime;
  readonly settlement: Settlement;
  /** The settled usage (empty when the settle carried none: only the cost is known). */
  readonly usage: Usage;
}

function isClosed(error: unknown): boolean {
  return RuntimeError.isInstance(error) && error.code === 'RESERVATION_CLOSED';
}

/** The reservation's status once it is closed: an open one is released first (its call is gone). */
async function closedStatus(ledger: BudgetLedger, id: ReservationId): Promise<ReservationStatus | undefined> {
  const status = await ledger.lookup(id);
  if (status?.state !== 'open') return status;
  try {
    await ledger.release(id);
  } catch (error) {
    // Settled in the meantime (a late settle of the dead owner): read what it charged.
    if (!isClosed(error)) throw error;
  }
  return ledger.lookup(id);
}

/**
 * Finds the charges of the attempts the journal shows running: for each, the attempt's
 * reservation and its late-charge holds are looked up — settled (or charged late after expiry) →
 * recovered; open → released; released, expired uncharged or forgotten → nothing. Call it after
 * the dead owner's holders were released, before the resume commit.
 */
export async function recoverCharges(ledger: BudgetLedger, records: readonly TaskRecord[], tasks: readonly TaskRuntime[]): Promise<RecoveredCharge[]> {
  const recovered: RecoveredCharge[] = [];
  await Promise.all(
    records.map(async (record) => {
      const task = tasks[record.index];
      if (record.state !== 'running' || record.reservationId === undefined || task === undefined) return;
      const ids = [record.reservationId, ...lateReservationIds(record.reservationId)];
      const statuses = await Promise.all(ids.map((id) => closedStatus(ledger, id)));
      for (const status of statuses) {
        const settlement = status?.settlement;
        if (settlement === undefined) continue;
        // A deduplicated or cached answer settles at zero with no usage: nothing was billed.
        if (settlement.actual === 0n && settlement.usage === undefined) continue;
        recovered.push({ task, settlement, usage: settlement.usage ?? EMPTY_USAGE });
      }
    }),
  );
  // Task order, whatever order the lookups answered in.
  return recovered.sort((a, b) => a.task.index - b.task.index);
}

export async function restoreLedger(
  ledger: BudgetLedger,
  record: RunRecord,
  tasks: readonly TaskRuntime[],
  owner: string,
): Promise<void> {
  const scope = `run:${record.id}`;
  try {
    await ledger.snapshot(scope);
    return;
  } catch (error) {
    if (!(BudgetError.isInstance(error) && error.code === 'UNKNOWN_SCOPE')) throw error;
  }
  await ledger.setLimit(scope, record.budgetLimit ?? null);
  let spent = 0n;
  for (const task of tasks) spent += task.cost;
  if (spent === 0n) return;
  const reservation = await ledger.reserve([scope], spent as Money, {
    id: asReservationId(`${record.id}/resumed-spend/${record.lastSeq}`),
    holder: owner,
    runId: record.id,
  });
  await ledger.settle(reservation.id, spent as Money);
}
