/**
 * The per-run write path: numbers events, writes commits to the store strictly in order, and
 * only then hands the events to listeners (journal before acknowledge).
 *
 * @remarks
 * Every write carries the run's lease as a fence, so the store refuses it (`LEASE_LOST`) once
 * another process has taken the run over. A transient store failure (`STORE_ERROR` marked
 * retryable) is retried with bounded exponential backoff; a write that failed after all retries
 * makes the journal *failed*: later commits are refused at once but kept in a backlog, so the
 * loop can still try one final write of everything (see {@link RunJournal.commitFinal}) that
 * ends the run. A sealed journal (lease lost, orchestrator closed) writes nothing more.
 */
import {
  RunStateError,
  RuntimeError,
  type Clock,
  type RunCommit,
  type RunId,
  type RunLease,
  type RunRecord,
  type RunStore,
  type RuntimeEvent,
  type RuntimeEventInput,
  type TaskRecord,
} from '@runtime/contracts';
import { toError } from './to-error.js';

export type EventListener = (event: RuntimeEvent) => void;

/** Called once when a run's live event feed ends without its terminal event (with why). */
export type EndListener = (error: Error) => void;

type RunFields = Partial<Pick<RunRecord, 'state' | 'updatedAt' | 'error' | 'owner'>>;

/** How a journal retries a transient store failure. */
export interface StoreRetryPolicy {
  /** Retries after the first failed write. */
  readonly retries: number;
  /** Delay before the first retry; doubles each time. */
  readonly baseDelayMs: number;
  /** Cap on one delay. */
  readonly maxDelayMs: number;
}

export const DEFAULT_STORE_RETRY: StoreRetryPolicy = { retries: 6, baseDelayMs: 25, maxDelayMs: 2_000 };

/** Commits merged into one store write. */
class Batch {
  run: RunFields | undefined;
  readonly tasks = new Map<string, TaskRecord>();
  readonly events: RuntimeEvent[] = [];
  readonly promise: Promise<void>;
  resolve: () => void = () => undefined;
  reject: (error: Error) => void = () => undefined;

  constructor() {
    this.promise = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // Callers await `promise`; a batch whose callers all stopped listening must not crash the process.
    this.promise.catch(() => undefined);
  }

  /** Appends `other` (a later batch) to this one. */
  absorb(other: Batch): void {
    if (other.run !== undefined) this.run = { ...this.run, ...other.run };
    for (const [id, task] of other.tasks) this.tasks.set(id, task);
    for (const event of other.events) this.events.push(event);
  }

  toCommit(fence: Pick<RunLease, 'owner' | 'epoch'> | undefined): RunCommit {
    return {
      ...(this.run === undefined ? {} : { run: this.run }),
      ...(this.tasks.size === 0 ? {} : { tasks: [...this.tasks.values()] }),
      ...(this.events.length === 0 ? {} : { events: this.events }),
      ...(fence === undefined ? {} : { fence }),
    };
  }
}

/** A store failure worth retrying: `STORE_ERROR` marked retryable (a lock, a lost connection). */
export function isTransientStoreError(error: unknown): boolean {
  return RuntimeError.isInstance(error) && error.code === 'STORE_ERROR' && error.isRetryable;
}

/** The store refused a write because another process owns the run now. */
export function isLeaseLost(error: unknown): boolean {
  return RunStateError.isInstance(error) && error.code === 'LEASE_LOST';
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => {
    setTimeout(resolve, ms).unref();
  });
}

export interface RunJournalInit {
  readonly runId: RunId;
  readonly store: RunStore;
  readonly clock: Clock;
  readonly lastSeq: number;
  /** Listener errors and other problems that must not stop the run. */
  readonly onBackgroundError: (error: unknown) => void;
  /** The writer's lease; every write carries it. */
  readonly fence?: Pick<RunLease, 'owner' | 'epoch'>;
  readonly retry?: StoreRetryPolicy;
  /** Called once when a write failed for good (after retries) or was refused (`LEASE_LOST`). */
  readonly onFailure?: (error: Error) => void;
  /** Called after each write attempt: whether the store took it (the orchestrator's health probe). */
  readonly onWrite?: (error: Error | undefined) => void;
  /** Tasks the store holds as `pending` right now (see {@link RunJournal.commit} on `ready` records). */
  readonly storedPending?: Iterable<string>;
}

export class RunJournal {
  readonly #runId: RunId;
  readonly #store: RunStore;
  readonly #clock: Clock;
  readonly #onBackgroundError: (error: unknown) => void;
  readonly #retry: StoreRetryPolicy;
  readonly #onFailure: ((error: Error) => void) | undefined;
  readonly #onWrite: ((error: Error | undefined) => void) | undefined;
  readonly listeners = new Set<EventListener>();
  readonly endListeners = new Set<EndListener>();
  fence: Pick<RunLease, 'owner' | 'epoch'> | undefined;
  #seq: number;
  #pending: Batch | undefined;
  #writing: Promise<void> | undefined;
  /** Everything refused since the journal failed, in order: what a final write must still carry. */
  #backlog: Batch | undefined;
  /** Set once nothing more may be written (lease lost, orchestrator closed). */
  #sealed: Error | undefined;
  /** The first write that failed for good; later commits fail with it too. */
  failure: Error | undefined;
  /** Tasks whose stored record is `pending` (as of the commits queued so far). */
  readonly #storedPending: Set<string>;

  constructor(init: RunJournalInit) {
    this.#runId = init.runId;
    this.#store = init.store;
    this.#clock = init.clock;
    this.#seq = init.lastSeq;
    this.#onBackgroundError = init.onBackgroundError;
    this.fence = init.fence;
    this.#retry = init.retry ?? DEFAULT_STORE_RETRY;
    this.#onFailure = init.onFailure;
    this.#onWrite = init.onWrite;
    this.#storedPending = new Set(init.storedPending);
  }

  get seq(): number {
    return this.#seq;
  }

  /** Whether nothing more can be written. */
  get sealed(): boolean {
    return this.#sealed !== undefined;
  }

  #lastMs = Number.NaN;
  #lastIso = '';

  /** The clock as ISO-8601, formatted once per millisecond (many transitions share one). */
  now(): string {
    const ms = this.#clock.now();
    if (ms !== this.#lastMs) {
      this.#lastMs = ms;
      this.#lastIso = new Date(ms).toISOString();
    }
    return this.#lastIso;
  }

  /** Numbers events (seq continues with no gap) without writing them. */
  number(events: readonly RuntimeEventInput[], at = this.now()): RuntimeEvent[] {
    return events.map((event): RuntimeEvent => ({ ...event, runId: this.#runId, seq: ++this.#seq, at }));
  }

  /**
   * Writes one atomic commit after every earlier one; resolves once it is durable and emitted.
   *
   * @remarks
   * Group commit: commits issued while a write is in flight (or in the same microtask turn) are
   * merged into the next store commit — still one atomic write, in order, before any of their
   * callers go on. Fewer, larger writes are what keep the journal cheap per task.
   *
   * A task record that only turns a stored `pending` task `ready` is not written (its `task.ready`
   * event is): a pending task's fields do not change until it starts, and resume recomputes
   * readiness from the dependencies, so the stored `pending` rebuilds the same task. This saves
   * one of the three task-record writes of every task that is not a root.
   */
  commit(run: RunFields | undefined, tasks: readonly TaskRecord[], events: readonly RuntimeEventInput[]): Promise<void> {
    if (this.#sealed !== undefined) return Promise.reject(this.#sealed);
    const at = this.now();
    let batch = this.#pending;
    if (batch === undefined) {
      batch = new Batch();
      this.#pending = batch;
      if (this.#writing === undefined) queueMicrotask(() => this.#flush());
    }
    if (run !== undefined) batch.run = { ...batch.run, ...run, updatedAt: at };
    for (const task of tasks) {
      // (A record naming a reservation — a summary call's hold — is written: resume looks it up.)
      if (task.state === 'ready' && task.reservationId === undefined && this.#storedPending.has(task.id)) continue;
      batch.tasks.set(task.id, task);
      if (task.state === 'pending') this.#storedPending.add(task.id);
      else this.#storedPending.delete(task.id);
    }
    for (const event of events) {
      // Callers pass fresh literals that nothing else holds, so they are numbered in place rather
      // than copied (a copy per event is a measurable share of a task's cost).
      const numbered = event as RuntimeEventInput & { runId?: RunId; seq?: number; at?: string };
      numbered.runId = this.#runId;
      numbered.seq = ++this.#seq;
      numbered.at = at;
      batch.events.push(numbered as RuntimeEvent);
    }
    return batch.promise;
  }

  /**
   * The run's last commit. When the journal failed earlier, this is one more attempt (with
   * retries) to write the backlog of refused commits together with this one, so the run still ends
   * durably once the store works again; it rejects when that fails too.
   */
  async commitFinal(run: RunFields, tasks: readonly TaskRecord[], events: readonly RuntimeEventInput[]): Promise<void> {
    if (this.failure === undefined || this.#sealed !== undefined || isLeaseLost(this.failure)) {
      await this.commit(run, tasks, events);
      return;
    }
    await this.idle();
    const batch = this.#backlog ?? new Batch();
    this.#backlog = undefined;
    const final = new Batch();
    const at = this.now();
    final.run = { ...run, updatedAt: at };
    for (const task of tasks) final.tasks.set(task.id, task);
    final.events.push(...this.number(events, at));
    batch.absorb(final);
    await this.#write(batch);
    this.failure = undefined;
    this.emit(batch.events);
  }

  /** Resolves once no write is in flight or queued. */
  async idle(): Promise<void> {
    while (this.#writing !== undefined || this.#pending !== undefined) {
      if (this.#writing !== undefined) await this.#writing;
      else await new Promise<void>((resolve) => queueMicrotask(resolve));
    }
  }

  /**
   * Refuses every later commit with `reason` and ends the live feed. Writes already queued still
   * happen unless `dropQueued` (a lost lease: they would be refused anyway).
   */
  async seal(reason: Error): Promise<void> {
    if (this.#sealed !== undefined) return;
    this.#sealed = reason;
    await this.idle();
  }

  /** Ends the live feed without a terminal event (the run stopped in this process). */
  end(reason: Error): void {
    this.listeners.clear();
    const enders = [...this.endListeners];
    this.endListeners.clear();
    for (const ender of enders) {
      try {
        ender(reason);
      } catch (error) {
        this.#onBackgroundError(error);
      }
    }
  }

  #flush(): void {
    const batch = this.#pending;
    if (batch === undefined) return;
    this.#pending = undefined;
    const failure = this.failure ?? this.#sealedForWrites();
    const write = failure === undefined ? this.#write(batch) : Promise.reject(failure);
    this.#writing = write.then(
      () => {
        this.emit(batch.events);
        batch.resolve();
      },
      (error: unknown) => {
        const failed = toError(error);
        if (this.failure === undefined && this.#sealed === undefined) {
          this.failure = failed;
          this.#notifyFailure(failed);
        }
        if (!isLeaseLost(failed)) {
          if (this.#backlog === undefined) this.#backlog = batch;
          else this.#backlog.absorb(batch);
        }
        batch.reject(this.failure ?? failed);
      },
    );
    this.#writing
      .finally(() => {
        this.#writing = undefined;
        this.#flush();
      })
      .catch((error: unknown) => {
        this.#onBackgroundError(error);
      });
  }

  /** Queued writes still go out after a graceful seal; none after a lost lease. */
  #sealedForWrites(): Error | undefined {
    return this.#sealed !== undefined && isLeaseLost(this.#sealed) ? this.#sealed : undefined;
  }

  #notifyFailure(error: Error): void {
    try {
      this.#onFailure?.(error);
    } catch (callbackError) {
      this.#onBackgroundError(callbackError);
    }
  }

  /** One store write, retried while the failure is transient (bounded). */
  async #write(batch: Batch): Promise<void> {
    const commit = batch.toCommit(this.fence);
    const lastSeq = batch.events.length === 0 ? undefined : (batch.events[batch.events.length - 1] as RuntimeEvent).seq;
    for (let retry = 0; ; retry += 1) {
      try {
        await this.#store.commit(this.#runId, commit);
        this.#onWrite?.(undefined);
        return;
      } catch (error) {
        const failed = toError(error);
        this.#onWrite?.(failed);
        if (!isTransientStoreError(failed) || retry >= this.#retry.retries || this.#sealedForWrites() !== undefined) throw failed;
        await delay(Math.min(this.#retry.maxDelayMs, this.#retry.baseDelayMs * 2 ** retry));
        // A write whose answer was lost may have landed: writing it twice would be a seq error.
        if (lastSeq !== undefined && (await this.#landed(lastSeq))) return;
      }
    }
  }

  async #landed(lastSeq: number): Promise<boolean> {
    try {
      const record = await this.#store.getRun(this.#runId);
      return record !== undefined && record.lastSeq >= lastSeq;
    } catch {
      // The store cannot even read: retry the write, which reports the real failure.
      return false;
    }
  }

  emit(events: readonly RuntimeEvent[]): void {
    if (this.listeners.size === 0) return;
    for (const event of events) {
      for (const listener of this.listeners) {
        try {
          listener(event);
        } catch (error) {
          this.#onBackgroundError(error);
        }
      }
    }
  }
}
