/**
 * A run's events as an async iterable: replayed from the store, then live, ending after the
 * terminal event.
 *
 * @remarks
 * It always ends: after the terminal event; with the error that stopped the run in this process
 * without ending it (a store that stayed unwritable); or, for a run no process is running (its
 * lease expired or was released), once the journal has nothing more. A run another process runs
 * (or took over from this one) is followed by polling the store.
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
}

const PAGE = 500;

export async function* replayEvents(options: ReplayOptions): AsyncGenerator<RuntimeEvent> {
  const { store, runId, isTerminal } = options;
  let last = options.afterSeq;
  let lastRound = false;
  for (;;) {
    const buffer: RuntimeEvent[] = [];
    let wake: (() => void) | undefined;
    let ended: Error | undefined;
    // Subscribe before reading the store so no event falls between the two; duplicates are
    // dropped by seq.
    const unsubscribe = options.subscribe(
      (event) => {
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
          for (let event = buffer.shift(); event !== undefined; event = buffer.shift()) {
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
