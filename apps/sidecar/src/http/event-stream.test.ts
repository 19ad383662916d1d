import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { asRunId, asTaskId, type RunId, type RunStore, type RuntimeEvent } from '@runtime/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createWorkSlicer, formatServerSentEvent, pipeEventStream } from './event-stream.js';
import { createRunEventSource, type EventFrame } from './run-event-source.js';

const runId = asRunId('r');
const event = (seq: number, type: RuntimeEvent['type'] = 'task.ready'): RuntimeEvent =>
  ({ type, taskId: asTaskId(`t${seq}`), runId, seq, at: '2026-01-01T00:00:00.000Z' }) as RuntimeEvent;

/** A response whose socket accepts `capacity` bytes and then nothing until `drain()` is called. */
class FakeResponse extends EventEmitter {
  writableLength = 0;
  writableEnded = false;
  destroyed = false;
  written: string[] = [];
  constructor(private capacity: number) {
    super();
  }
  writeHead(): this {
    return this;
  }
  writtenAfterRefusal = false;
  #refused = false;
  write(chunk: string): boolean {
    if (this.#refused) this.writtenAfterRefusal = true;
    this.written.push(chunk);
    if (this.capacity >= chunk.length) {
      this.capacity -= chunk.length;
      return true;
    }
    this.writableLength += chunk.length;
    this.#refused = true;
    return false;
  }
  drain(capacity: number): void {
    this.#refused = false;
    this.capacity = capacity;
    this.writableLength = 0;
    this.emit('drain');
  }
  end(): void {
    this.writableEnded = true;
  }
  destroy(): void {
    this.destroyed = true;
    this.emit('close');
  }
}

async function* framesOf(events: readonly RuntimeEvent[], pulled: { count: number }): AsyncGenerator<EventFrame> {
  for (const item of events) {
    await Promise.resolve();
    pulled.count += 1;
    yield { seq: item.seq, terminal: item.type === 'run.completed', text: formatServerSentEvent(item) };
  }
}

const never = new Promise<void>(() => undefined);
const freeSlicer = { yieldIfDue: () => undefined };

describe('formatServerSentEvent', () => {
  it('writes id = seq, event = type and the JSON data, ending with a blank line', () => {
    const text = formatServerSentEvent({ type: 'task.ready', taskId: asTaskId('a'), runId: asRunId('r'), seq: 7, at: '2026-01-01T00:00:00.000Z' });
    expect(text).toBe('id: 7\nevent: task.ready\ndata: {"type":"task.ready","taskId":"a","runId":"r","seq":7,"at":"2026-01-01T00:00:00.000Z"}\n\n');
  });

  it('writes a task.delta without an id line (Last-Event-ID keeps naming journaled events)', () => {
    const text = formatServerSentEvent({ type: 'task.delta', taskId: asTaskId('a'), runId: asRunId('r'), seq: 7, at: '2026-01-01T00:00:00.000Z', attempt: 1, index: 0, text: 'Hi' });
    expect(text).toBe('event: task.delta\ndata: {"type":"task.delta","taskId":"a","runId":"r","seq":7,"at":"2026-01-01T00:00:00.000Z","attempt":1,"index":0,"text":"Hi"}\n\n');
  });
});

describe('pipeEventStream backpressure', () => {
  it('stops pulling events while the socket is full (at most one event beyond what it accepted), for any capacity and stream', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 5_000 }), fc.integer({ min: 1, max: 300 }), async (capacity, length) => {
        const response = new FakeResponse(capacity);
        const pulled = { count: 0 };
        const events = Array.from({ length }, (_, index) => event(index + 1));
        const done = pipeEventStream(response as unknown as ServerResponse, framesOf(events, pulled), {
          stop: never,
          limits: { maxBufferedBytes: 65_536, stallTimeoutMs: 30, maxLagEvents: 10 },
          slicer: freeSlicer,
        });
        const outcome = await done;
        const total = response.written.reduce((sum, chunk) => sum + chunk.length, 0);
        // Nothing is written after a write the socket refused (no drain comes here).
        expect(response.writtenAfterRefusal).toBe(false);
        if (outcome === 'ended') {
          expect(pulled.count).toBe(length);
          expect(total).toBeLessThanOrEqual(capacity);
        } else {
          expect(outcome).toBe('slow');
          expect(response.destroyed).toBe(true);
          expect(total).toBeGreaterThan(capacity);
          // Exactly the events written were pulled: none is held beyond the one the socket refused.
          expect(pulled.count).toBe(response.written.length - 1);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('resumes after drain and closes only a subscriber that stays behind past the stall timeout', async () => {
    const response = new FakeResponse(': stream\n\n'.length);
    const pulled = { count: 0 };
    const events = [event(1), event(2), event(3)];
    const done = pipeEventStream(response as unknown as ServerResponse, framesOf(events, pulled), {
      stop: never,
      limits: { maxBufferedBytes: 65_536, stallTimeoutMs: 200, maxLagEvents: 10 },
      slicer: freeSlicer,
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(pulled.count).toBe(1);
    response.drain(0);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(pulled.count).toBe(2);
    expect(await done).toBe('slow');
    expect(response.destroyed).toBe(true);
    expect(pulled.count).toBe(2);
  });
});

describe('createRunEventSource', () => {
  function liveSource(journal: RuntimeEvent[], maxLagEvents: number) {
    const listeners = new Set<(event: RuntimeEvent) => void>();
    const store = {
      readEvents: (_id: RunId, afterSeq = 0, limit = 64) => Promise.resolve(journal.filter((item) => item.seq > afterSeq).slice(0, limit)),
    } as unknown as RunStore;
    const orchestrator = {
      subscribe: (_id: RunId, listener: (event: RuntimeEvent) => void) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    };
    const emit = (item: RuntimeEvent): void => {
      journal.push(item);
      for (const listener of listeners) listener(item);
    };
    return { source: createRunEventSource({ store, orchestrator, slicer: freeSlicer, maxLagEvents, pageSize: 4 }), emit, listeners };
  }

  it('replays the journal then live events, each once and in order, ending after the terminal event', async () => {
    const { source, emit, listeners } = liveSource([event(1), event(2), event(3), event(4), event(5)], 100);
    const iterator = source.frames(runId, 1)[Symbol.asyncIterator]();
    const seen: number[] = [];
    for (let index = 0; index < 4; index += 1) seen.push(((await iterator.next()).value as EventFrame).seq);
    emit(event(6));
    emit(event(7, 'run.completed'));
    for (;;) {
      const next = await iterator.next();
      if (next.done === true) break;
      seen.push(next.value.seq);
    }
    expect(seen).toEqual([2, 3, 4, 5, 6, 7]);
    expect(listeners.size).toBe(0);
  });

  it('a subscriber that does not take live events is failed as slow past maxLagEvents (its backlog is dropped)', async () => {
    const { source, emit } = liveSource([event(1)], 5);
    const iterator = source.frames(runId, 0)[Symbol.asyncIterator]();
    expect(((await iterator.next()).value as EventFrame).seq).toBe(1);
    for (let seq = 2; seq <= 10; seq += 1) emit(event(seq));
    await expect(iterator.next()).rejects.toMatchObject({ name: 'SlowSubscriberError' });
  });
});

describe('createWorkSlicer', () => {
  it('grants work until the slice is used, then makes everyone wait for the next slice', async () => {
    const slicer = createWorkSlicer(5, 5);
    const start = performance.now();
    while (performance.now() - start < 6) expect(slicer.yieldIfDue() === undefined || performance.now() - start >= 5).toBe(true);
    const turn = slicer.yieldIfDue();
    expect(turn).toBeInstanceOf(Promise);
    expect(slicer.yieldIfDue()).toBe(turn);
    await turn;
    expect(slicer.yieldIfDue()).toBeUndefined();
  });
});
