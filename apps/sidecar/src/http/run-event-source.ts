/**
 * A run's events for one event-stream subscriber, with bounded memory: replayed from the journal
 * in small pages (one page read at a time across all subscribers), then live.
 *
 * @remarks
 * Why not `Orchestrator.events`: a subscriber that does not read must cost little, and what it
 * costs is decided here — one page of at most `pageSize` events, and a live backlog of at most
 * `maxLagEvents` (the run's events it has not taken yet; past that it is {@link SlowSubscriberError}
 * and the stream is closed, the client resumes with Last-Event-ID). Page reads are serialized and
 * separated by {@link WorkSlicer} turns: hundreds of subscribers replaying a large run at once never
 * hold the event loop for more than about one page read. Semantics match `Orchestrator.events`:
 * subscribe before reading the journal (duplicates dropped by seq), end after the terminal event. A
 * run executing in another process is followed through the journal (read again after
 * `journalPollMs` without a live event). Live `task.delta` events (streaming tasks) are never in the
 * journal, so a replay has none; live, they count in the backlog like any event (a client that
 * falls behind while a task streams is cut off and resumes from the journal), keep their emission
 * order, and are dropped once a journaled event newer than their `seq` was sent (they would follow
 * events that came after them). Full journal pages are formatted once and cached (they never
 * change): subscribers replaying the same run share the work and the text.
 */
import { TERMINAL_EVENT_TYPES, type Orchestrator, type RunId, type RunStore, type RuntimeEvent } from '@runtime/contracts';
import { formatServerSentEvent, type WorkSlicer } from './event-stream.js';

/**
 * One event, formatted for the wire once (shared by every subscriber that replays it).
 * @public
 */
export interface EventFrame {
  /** The event's sequence number. */
  readonly seq: number;
  /** Whether it ends the run's stream. */
  readonly terminal: boolean;
  /** `id:`, `event:` and `data:` lines. */
  readonly text: string;
}

function toFrame(event: RuntimeEvent): EventFrame {
  return { seq: event.seq, terminal: TERMINAL_EVENT_TYPES.has(event.type), text: formatServerSentEvent(event) };
}

/**
 * Whether a live event is already covered once events up to `last` were sent: a journaled event with
 * that seq or older, or a delta emitted before the latest event sent (its `seq` is older).
 */
function isBehind(event: RuntimeEvent, last: number): boolean {
  return event.type === 'task.delta' ? event.seq < last : event.seq <= last;
}

/** Full journal pages, formatted, by `runId:afterSeq`: append-only, so a full page never changes. */
class PageCache {
  readonly #pages = new Map<string, readonly EventFrame[]>();
  #bytes = 0;
  constructor(readonly maxBytes: number) {}

  get(key: string): readonly EventFrame[] | undefined {
    const page = this.#pages.get(key);
    if (page !== undefined) {
      this.#pages.delete(key);
      this.#pages.set(key, page);
    }
    return page;
  }

  set(key: string, page: readonly EventFrame[]): void {
    const size = page.reduce((sum, frame) => sum + frame.text.length, 0);
    if (size > this.maxBytes || this.#pages.has(key)) return;
    this.#pages.set(key, page);
    this.#bytes += size;
    for (const [oldest, frames] of this.#pages) {
      if (this.#bytes <= this.maxBytes) break;
      this.#pages.delete(oldest);
      this.#bytes -= frames.reduce((sum, frame) => sum + frame.text.length, 0);
    }
  }
}

/**
 * The subscriber fell more than `maxLagEvents` behind a live run.
 * @public
 */
export class SlowSubscriberError extends Error {
  /** Events it had not taken. */
  readonly backlog: number;
  /** Creates the error with the backlog size. */
  constructor(backlog: number) {
    super(`Event-stream subscriber is ${backlog} events behind.`);
    this.name = 'SlowSubscriberError';
    this.backlog = backlog;
  }
}

/**
 * Options of {@link createRunEventSource}.
 * @public
 */
export interface RunEventSourceOptions {
  /** The journal. */
  readonly store: RunStore;
  /** Live events of runs executing in this process. */
  readonly orchestrator: Pick<Orchestrator, 'subscribe'>;
  /** Shares CPU between subscribers. */
  readonly slicer: WorkSlicer;
  /** Events per journal read. @defaultValue 64 */
  readonly pageSize?: number;
  /** Most live events held for one subscriber. @defaultValue 10000 */
  readonly maxLagEvents?: number;
  /** With no live event for this long, the journal is read again (runs executing elsewhere). @defaultValue 1000 */
  readonly journalPollMs?: number;
  /** Characters of formatted journal pages kept for subscribers replaying the same run. @defaultValue 16 Mi */
  readonly pageCacheChars?: number;
}

/**
 * Reads runs' events for subscribers.
 * @public
 */
export interface RunEventSource {
  /** The run's events after `afterSeq`, formatted. Throws {@link SlowSubscriberError} from `next()` when behind. */
  frames(runId: RunId, afterSeq: number): AsyncIterable<EventFrame>;
}

/**
 * Creates a {@link RunEventSource}.
 * @public
 */
export function createRunEventSource(options: RunEventSourceOptions): RunEventSource {
  const { store, orchestrator, slicer } = options;
  const pageSize = options.pageSize ?? 64;
  const maxLagEvents = options.maxLagEvents ?? 10_000;
  const journalPollMs = options.journalPollMs ?? 1_000;
  const cache = new PageCache(options.pageCacheChars ?? 16 * 1024 * 1024);
  let readTail: Promise<unknown> = Promise.resolve();

  /** One journal read at a time, each at a fresh slice when the current one is used up. */
  function readPage(runId: RunId, afterSeq: number): Promise<readonly EventFrame[]> {
    const key = `${runId}:${afterSeq}`;
    const cached = cache.get(key);
    if (cached !== undefined) return Promise.resolve(cached);
    const read = readTail.then(async () => {
      const again = cache.get(key);
      if (again !== undefined) return again;
      await slicer.yieldIfDue();
      const page = (await store.readEvents(runId, afterSeq, pageSize)).map(toFrame);
      if (page.length === pageSize) cache.set(key, page);
      return page;
    });
    readTail = read.catch(() => undefined);
    return read;
  }

  async function* frames(runId: RunId, afterSeq: number): AsyncGenerator<EventFrame> {
    const backlog: RuntimeEvent[] = [];
    let overflow = false;
    let wake: (() => void) | undefined;
    const unsubscribe = orchestrator.subscribe(runId, (event) => {
      if (overflow) return;
      backlog.push(event);
      if (backlog.length > maxLagEvents) {
        overflow = true;
        backlog.length = 0;
      }
      wake?.();
    });
    try {
      let last = afterSeq;
      for (;;) {
        const page = await readPage(runId, last);
        for (const frame of page) {
          yield frame;
          last = frame.seq;
          if (frame.terminal) return;
        }
        if (overflow) throw new SlowSubscriberError(maxLagEvents);
        if (page.length < pageSize) break;
        // Events the journal will return are dropped from the backlog as the replay passes them
        // (and deltas older than what it passed).
        while (backlog.length > 0 && isBehind(backlog[0] as RuntimeEvent, last)) backlog.shift();
      }
      for (;;) {
        if (overflow) throw new SlowSubscriberError(maxLagEvents);
        for (let event = backlog.shift(); event !== undefined; event = backlog.shift()) {
          if (isBehind(event, last)) continue;
          if (event.type === 'task.delta') {
            // Live only: sent as it comes, without moving `last` (it has no seq of its own).
            yield toFrame(event);
            if (overflow) throw new SlowSubscriberError(maxLagEvents);
            continue;
          }
          const frame = toFrame(event);
          yield frame;
          last = frame.seq;
          if (frame.terminal) return;
          if (overflow) throw new SlowSubscriberError(maxLagEvents);
        }
        const woken = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), journalPollMs);
          wake = () => {
            clearTimeout(timer);
            resolve(true);
          };
        });
        wake = undefined;
        if (woken) continue;
        // Quiet: the run may execute in another process (or wait for a resume), whose events reach
        // only the journal. Follow it.
        for (const frame of await readPage(runId, last)) {
          yield frame;
          last = frame.seq;
          if (frame.terminal) return;
        }
      }
    } finally {
      unsubscribe();
    }
  }

  return { frames };
}
