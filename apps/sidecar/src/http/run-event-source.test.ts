import { asRunId, asTaskId, type Orchestrator, type RunStore, type RuntimeEvent } from '@runtime/contracts';
import { describe, expect, it } from 'vitest';
import { createRunEventSource, SlowSubscriberError, type EventFrame } from './run-event-source.js';

const runId = asRunId('r');
const at = '2026-01-01T00:00:00.000Z';
const freeSlicer = { yieldIfDue: () => undefined };

/** A live run whose journal holds `journal`; `emit` plays live events to the subscriber. */
function liveRun(journal: readonly RuntimeEvent[]): { store: RunStore; orchestrator: Pick<Orchestrator, 'subscribe'>; emit: (event: RuntimeEvent) => void } {
  let listener: ((event: RuntimeEvent) => void) | undefined;
  const store = { readEvents: (_id: string, after = 0) => Promise.resolve(journal.filter((event) => event.seq > after)) } as unknown as RunStore;
  const orchestrator: Pick<Orchestrator, 'subscribe'> = {
    subscribe: (_id, onEvent) => {
      listener = onEvent;
      return () => {
        listener = undefined;
      };
    },
  };
  return { store, orchestrator, emit: (event) => listener?.(event) };
}

const delta = (seq: number, index: number, text: string): RuntimeEvent => ({ type: 'task.delta', runId, seq, at, taskId: asTaskId('t'), attempt: 1, index, text });
const started: RuntimeEvent = { type: 'run.started', runId, seq: 1, at, tasks: 1 };

describe('createRunEventSource: live task.delta', () => {
  it('sends deltas live (no id, not deduplicated by seq) between journaled events, and drops those older than what was sent', async () => {
    const { store, orchestrator, emit } = liveRun([started]);
    const source = createRunEventSource({ store, orchestrator, slicer: freeSlicer, journalPollMs: 10_000 });
    const iterator = source.frames(runId, 0)[Symbol.asyncIterator]();
    const frames: EventFrame[] = [];
    frames.push((await iterator.next()).value as EventFrame);
    emit(delta(1, 0, 'a'));
    emit(delta(1, 1, 'b'));
    emit({ type: 'task.ready', runId, seq: 2, at, taskId: asTaskId('u') });
    // Emitted before the journaled event 2 was sent, but read after it: stale, dropped.
    emit(delta(1, 2, 'stale'));
    emit(delta(2, 3, 'c'));
    emit({ type: 'run.completed', runId, seq: 3, at, usage: {} as never, costUsd: 0 } as unknown as RuntimeEvent);
    for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) frames.push(next.value);
    expect(frames.map((frame) => frame.text.split('\n')[0])).toEqual(['id: 1', 'event: task.delta', 'event: task.delta', 'id: 2', 'event: task.delta', 'id: 3']);
    expect(frames.filter((frame) => frame.text.startsWith('event: task.delta')).map((frame) => frame.text)).not.toContainEqual(expect.stringContaining('stale'));
  });

  it('deltas count in the live backlog: a subscriber that does not read is cut off (SlowSubscriberError), not buffered for', async () => {
    const { store, orchestrator, emit } = liveRun([started]);
    const source = createRunEventSource({ store, orchestrator, slicer: freeSlicer, maxLagEvents: 5, journalPollMs: 10_000 });
    const iterator = source.frames(runId, 0)[Symbol.asyncIterator]();
    await iterator.next();
    for (let index = 0; index < 20; index += 1) emit(delta(1, index, 'x'));
    await expect(iterator.next()).rejects.toBeInstanceOf(SlowSubscriberError);
  });
});
