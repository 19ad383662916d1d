/**
 * The heartbeat of one orchestrator: renews the leases of every run this process executes, and the
 * budget reservations of their calls in flight, with one timer for all of them.
 *
 * @remarks
 * The timer is unref'd (it never keeps a process alive) and runs only while at least one run is
 * held. A renewal refused with `LEASE_LOST` (another process took the run over) stops that run at
 * once. A renewal that fails for another reason is retried at the next beat; once the lease's
 * known expiry has passed without a renewal, this process stops the run too (self-fencing: another
 * process may take it over from then on, and must not find it still calling providers here).
 *
 * Each beat also renews (`BudgetLedger.renew`, to the lease each was made with) the open
 * reservation of every call in flight of the held runs, so a call slower than the reservation
 * lease keeps its hold and `spent ≤ limit` holds for it too. A reservation is renewed at the first
 * beat that sees it, then only once its known expiry is within two beats (one ledger call per
 * lease period per call, not one per beat). A renewal refused because the
 * reservation closed (settled or released meanwhile, or expired before the beat) is left to
 * bill-once at settle; any other failure is reported and retried at the next beat. A reservation
 * lease shorter than the beat interval can still run out under a call.
 */
import {
  RunStateError,
  RuntimeError,
  TERMINAL_RUN_STATES,
  type BudgetLedger,
  type Clock,
  type ReservationId,
  type RunId,
  type RunLease,
  type RunStore,
} from '@runtime/contracts';
import { isLeaseLost } from './run-journal.js';
import { toError } from './to-error.js';

interface Held {
  lease: RunLease;
  readonly onLost: (error: Error) => void;
  /** The open reservations of the run's calls in flight. */
  readonly reservations: () => Iterable<ReservationId>;
  /** Lease expiry of each reservation as its last renewal returned it. */
  readonly expiries: Map<ReservationId, number>;
}

function isGone(error: unknown): boolean {
  return RuntimeError.isInstance(error) && (error.code === 'RESERVATION_CLOSED' || error.code === 'RESERVATION_NOT_FOUND');
}

/** The open reservations among a run's tasks (those of its calls in flight). */
export function* openReservations(tasks: Iterable<{ readonly reservationId: ReservationId | undefined }>): Iterable<ReservationId> {
  for (const task of tasks) if (task.reservationId !== undefined) yield task.reservationId;
}

export interface LeaseKeeperInit {
  readonly store: RunStore;
  /** Where the reservations of calls in flight are renewed. */
  readonly ledger: BudgetLedger;
  readonly clock: Clock;
  readonly ttlMs: number;
  readonly renewEveryMs: number;
  readonly onBackgroundError: (error: unknown) => void;
  /** Whether each store write succeeded (health probe). */
  readonly onWrite: (error: Error | undefined) => void;
}

export class LeaseKeeper {
  readonly #init: LeaseKeeperInit;
  readonly #held = new Map<RunId, Held>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #beating: Promise<void> | undefined;

  constructor(init: LeaseKeeperInit) {
    this.#init = init;
  }

  get ttlMs(): number {
    return this.#init.ttlMs;
  }

  /** Runs held. */
  get size(): number {
    return this.#held.size;
  }

  /** A fresh lease's expiry from now. */
  expiry(): number {
    return this.#init.clock.now() + this.#init.ttlMs;
  }

  /**
   * Starts renewing `lease` and, on each beat, the reservations `reservations()` lists; `onLost` is
   * called (once) when the lease is lost.
   */
  hold(runId: RunId, lease: RunLease, onLost: (error: Error) => void, reservations: () => Iterable<ReservationId>): void {
    this.#held.set(runId, { lease, onLost, reservations, expiries: new Map() });
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => {
        this.#beating ??= this.beat().finally(() => {
          this.#beating = undefined;
        });
      }, this.#init.renewEveryMs);
      this.#timer.unref();
    }
  }

  /** Stops renewing (the run ended, or is being released). */
  drop(runId: RunId): void {
    this.#held.delete(runId);
    if (this.#held.size === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  /** The lease held for a run. */
  lease(runId: RunId): RunLease | undefined {
    return this.#held.get(runId)?.lease;
  }

  /** Renews every held lease and its runs' open reservations now; resolves when all renewals settled. */
  async beat(): Promise<void> {
    const held = [...this.#held];
    await Promise.all([this.#renewLeases(held), ...held.map(([, run]) => this.#renewReservations(run))]);
  }

  async #renewReservations(held: Held): Promise<void> {
    const { ledger, clock, renewEveryMs, onBackgroundError } = this.#init;
    const due = clock.now() + 2 * renewEveryMs;
    const { expiries } = held;
    const open = new Set(held.reservations());
    for (const id of expiries.keys()) if (!open.has(id)) expiries.delete(id);
    const renewals: Promise<void>[] = [];
    for (const id of open) {
      const expiresAt = expiries.get(id);
      if (expiresAt !== undefined && expiresAt > due) continue;
      renewals.push(
        ledger.renew(id).then(
          (renewed) => {
            expiries.set(id, renewed.expiresAt);
          },
          (error: unknown) => {
            expiries.delete(id);
            if (!isGone(error)) onBackgroundError(error);
          },
        ),
      );
    }
    await Promise.all(renewals);
  }

  async #renewLeases(runs: readonly (readonly [RunId, Held])[]): Promise<void> {
    const { store, clock, ttlMs } = this.#init;
    await Promise.all(
      runs.map(async ([runId, held]) => {
        const now = clock.now();
        try {
          held.lease = await store.renewLease(runId, held.lease, ttlMs, now);
          this.#init.onWrite(undefined);
        } catch (error) {
          const failed = toError(error);
          if (isLeaseLost(failed)) {
            // A run that just ended has no lease any more: that is not a take-over.
            const record = await store.getRun(runId).catch(() => undefined);
            if (record !== undefined && TERMINAL_RUN_STATES.has(record.state)) {
              if (this.#held.get(runId) === held) this.drop(runId);
              return;
            }
            this.#lose(runId, held, failed);
            return;
          }
          this.#init.onWrite(failed);
          this.#init.onBackgroundError(failed);
          if (clock.now() >= held.lease.expiresAt) {
            this.#lose(
              runId,
              held,
              new RunStateError({
                code: 'LEASE_LOST',
                message: `The lease of run "${runId}" expired without a renewal (the store failed); this process stops running it.`,
                details: { runId, owner: held.lease.owner, epoch: held.lease.epoch, expiresAt: held.lease.expiresAt, reason: 'renewFailed' },
                cause: failed,
              }),
            );
          }
        }
      }),
    );
  }

  #lose(runId: RunId, held: Held, error: Error): void {
    if (this.#held.get(runId) !== held) return;
    this.drop(runId);
    held.onLost(error);
  }

  /** Stops the timer and forgets every lease (without releasing them). */
  stop(): void {
    this.#held.clear();
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
