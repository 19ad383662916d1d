/**
 * Makes the ledger and the journal agree when a run is resumed in a new process.
 *
 * @remarks
 * Two directions. {@link recoverCharges}: a call the dead owner answered and charged but never
 * journaled (it crashed between the settle and the commit) is in the ledger, not in the run's usage;
 * the journal still names the hold in the task's `reservationId` — the attempt's reservation
 * (task running), or the hold of a compaction summary call journaled before that call — and the
 * ledger's `lookup` of that id (and of the late-charge ids bill-once derives from it) gives the
 * settlement with its usage, which the resume adds to the task. {@link restoreLedger}: a shared
 * ledger (Redis) still has the run's scope and spend; a fresh in-memory ledger does not know the
 * run, so its scope is recreated with the journaled limit and charged the journaled spend, and the
 * budget still holds for the rest of the run.
 *
 * A summary hold is looked up only while the journal names it: once its charge is journaled the
 * task's record holds its usage and no longer names the hold, so it is never counted twice.
 *
 * Zombie owner: a dead owner that was only frozen may still charge a call after the resume looked
 * (its hold released, the charge goes to `<id>/late`). {@link recoverCharges} also returns the ids
 * it found without a settlement; the new owner looks them up again ({@link recheckCharges}) just
 * before the run's terminal commit and adds what was charged since. A charge landing after that
 * commit is in the ledger only (findable by `lookup`).
 */
import {
  BudgetError,
  EMPTY_USAGE,
  addUsage,
  moneyToUsd,
  RuntimeError,
  asReservationId,
  type BudgetLedger,
  type Money,
  type ReservationId,
  type ReservationStatus,
  type RunRecord,
  type RuntimeEvent,
  type RuntimeEventInput,
  type Settlement,
  type TaskRecord,
  type Usage,
  type UsageTracker,
} from '@runtime/contracts';
import { chargeIds } from './bill-once.js';
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

/** Holds of a dead owner's attempt that had no settlement at resume (a zombie may still charge them). */
export interface UnsettledHolds {
  readonly task: TaskRuntime;
  readonly ids: readonly ReservationId[];
}

/** What {@link recoverCharges} found. */
export interface Recovery {
  /** Charges the journal lacks, in task order. */
  readonly charges: RecoveredCharge[];
  /** Of each attempt whose hold was open or released: its ids still without a settlement. */
  readonly unsettled: UnsettledHolds[];
}

function charged(task: TaskRuntime, settlement: Settlement | undefined): RecoveredCharge | undefined {
  if (settlement === undefined) return undefined;
  // A deduplicated or cached answer settles at zero with no (or empty) usage: nothing was billed.
  const usage = settlement.usage;
  if (settlement.actual === 0n && (usage === undefined || isEmpty(usage))) return undefined;
  return { task, settlement, usage: usage ?? EMPTY_USAGE };
}

function isEmpty(usage: Usage): boolean {
  return usage.inputTokens === 0 && usage.outputTokens === 0 && usage.cacheReadTokens === 0 && usage.cacheWriteTokens === 0 && usage.reasoningTokens === 0;
}

function finished(record: TaskRecord): boolean {
  return record.state === 'completed' || record.state === 'failed' || record.state === 'skipped';
}

/**
 * The holds of unfinished tasks journaled (`budget.reserved`) but never closed in the journal
 * (no `budget.settled` / `budget.released` under the hold's id or one of its late ids), by task
 * index. An agent task holds several at once (parallel priced tools, a tool's nested loop) while
 * its record names only the last: a crash leaves the others named by these events alone.
 */
export function unclosedHolds(events: readonly RuntimeEvent[], records: readonly TaskRecord[]): Map<number, ReservationId[]> {
  const indexOf = new Map(records.filter((record) => !finished(record)).map((record) => [record.id as string, record.index]));
  const reserved = new Map<string, number>();
  const closed = new Set<string>();
  for (const event of events) {
    if (event.type === 'budget.reserved') {
      const index = indexOf.get(event.taskId);
      if (index !== undefined) reserved.set(event.reservationId, index);
    } else if (event.type === 'budget.settled' || event.type === 'budget.released') closed.add(event.reservationId);
  }
  const holds = new Map<number, ReservationId[]>();
  for (const [id, index] of reserved) {
    if (chargeIds(asReservationId(id)).some((charge) => closed.has(charge))) continue;
    holds.set(index, [...(holds.get(index) ?? []), asReservationId(id)]);
  }
  return holds;
}

/**
 * Finds the charges of the holds the journal names on unfinished tasks (an attempt's reservation,
 * or a summary call's hold, and the `extra` holds of {@link unclosedHolds}): for each, the hold and
 * its late-charge holds are looked up — settled (or charged late after expiry) → recovered; open →
 * released; released, expired uncharged or forgotten → nothing. Call it after the dead owner's
 * holders were released, before the resume commit.
 */
export async function recoverCharges(
  ledger: BudgetLedger,
  records: readonly TaskRecord[],
  tasks: readonly TaskRuntime[],
  extra: ReadonlyMap<number, readonly ReservationId[]> = new Map(),
): Promise<Recovery> {
  const charges: RecoveredCharge[] = [];
  const unsettled: UnsettledHolds[] = [];
  const recoverHold = async (task: TaskRuntime, hold: ReservationId): Promise<void> => {
    const ids = chargeIds(hold);
    const statuses = await Promise.all(ids.map((id) => closedStatus(ledger, id)));
    const open: ReservationId[] = [];
    statuses.forEach((status, index) => {
      const charge = charged(task, status?.settlement);
      if (charge !== undefined) charges.push(charge);
      else if (status?.settlement === undefined) open.push(ids[index] as ReservationId);
    });
    // The hold existed and was not settled (open and released here, or released under the call):
    // a frozen owner may still charge it, late.
    const first = statuses[0];
    if (first !== undefined && first.settlement === undefined && open.length > 0) unsettled.push({ task, ids: open });
  };
  await Promise.all(
    records.map(async (record) => {
      const task = tasks[record.index];
      if (finished(record) || task === undefined) return;
      const holds = new Set<ReservationId>(extra.get(record.index) ?? []);
      if (record.reservationId !== undefined) holds.add(record.reservationId);
      await Promise.all([...holds].map((hold) => recoverHold(task, hold)));
    }),
  );
  // Task order, whatever order the lookups answered in.
  return { charges: charges.sort((a, b) => a.task.index - b.task.index), unsettled: unsettled.sort((a, b) => a.task.index - b.task.index) };
}

/**
 * Looks up again the holds {@link recoverCharges} found unsettled; returns what was charged since
 * (a zombie owner's late charge). Nothing is released: a hold still open is a charge on its way,
 * which lands after the run ended (in the ledger only).
 */
export async function recheckCharges(ledger: BudgetLedger, unsettled: readonly UnsettledHolds[]): Promise<RecoveredCharge[]> {
  const charges: RecoveredCharge[] = [];
  for (const { task, ids } of unsettled) {
    const statuses = await Promise.all(ids.map((id) => ledger.lookup(id)));
    for (const status of statuses) {
      const charge = charged(task, status?.settlement);
      if (charge !== undefined) charges.push(charge);
    }
  }
  return charges;
}

/** Adds recovered charges to their tasks; returns their `budget.settled` events. */
export function applyCharges(charges: readonly RecoveredCharge[]): RuntimeEventInput[] {
  const events: RuntimeEventInput[] = [];
  for (const { task, settlement, usage } of charges) {
    task.usage = addUsage(task.usage, usage);
    task.cost = (task.cost + settlement.actual) as Money;
    events.push({
      type: 'budget.settled',
      taskId: task.id,
      reservationId: settlement.id,
      costUsd: moneyToUsd(settlement.actual),
      reservedUsd: moneyToUsd(settlement.reserved),
    });
  }
  return events;
}

/** The billing report gains journaled recovered charges, once, under phase `recovered`. */
export function reportCharges(usage: UsageTracker | undefined, runId: RunRecord['id'], charges: readonly RecoveredCharge[]): void {
  for (const { task, settlement, usage: used } of charges) {
    usage?.record({
      runId,
      taskId: task.id,
      model: task.model.id,
      ...(task.spec.tier === undefined ? {} : { tier: task.spec.tier }),
      phase: 'recovered',
      usage: used,
      cost: settlement.actual,
    });
  }
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
