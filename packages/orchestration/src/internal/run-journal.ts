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

export class RunJournal {
  readonly #runId: RunId;
  readonly #store: RunStore;
  readonly #clock: Clock;
  readonly #onListenerError: (error: unknown) => void;
  readonly listeners = new Set<EventListener>();
  #seq: number;
  #tail: Promise<void> = Promise.resolve();
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

  now(): string {
    return new Date(this.#clock.now()).toISOString();
  }

  /** Numbers events (seq continues with no gap) without writing them. */
  number(events: readonly RuntimeEventInput[], at = this.now()): RuntimeEvent[] {
    return events.map((event): RuntimeEvent => ({ ...event, runId: this.#runId, seq: ++this.#seq, at }));
  }

  /** Writes one atomic commit after every earlier one; resolves once it is durable and emitted. */
  commit(
    run: Partial<Pick<RunRecord, 'state' | 'updatedAt' | 'error' | 'owner'>> | undefined,
    tasks: readonly TaskRecord[],
    events: readonly RuntimeEventInput[],
  ): Promise<void> {
    const at = this.now();
    const numbered = this.number(events, at);
    const commit: RunCommit = {
      ...(run === undefined ? {} : { run: { ...run, updatedAt: at } }),
      ...(tasks.length === 0 ? {} : { tasks }),
      ...(numbered.length === 0 ? {} : { events: numbered }),
    };
    const write = this.#tail.then(() => {
      if (this.failure !== undefined) throw this.failure;
      return this.#store.commit(this.#runId, commit);
    });
    this.#tail = write.then(
      () => this.emit(numbered),
      (error: unknown) => {
        this.failure ??= toError(error);
      },
    );
    return write;
  }

  /** Resolves when every commit issued so far has been written (or failed). */
  drain(): Promise<void> {
    return this.#tail;
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
