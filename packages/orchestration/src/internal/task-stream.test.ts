import {
  ExecutionError,
  ProviderError,
  asRunId,
  asTaskId,
  type LlmCallOptions,
  type LlmClient,
  type LlmRequest,
  type LlmResult,
  type LlmStreamChunk,
  type RunStore,
  type RuntimeEvent,
  type TaskDeltaEvent,
} from '@runtime/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { harness } from '../../test/support/setup.js';
import { replayEvents } from './event-stream.js';

/** What the fake provider did, in one log shared with the subscriber: the ordering signal. */
type LogEntry = { readonly kind: 'event'; readonly event: RuntimeEvent } | { readonly kind: 'provider'; readonly what: string };

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

interface StreamingFake extends LlmClient {
  readonly methods: string[];
  readonly signals: AbortSignal[];
}

/**
 * A provider that streams `pieces` one per event-loop turn (text, then one tool call's fragments),
 * logging when it finished; `hangAfter` pieces it waits for its signal instead.
 */
function streamingLlm(log: LogEntry[], pieces: readonly string[], options: { hangAfter?: number; stream?: boolean } = {}): StreamingFake {
  const methods: string[] = [];
  const signals: AbortSignal[] = [];
  const result = (): LlmResult => ({
    output: pieces.join(''),
    toolCalls: [{ id: 'c1', name: 'pay', arguments: '{"to":"Bob"}' }],
    usage: { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
    finishReason: 'tool_calls',
    source: 'provider',
    attempts: 1,
  });
  async function* stream(_request: LlmRequest, callOptions?: LlmCallOptions): AsyncGenerator<LlmStreamChunk> {
    methods.push('stream');
    const signal = callOptions?.signal;
    if (signal !== undefined) signals.push(signal);
    for (const [position, text] of pieces.entries()) {
      if (position === options.hangAfter && signal?.aborted !== true) {
        await new Promise<void>((resolve) => signal?.addEventListener('abort', () => resolve(), { once: true }));
      }
      if (signal?.aborted === true) {
        log.push({ kind: 'provider', what: 'aborted' });
        throw new ExecutionError({ code: 'RUN_ABORTED', message: 'aborted', details: {} });
      }
      yield { type: 'text', text };
      await turn();
    }
    yield { type: 'tool-call-delta', delta: { index: 0, id: 'c1', name: 'pay' } };
    yield { type: 'tool-call-delta', delta: { index: 0, arguments: '{"to":' } };
    yield { type: 'tool-call-delta', delta: { index: 0, arguments: '"Bob"}' } };
    yield { type: 'tool-call', toolCall: { id: 'c1', name: 'pay', arguments: '{"to":"Bob"}' } };
    log.push({ kind: 'provider', what: 'finished' });
    yield { type: 'done', result: result() };
  }
  return {
    provider: 'fake',
    methods,
    signals,
    complete() {
      methods.push('complete');
      log.push({ kind: 'provider', what: 'finished' });
      return Promise.resolve(result());
    },
    ...(options.stream === false ? {} : { stream }),
  };
}

const deltasOf = (events: readonly RuntimeEvent[]): TaskDeltaEvent[] => events.filter((event): event is TaskDeltaEvent => event.type === 'task.delta');

describe('streaming tasks (task.delta)', () => {
  it('delivers deltas to subscribers live, in order, before the provider finished; they concatenate to the output', async () => {
    const log: LogEntry[] = [];
    const pieces = ['Paying ', 'Bob ', 'ten ', 'euros.'];
    const llm = streamingLlm(log, pieces);
    const { orchestrator } = harness(llm);
    const started = await orchestrator.start({ tasks: [{ id: 'pay', prompt: 'pay Bob', stream: true }] });
    orchestrator.subscribe(started.id, (event) => log.push({ kind: 'event', event }));
    const run = await orchestrator.wait(started.id);
    expect(run.state).toBe('completed');
    expect(llm.methods).toEqual(['stream']);
    const events = log.flatMap((entry) => (entry.kind === 'event' ? [entry.event] : []));
    const deltas = deltasOf(events);
    expect(deltas.map((delta) => delta.index)).toEqual(deltas.map((_, index) => index));
    expect(deltas.every((delta) => delta.attempt === 1 && delta.taskId === 'pay' && delta.runId === started.id)).toBe(true);
    expect(deltas.map((delta) => delta.text ?? '').join('')).toBe(run.tasks[0]?.output);
    expect(deltas.filter((delta) => delta.toolCall !== undefined).map((delta) => delta.toolCall?.arguments ?? '').join('')).toBe('{"to":"Bob"}');
    // The first delta reached the subscriber before the provider had finished its answer.
    const firstDelta = log.findIndex((entry) => entry.kind === 'event' && entry.event.type === 'task.delta');
    const finished = log.findIndex((entry) => entry.kind === 'provider' && entry.what === 'finished');
    expect(firstDelta).toBeGreaterThanOrEqual(0);
    expect(firstDelta).toBeLessThan(finished);
    // Deltas sit between task.started and task.completed, carrying the latest journaled seq.
    const startedEvent = events.find((event) => event.type === 'task.started');
    const completed = events.find((event) => event.type === 'task.completed');
    expect(deltas.every((delta) => delta.seq >= (startedEvent?.seq ?? Infinity) && delta.seq < (completed?.seq ?? 0))).toBe(true);
    expect(events.indexOf(completed as RuntimeEvent)).toBeGreaterThan(events.indexOf(deltas.at(-1) as RuntimeEvent));
  });

  it('events() streams deltas live; a replay after the run has none and the journal has the final output', async () => {
    const log: LogEntry[] = [];
    const llm = streamingLlm(log, ['one ', 'two ', 'three']);
    const { orchestrator, store } = harness(llm);
    const started = await orchestrator.start({ tasks: [{ id: 't', prompt: 'count' }], policy: { stream: true } });
    const live: RuntimeEvent[] = [];
    for await (const event of orchestrator.events(started.id)) live.push(event);
    expect(deltasOf(live).map((delta) => delta.text ?? '').join('')).toBe('one two three');
    const replayed: RuntimeEvent[] = [];
    for await (const event of orchestrator.events(started.id)) replayed.push(event);
    expect(deltasOf(replayed)).toEqual([]);
    // Journaled events are the same, gap-free, in both.
    expect(replayed.map((event) => event.seq)).toEqual(live.filter((event) => event.type !== 'task.delta').map((event) => event.seq));
    expect(replayed.map((event) => event.seq)).toEqual(replayed.map((_, index) => index + 1));
    expect((await store.readEvents(started.id)).some((event) => event.type === 'task.delta')).toBe(false);
    expect((await store.getTasks(started.id))[0]?.output).toBe('one two three');
  });

  it('the run policy streams every task that does not opt out; a client without stream is called with complete', async () => {
    const log: LogEntry[] = [];
    const llm = streamingLlm(log, ['a']);
    const { orchestrator } = harness(llm);
    const run = await orchestrator.wait(
      (await orchestrator.start({ tasks: [{ id: 'on', prompt: 'x' }, { id: 'off', prompt: 'y', stream: false }], policy: { stream: true, maxParallelism: 1 } })).id,
    );
    expect(run.state).toBe('completed');
    expect([...llm.methods].sort()).toEqual(['complete', 'stream']);
    const plain = streamingLlm([], ['a'], { stream: false });
    const second = harness(plain);
    const seen: RuntimeEvent[] = [];
    const started = await second.orchestrator.start({ tasks: [{ id: 's', prompt: 'x', stream: true }] });
    second.orchestrator.subscribe(started.id, (event) => seen.push(event));
    expect((await second.orchestrator.wait(started.id)).state).toBe('completed');
    expect(plain.methods).toEqual(['complete']);
    expect(deltasOf(seen)).toEqual([]);
  });

  it('abort mid-stream cancels the provider call and no delta follows the abort', async () => {
    const log: LogEntry[] = [];
    const llm = streamingLlm(log, ['a ', 'b ', 'c ', 'd'], { hangAfter: 2 });
    const { orchestrator, ledger } = harness(llm);
    const started = await orchestrator.start({ tasks: [{ id: 't', prompt: 'x', stream: true }] });
    const events: RuntimeEvent[] = [];
    orchestrator.subscribe(started.id, (event) => {
      events.push(event);
      if (event.type === 'task.delta' && event.index === 1) void orchestrator.abort(started.id, 'user');
    });
    const run = await orchestrator.wait(started.id);
    expect(run.state).toBe('aborted');
    expect(llm.signals[0]?.aborted).toBe(true);
    // The run ends at the abort; the abandoned stream sees its signal and stops on its own.
    for (let wait = 0; wait < 20 && log.length === 0; wait += 1) await turn();
    expect(log).toEqual([{ kind: 'provider', what: 'aborted' }]);
    expect(deltasOf(events).map((delta) => delta.text)).toEqual(['a ', 'b ']);
    expect(ledger.open()).toBe(0);
  });

  it('a task timeout mid-stream really cancels the stream and fails the task', async () => {
    const log: LogEntry[] = [];
    const llm = streamingLlm(log, ['a ', 'b ', 'c'], { hangAfter: 1 });
    const { orchestrator } = harness(llm);
    const run = await orchestrator.wait((await orchestrator.start({ tasks: [{ id: 't', prompt: 'x', stream: true }], policy: { taskTimeoutMs: 30 } })).id);
    expect(run.state).toBe('failed');
    expect(run.tasks[0]?.error?.code).toBe('TASK_TIMEOUT');
    expect(llm.signals[0]?.aborted).toBe(true);
    for (let wait = 0; wait < 20 && log.length === 0; wait += 1) await turn();
    expect(log).toEqual([{ kind: 'provider', what: 'aborted' }]);
  });
});

describe('a stream cut after output is paid for', () => {
  it('charges the usage the provider may bill (details.usage) once, then fails the task with the error', async () => {
    const usage = { inputTokens: 30, outputTokens: 7, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, estimated: true };
    const llm: LlmClient = {
      provider: 'fake',
      complete: () => Promise.reject(new Error('not used')),
      async *stream() {
        yield { type: 'text', text: 'half an ' };
        await turn();
        yield { type: 'text', text: 'answer' };
        throw new ProviderError({
          code: 'PROVIDER_ERROR',
          message: 'fake ended the stream before its terminal event, after output had been delivered.',
          details: { provider: 'fake', model: 'fast', kind: 'terminal', reason: 'incomplete_stream', delivered: true, usage },
          isRetryable: false,
        });
      },
    };
    const { orchestrator, ledger } = harness(llm);
    const started = await orchestrator.start({ tasks: [{ id: 't', prompt: 'x', stream: true }], policy: { budgetUsd: 1 } });
    const events: RuntimeEvent[] = [];
    orchestrator.subscribe(started.id, (event) => events.push(event));
    const run = await orchestrator.wait(started.id);
    expect(run.state).toBe('failed');
    const task = run.tasks[0];
    expect(task?.state).toBe('failed');
    expect(task?.error?.details).toMatchObject({ reason: 'incomplete_stream' });
    expect(task?.usage).toMatchObject({ inputTokens: 30, outputTokens: 7 });
    expect(task?.usage.costUsd).toBeGreaterThan(0);
    expect(run.usage.costUsd).toBe(task?.usage.costUsd);
    expect(run.budget?.spentUsd).toBe(task?.usage.costUsd);
    expect(events.filter((event) => event.type === 'budget.settled')).toHaveLength(1);
    expect(events.some((event) => event.type === 'budget.released')).toBe(false);
    expect(ledger.open()).toBe(0);
  });

  it('a failure before any answer (no details.usage) is released, not charged', async () => {
    const llm: LlmClient = {
      provider: 'fake',
      complete: () => Promise.reject(new Error('not used')),
      async *stream() {
        await turn();
        throw new ProviderError({ code: 'PROVIDER_ERROR', message: 'bad request', details: { provider: 'fake', model: 'fast', status: 400, kind: 'terminal' }, isRetryable: false });
      },
    };
    const { orchestrator } = harness(llm);
    const run = await orchestrator.wait((await orchestrator.start({ tasks: [{ id: 't', prompt: 'x', stream: true }], policy: { budgetUsd: 1 } })).id);
    expect(run.state).toBe('failed');
    expect(run.usage.costUsd).toBe(0);
    expect(run.budget?.spentUsd).toBe(0);
  });
});

describe('replayEvents: live deltas are bounded per consumer', () => {
  const runId = asRunId('r1');
  const emptyStore = { readEvents: () => Promise.resolve([]) } as unknown as RunStore;

  it('property: a consumer that stops reading gets every journaled event and a gap-free run of each attempt\'s deltas', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.constant<'event'>('event'), fc.constantFrom('a', 'b', 'c')), { minLength: 1, maxLength: 80 }),
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.nat({ max: 5 }), { minLength: 1, maxLength: 10 }),
        async (script, maxBufferedDeltas, reads) => {
          let listener: ((event: RuntimeEvent) => void) | undefined;
          const iterator = replayEvents({
            store: emptyStore,
            runId,
            afterSeq: 0,
            subscribe: (onEvent) => {
              listener = onEvent;
              return () => undefined;
            },
            isTerminal: (event) => event.type === 'run.completed',
            follow: () => Promise.resolve('ended'),
            pollMs: 1,
            maxBufferedDeltas,
          })[Symbol.asyncIterator]();
          const received: RuntimeEvent[] = [];
          // The generator subscribes on its first next(): emit the first event to get it going.
          let seq = 1;
          const at = new Date(0).toISOString();
          const first = iterator.next();
          const indexes = new Map<string, number>();
          const emit = (step: string): void => {
            if (step === 'event') {
              seq += 1;
              listener?.({ type: 'task.ready', runId, seq, at, taskId: asTaskId('x') });
              return;
            }
            const index = indexes.get(step) ?? 0;
            indexes.set(step, index + 1);
            listener?.({ type: 'task.delta', runId, seq, at, taskId: asTaskId(step), attempt: 1, index, text: `${step}${index}` });
          };
          listener?.({ type: 'run.started', runId, seq: 1, at, tasks: 3 });
          received.push((await first).value as RuntimeEvent);
          // Bursts written while the consumer reads only a few events between them.
          let position = 0;
          // A read that found nothing yet stays pending and is awaited later (never dropped).
          let pending: Promise<IteratorResult<RuntimeEvent>> | undefined;
          for (const count of reads) {
            for (const step of script.slice(position, position + 7)) emit(step);
            position += 7;
            for (let read = 0; read < count; read += 1) {
              pending ??= iterator.next();
              const next = await Promise.race([pending, turn().then(() => undefined)]);
              if (next === undefined) break;
              pending = undefined;
              if (next.done === true) break;
              received.push(next.value);
            }
          }
          for (const step of script.slice(position)) emit(step);
          seq += 1;
          listener?.({ type: 'run.completed', runId, seq, at, usage: {} as never, costUsd: 0 } as unknown as RuntimeEvent);
          for (let next = await (pending ?? iterator.next()); next.done !== true; next = await iterator.next()) received.push(next.value);
          const journaled = received.filter((event) => event.type !== 'task.delta');
          expect(journaled.map((event) => event.seq)).toEqual(Array.from({ length: seq }, (_, index) => index + 1));
          for (const task of ['a', 'b', 'c']) {
            const got = deltasOf(received).filter((delta) => delta.taskId === task).map((delta) => delta.index);
            expect(got).toEqual(got.map((_, index) => index));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a consumer that reads nothing while 100 deltas pass holds at most the bound: the first deltas, then the cut', async () => {
    let listener: ((event: RuntimeEvent) => void) | undefined;
    const iterator = replayEvents({
      store: emptyStore,
      runId,
      afterSeq: 0,
      subscribe: (onEvent) => {
        listener = onEvent;
        return () => undefined;
      },
      isTerminal: (event) => event.type === 'run.completed',
      follow: () => Promise.resolve('ended'),
      pollMs: 1,
      maxBufferedDeltas: 10,
    })[Symbol.asyncIterator]();
    const at = new Date(0).toISOString();
    const first = iterator.next();
    listener?.({ type: 'run.started', runId, seq: 1, at, tasks: 1 });
    const received: RuntimeEvent[] = [(await first).value as RuntimeEvent];
    for (let index = 0; index < 100; index += 1) {
      listener?.({ type: 'task.delta', runId, seq: 1, at, taskId: asTaskId('t'), attempt: 1, index, text: 'x' });
    }
    listener?.({ type: 'run.completed', runId, seq: 2, at, usage: {} as never, costUsd: 0 } as unknown as RuntimeEvent);
    for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) received.push(next.value);
    expect(deltasOf(received).map((delta) => delta.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(received.at(-1)?.type).toBe('run.completed');
  });

  it('catching up from the store drops the deltas emitted before the journaled events it yields (none after its task.completed)', async () => {
    let listener: ((event: RuntimeEvent) => void) | undefined;
    const at = new Date(0).toISOString();
    const task = asTaskId('t');
    const journal: RuntimeEvent[] = [
      { type: 'run.started', runId, seq: 1, at, tasks: 1 },
      { type: 'task.started', runId, seq: 2, at, taskId: task, attempt: 1, model: 'fast' },
      { type: 'task.completed', runId, seq: 3, at, taskId: task, attempt: 1, usage: {} as never, costUsd: 0 } as unknown as RuntimeEvent,
    ];
    const store = {
      // While the store is read, the run goes on live: deltas, then its journaled events.
      readEvents: (_id: string, after = 0) => {
        if (after === 0) {
          listener?.({ type: 'task.delta', runId, seq: 2, at, taskId: task, attempt: 1, index: 0, text: 'a' });
          listener?.({ type: 'task.delta', runId, seq: 2, at, taskId: task, attempt: 1, index: 1, text: 'b' });
          listener?.(journal[2] as RuntimeEvent);
          listener?.({ type: 'run.completed', runId, seq: 4, at, usage: {} as never, costUsd: 0 } as unknown as RuntimeEvent);
        }
        return Promise.resolve(journal.filter((event) => event.seq > after));
      },
    } as unknown as RunStore;
    const received: RuntimeEvent[] = [];
    for await (const event of replayEvents({
      store,
      runId,
      afterSeq: 0,
      subscribe: (onEvent) => {
        listener = onEvent;
        return () => undefined;
      },
      isTerminal: (event) => event.type === 'run.completed',
      follow: () => Promise.resolve('ended'),
      pollMs: 1,
    })) {
      received.push(event);
    }
    expect(received.map((event) => event.type)).toEqual(['run.started', 'task.started', 'task.completed', 'run.completed']);
  });
});
