/**
 * Server-Sent Events of one run over a hijacked response, with backpressure.
 *
 * @remarks
 * A subscriber costs a bounded amount of memory whatever it does: an event is written only when
 * the socket accepted the previous ones (`write()` returning false, or more than
 * `maxBufferedBytes` queued, waits for `drain`), so at most one event above the socket's own
 * buffer is held per subscriber. A subscriber that stays behind is closed rather than buffered
 * for: when a wait for `drain` lasts longer than `stallTimeoutMs`, or its source reports it
 * `maxLagEvents` behind a live run ({@link SlowSubscriberError}), the connection is destroyed; the
 * client reconnects with `Last-Event-ID` and is replayed from the journal. Live `task.delta` events
 * obey the same bounds (they count in the live backlog and queue in the same socket buffer); a
 * client cut off while a task streams gets, on reconnect, the journaled events and the final output,
 * not the deltas it missed. Replaying to many
 * subscribers at once is CPU-bound, so writers share a time slice per event-loop turn
 * ({@link createWorkSlicer}) and other requests (`/healthz`) are served in between.
 */
import type { ServerResponse } from 'node:http';
import type { RuntimeEvent } from '@runtime/contracts';
import { SlowSubscriberError, type EventFrame } from './run-event-source.js';

const HEARTBEAT_MS = 15_000;

/**
 * Bounds of one event-stream subscriber.
 * @public
 */
export interface EventStreamLimits {
  /** Bytes queued in the response beyond which the writer waits for `drain`. @defaultValue 65536 */
  readonly maxBufferedBytes: number;
  /** Longest wait for `drain` before the subscriber is closed. @defaultValue 30000 */
  readonly stallTimeoutMs: number;
  /** Most live events held for a subscriber that does not take them ({@link createRunEventSource}). @defaultValue 10000 */
  readonly maxLagEvents: number;
  /**
   * With no live event for this long, a subscriber reads the journal again: how late events of a
   * run executing on another replica arrive ({@link createRunEventSource}). @defaultValue 1000
   */
  readonly journalPollMs?: number;
}

/**
 * The default {@link EventStreamLimits}.
 * @public
 */
export const DEFAULT_EVENT_STREAM_LIMITS: EventStreamLimits = Object.freeze({ maxBufferedBytes: 65_536, stallTimeoutMs: 30_000, maxLagEvents: 10_000, journalPollMs: 1_000 });

/**
 * How a stream ended: the run's terminal event was written (`ended`), the client or the server
 * went away (`closed`), or the subscriber stayed behind and was closed (`slow`).
 * @public
 */
export type EventStreamOutcome = 'ended' | 'closed' | 'slow';

/**
 * Shares CPU between writers and everything else: writers may work while the current slice
 * lasts, then all of them rest for as long, so the event loop spends at least half its time on
 * other work (accepting connections, `/healthz`) however many streams replay at once.
 * @public
 */
export interface WorkSlicer {
  /** Undefined while the slice lasts; otherwise a promise resolved when the next slice starts. */
  yieldIfDue(): Promise<void> | undefined;
}

/**
 * Creates a {@link WorkSlicer}: slices of `sliceMs` of work, each followed by `restMs` of rest.
 * @public
 */
export function createWorkSlicer(sliceMs = 4, restMs = sliceMs): WorkSlicer {
  let sliceStart = performance.now();
  let nextSlice: Promise<void> | undefined;
  return {
    yieldIfDue() {
      if (nextSlice === undefined && performance.now() - sliceStart < sliceMs) return undefined;
      nextSlice ??= new Promise<void>((resolve) => {
        // A timer, not setImmediate: the loop polls for I/O during the rest, many times if needed.
        setTimeout(() => {
          nextSlice = undefined;
          sliceStart = performance.now();
          resolve();
        }, restMs);
      });
      return nextSlice;
    },
  };
}

/**
 * The slicer shared by every event stream of this process.
 * @public
 */
export const sharedSlicer: WorkSlicer = createWorkSlicer();

/**
 * Formats one event: `id:` the run's sequence number, `event:` the type, `data:` the JSON.
 *
 * @remarks
 * A `task.delta` (a live fragment of a streaming task, not journaled) has no `id:` line: its `seq`
 * is the latest journaled event's, and the browser's `Last-Event-ID` must keep naming a journaled
 * event so a reconnect resumes from the journal (which holds the final output, not the deltas).
 * @public
 */
export function formatServerSentEvent(event: RuntimeEvent): string {
  if (event.type === 'task.delta') return `event: task.delta\ndata: ${JSON.stringify(event)}\n\n`;
  return `id: ${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/**
 * Options of {@link pipeEventStream}.
 * @public
 */
export interface PipeEventStreamOptions {
  /** Resolves when the server shuts down. */
  readonly stop: Promise<void>;
  /** Subscriber bounds. @defaultValue {@link DEFAULT_EVENT_STREAM_LIMITS} */
  readonly limits?: EventStreamLimits;
  /** Shares CPU with other streams. @defaultValue one slicer per process */
  readonly slicer?: WorkSlicer;
}

type Wake = 'drained' | 'closed' | 'stalled';

/**
 * Streams `frames` to `response` until the iterable ends (after the terminal event), the client
 * goes away, the server stops, or the subscriber stays behind (see the module remarks).
 * @public
 */
export async function pipeEventStream(
  response: ServerResponse,
  frames: AsyncIterable<EventFrame>,
  options: PipeEventStreamOptions,
): Promise<EventStreamOutcome> {
  const limits = options.limits ?? DEFAULT_EVENT_STREAM_LIMITS;
  const slicer = options.slicer ?? sharedSlicer;
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  const headerAccepted = response.write(': stream\n\n');
  // Racing each step against one long-lived "closed" promise would attach a reaction to it per
  // event, kept (with the event) until the stream ends: a leak proportional to the stream. Each
  // step gets a fresh promise instead, dropped as soon as the step settles.
  let isClosed = false;
  let wakeClosed: (() => void) | undefined;
  const close = (): void => {
    isClosed = true;
    wakeClosed?.();
  };
  response.once('close', close);
  void options.stop.then(close);
  const closed = (): Promise<'closed'> =>
    new Promise((resolve) => {
      wakeClosed = () => resolve('closed');
      if (isClosed) resolve('closed');
    });
  // A heartbeat is only worth sending to a subscriber that keeps up; it is never queued.
  const heartbeat = setInterval(() => {
    if (response.writableLength === 0) response.write(': keep-alive\n\n');
  }, HEARTBEAT_MS);
  heartbeat.unref();

  const waitForDrain = async (): Promise<Wake> => {
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<'stalled'>((resolve) => {
      timer = setTimeout(() => resolve('stalled'), limits.stallTimeoutMs);
    });
    const drained = new Promise<'drained'>((resolve) => response.once('drain', () => resolve('drained')));
    try {
      return await Promise.race([drained, closed(), stalled]);
    } finally {
      clearTimeout(timer);
    }
  };

  const iterator = frames[Symbol.asyncIterator]();
  let outcome: EventStreamOutcome = 'closed';
  try {
    if (!headerAccepted) {
      const wake = await waitForDrain();
      if (wake !== 'drained') outcome = wake === 'stalled' ? 'slow' : 'closed';
    }
    for (; outcome !== 'slow' && !isClosed; ) {
      const turn = slicer.yieldIfDue();
      if (turn !== undefined) await Promise.race([turn, closed()]);
      if (isClosed) break;
      let next: IteratorResult<EventFrame> | 'closed';
      try {
        next = await Promise.race([iterator.next(), closed()]);
      } catch (error) {
        if (!(error instanceof SlowSubscriberError)) throw error;
        outcome = 'slow';
        break;
      }
      if (next === 'closed') break;
      if (next.done === true) {
        outcome = 'ended';
        break;
      }
      const accepted = response.write(next.value.text);
      if (!accepted || response.writableLength > limits.maxBufferedBytes) {
        const wake = await waitForDrain();
        if (wake === 'closed') break;
        if (wake === 'stalled') {
          outcome = 'slow';
          break;
        }
      }
    }
  } finally {
    clearInterval(heartbeat);
    // Closing the subscription early; a failure to close it has no one left to report to but the
    // stream it belonged to, which is already over.
    void iterator.return?.().catch(() => undefined);
    if (outcome === 'slow') {
      // Its queued bytes would never flush: drop the connection (the client resumes with
      // Last-Event-ID) instead of holding them.
      response.destroy();
    } else if (!response.writableEnded) {
      response.end();
    }
  }
  return outcome;
}
