/**
 * The per-run write path: numbers events, writes commits to the store strictly in order, and
 * only then hands the events to listeners (journal before acknowledge).
 */
import type {
  Clock,
  RunCommit,
  RunId,
  RunRecord,
  RunStore,
  RuntimeEvent,
  RuntimeEventInput,
  TaskRecord,
} from '@runtime/contracts';
import { toError } from './to-error.js';

export type EventListener = (event: RuntimeEvent) => void;

/** Commits merged into one store write. */
class Batch {
  run: Partial<Pick<RunRecord, 'state' | 'updatedAt' | 'error' | 'owner'>> | undefined;
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
}

export class RunJournal {
  readonly #runId: RunId;
  readonly #store: RunStore;
  readonly #clock: Clock;
  readonly #onListenerError: (error: unknown) => void;
  readonly listeners = new Set<EventListener>();
  #seq: number;
  #pending: Batch | undefined;
  #writing = false;
  /** The first store failure; later commits fail with it too. */
  failure: Error | undefined;

  constructor(runId: RunId, store: RunStore, clock: Clock, lastSeq: number, onListenerError: (error: unknown) => void) {
    this.#runId = runId;
    this.#store = store;
    this.#clock = clock;
    this.#seq = lastSeq;
    this.#onListenerError = onListenerError;
  }

  get seq(): number {
    return this.#seq;
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
   */
  commit(
    run: Partial<Pick<RunRecord, 'state' | 'updatedAt' | 'error' | 'owner'>> | undefined,
    tasks: readonly TaskRecord[],
    events: readonly RuntimeEventInput[],
  ): Promise<void> {
    const at = this.now();
    let batch = this.#pending;
    if (batch === undefined) {
      batch = new Batch();
      this.#pending = batch;
      if (!this.#writing) queueMicrotask(() => this.#flush());
    }
    if (run !== undefined) batch.run = { ...batch.run, ...run, updatedAt: at };
    for (const task of tasks) batch.tasks.set(task.id, task);
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

  #flush(): void {
    const batch = this.#pending;
    if (batch === undefined) return;
    this.#pending = undefined;
    this.#writing = true;
    const commit: RunCommit = {
      ...(batch.run === undefined ? {} : { run: batch.run }),
      ...(batch.tasks.size === 0 ? {} : { tasks: [...batch.tasks.values()] }),
      ...(batch.events.length === 0 ? {} : { events: batch.events }),
    };
    const write = this.failure === undefined ? this.#store.commit(this.#runId, commit) : Promise.reject(this.failure);
    write
      .then(
        () => {
          this.emit(batch.events);
          batch.resolve();
        },
        (error: unknown) => {
          this.failure ??= toError(error);
          batch.reject(this.failure);
        },
      )
      .finally(() => {
        this.#writing = false;
        this.#flush();
      })
      .catch((error: unknown) => {
        this.#onListenerError(error);
      });
  }

  emit(events: readonly RuntimeEvent[]): void {
    if (this.listeners.size === 0) return;
    for (const event of events) {
      for (const listener of this.listeners) {
        try {
          listener(event);
        } catch (error) {
          this.#onListenerError(error);
        }
      }
    }
  }
}
