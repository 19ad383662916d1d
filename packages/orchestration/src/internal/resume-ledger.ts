/**
 * Makes the ledger agree with the journal when a run is resumed in a new process.
 *
 * @remarks
 * A shared ledger (Redis) still has the run's scope and spend: nothing to do. A fresh in-memory
 * ledger does not know the run: its scope is recreated with the journaled limit and charged the
 * journaled spend, so the budget still holds for the rest of the run.
 */
import {
  BudgetError,
  asReservationId,
  type BudgetLedger,
  type Money,
  type RunRecord,
} from '@runtime/contracts';
import type { TaskRuntime } from './task-runtime.js';

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
