/**
 * A run's events as an async iterable: replayed from the store, then live, ending after the
 * terminal event.
 *
 * @remarks
 * It always ends: after the terminal event; with the error that stopped the run in this process
 * without ending it (a store that stayed unwritable); or, for a run no process is running (its
 * lease expired or was released), once the journal has nothing more. A run another process runs
 * (or took over from this one) is followed by polling the store.
 *
 * Live `task.delta` events (streaming tasks) are passed through in the order they were emitted but
 * are not journaled, so they are never replayed, never deduplicated by seq (a delta carries the
 * latest journaled seq, not one of its own), and a delta whose seq is older than a journaled event
 * already yielded is dropped (it would arrive after events that followed it, e.g. after its task's
 * `task.completed`). Bounded: at most {@link MAX_BUFFERED_DELTAS} deltas wait for a consumer; past
 * that the deltas of the task attempt that overflowed are cut — that one and all its later ones —
 * so what a slow consumer holds of an attempt's deltas is gap-free (consecutive `index`es: it
 * starts past 0 only when it subscribed mid-stream, and a cut only ends it), never a text with
 * holes, and journaled events are never dropped. The final output is in the journal.
 */
import type { RunId, RunStore, RuntimeEvent } from '@runtime/contracts';
import { isLeaseLost } from './run-journal.js';

/** Where a run not live in this process stands: `ended` (terminal or gone), `elsewhere`, `idle`, or `live` (here now). */
export type RunFollowState = 'live' | 'elsewhere' | 'idle' | 'ended';

export interface ReplayOptions {
  readonly store: RunStore;
  readonly runId: RunId;
  readonly afterSeq: number;
  /** Subscribes to live events; undefined when the run is not live in this process. */
  readonly subscribe: (listener: (event: RuntimeEvent) => void, onEnd: (error: Error) => void) => (() => void) | undefined;
  readonly isTerminal: (event: RuntimeEvent) => boolean;
  /** Where a run that is not live here stands (may throw why it stopped here). */
  readonly follow: () => Promise<RunFollowState>;
  /** Delay between two reads of a run another process writes. */
  readonly pollMs: number;
  /** Most live deltas held for this consumer. @defaultValue {@link MAX_BUFFERED_DELTAS} */
  readonly maxBufferedDeltas?: number;
}

const PAGE = 500;

/** Most live deltas held for one consumer of {@link replayEvents}. */
export const MAX_BUFFERED_DELTAS = 4096;

export async function* replayEvents(options: ReplayOptions): AsyncGenerator<RuntimeEvent> {
  const { store, runId, isTerminal } = options;
  let last = options.afterSeq;
  let lastRound = false;
  const maxDeltas = options.maxBufferedDeltas ?? MAX_BUFFERED_DELTAS;
  for (;;) {
    // A queue read from `head` (shift() is O(n): a consumer behind by thousands would pay it per event).
    let buffer: RuntimeEvent[] = [];
    let head = 0;
    const take = (): RuntimeEvent | undefined => {
      if (head === buffer.length) {
        if (head > 0) {
          buffer.length = 0;
          head = 0;
        }
        return undefined;
      }
      const event = buffer[head];
      head += 1;
      if (head >= 1024 && head * 2 >= buffer.length) {
        buffer = buffer.slice(head);
        head = 0;
      }
      return event;
    };
    let wake: (() => void) | undefined;
    let ended: Error | undefined;
    let bufferedDeltas = 0;
    /** Task attempts (`taskId attempt`) whose deltas were cut for this consumer. */
    const cut = new Set<string>();
    // Subscribe before reading the store so no event falls between the two; duplicates are
    // dropped by seq.
    const unsubscribe = options.subscribe(
      (event) => {
        if (event.type === 'task.delta') {
          if (bufferedDeltas >= maxDeltas || (cut.size > 0 && cut.has(`${event.taskId} ${event.attempt}`))) {
            cut.add(`${event.taskId} ${event.attempt}`);
            return;
          }
          bufferedDeltas += 1;
        }
        buffer.push(event);
        wake?.();
      },
      (error) => {
        ended = error;
        wake?.();
      },
    );
    try {
      for (;;) {
        const page = await store.readEvents(runId, last, PAGE);
        for (const event of page) {
          yield event;
          last = event.seq;
          if (isTerminal(event)) return;
        }
        if (page.length < PAGE) break;
      }
      if (unsubscribe !== undefined) {
        for (;;) {
          for (let event = take(); event !== undefined; event = take()) {
            if (event.type === 'task.delta') {
              bufferedDeltas -= 1;
              if (event.seq >= last) yield event;
              continue;
            }
            if (event.seq <= last) continue;
            yield event;
            last = event.seq;
            if (isTerminal(event)) return;
          }
          if (ended !== undefined) break;
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = undefined;
        }
        // Stopped here without its terminal event. Taken over: follow the new owner in the store.
        if (!isLeaseLost(ended)) throw ended;
      }
    } finally {
      unsubscribe?.();
    }
    if (lastRound) return;
    const state = await options.follow();
    if (state === 'idle') return;
    // Ended since the read above: one more read delivers its last events.
    if (state === 'ended') lastRound = true;
    else if (state === 'elsewhere') await new Promise<void>((resolve) => setTimeout(resolve, options.pollMs));
  }
}
