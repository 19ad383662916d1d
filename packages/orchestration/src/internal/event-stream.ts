/** A run's events as an async iterable: replayed from the store, then live, ending after the terminal event. */
import type { RunId, RunStore, RuntimeEvent } from '@runtime/contracts';

export interface ReplayOptions {
  readonly store: RunStore;
  readonly runId: RunId;
  readonly afterSeq: number;
  /** Subscribes to live events; undefined when the run is not live in this process. */
  readonly subscribe: (listener: (event: RuntimeEvent) => void) => (() => void) | undefined;
  readonly isTerminal: (event: RuntimeEvent) => boolean;
}

const PAGE = 500;

export async function* replayEvents(options: ReplayOptions): AsyncGenerator<RuntimeEvent> {
  const { store, runId, isTerminal } = options;
  const buffer: RuntimeEvent[] = [];
  let wake: (() => void) | undefined;
  // Subscribe before reading the store so no event falls between the two; duplicates are
  // dropped by seq.
  const unsubscribe = options.subscribe((event) => {
    buffer.push(event);
    wake?.();
  });
  try {
    let last = options.afterSeq;
    for (;;) {
      const page = await store.readEvents(runId, last, PAGE);
      for (const event of page) {
        yield event;
        last = event.seq;
        if (isTerminal(event)) return;
      }
      if (page.length < PAGE) break;
    }
    if (unsubscribe === undefined) return;
    for (;;) {
      for (let event = buffer.shift(); event !== undefined; event = buffer.shift()) {
        if (event.seq <= last) continue;
        yield event;
        last = event.seq;
        if (isTerminal(event)) return;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
  } finally {
    unsubscribe?.();
  }
}
