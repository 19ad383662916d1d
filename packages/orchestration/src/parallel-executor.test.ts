import { ExecutionError } from '@runtime/contracts';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createParallelExecutor } from './parallel-executor.js';

function deferred<Value>(): { promise: Promise<Value>; resolve: (value: Value) => void } {
  let resolve: (value: Value) => void = () => undefined;
  const promise = new Promise<Value>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

function abortable(signal: AbortSignal, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve('done'), ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new Error('socket closed'));
    });
  });
}

describe('createParallelExecutor', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('never runs more than maxParallelism at once', async () => {
    const executor = createParallelExecutor({ maxParallelism: 2 });
    const gates = [deferred<number>(), deferred<number>(), deferred<number>()];
    let running = 0;
    let peak = 0;
    const results = gates.map((gate, index) =>
      executor.execute(async () => {
        running += 1;
        peak = Math.max(peak, running);
        const value = await gate.promise;
        running -= 1;
        return value + index;
      }),
    );
    expect(executor.active).toBe(2);
    expect(executor.pending).toBe(1);
    gates.forEach((gate) => gate.resolve(10));
    expect(await Promise.all(results)).toEqual([10, 11, 12]);
    expect(peak).toBe(2);
    expect(executor.active).toBe(0);
  });

  it('times a task out with TASK_TIMEOUT, aborting its signal, and leaves no timer behind', async () => {
    vi.useFakeTimers();
    const executor = createParallelExecutor({ maxParallelism: 1 });
    let seen: AbortSignal | undefined;
    const result = executor.execute(
      (signal) => {
        seen = signal;
        return abortable(signal, 1_000);
      },
      { timeoutMs: 50 },
    );
    const assertion = expect(result).rejects.toMatchObject({ code: 'TASK_TIMEOUT', details: { timeoutMs: 50 } });
    await vi.advanceTimersByTimeAsync(50);
    await assertion;
    expect(seen?.aborted).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('clears the shared deadline timer when work ends first', async () => {
    vi.useFakeTimers();
    const executor = createParallelExecutor({ maxParallelism: 4 });
    const results = [10, 20, 30].map((ms) => executor.execute((signal) => abortable(signal, ms), { timeoutMs: 1_000 }));
    await vi.advanceTimersByTimeAsync(30);
    expect(await Promise.all(results)).toEqual(['done', 'done', 'done']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('aborts running and queued work when the outer signal aborts, with its reason', async () => {
    const executor = createParallelExecutor({ maxParallelism: 1 });
    const outer = new AbortController();
    const running = executor.execute((signal) => abortable(signal, 10_000), { signal: outer.signal });
    const queued = executor.execute((signal) => abortable(signal, 10_000), { signal: outer.signal });
    const reason = new ExecutionError({ code: 'RUN_TIMEOUT', message: 'late', details: {} });
    outer.abort(reason);
    await expect(running).rejects.toBe(reason);
    await expect(queued).rejects.toBe(reason);
    await expect(executor.execute(() => Promise.resolve(1), { signal: outer.signal })).rejects.toBe(reason);
  });

  it('reports RUN_ABORTED for a plain abort and passes through work errors', async () => {
    const executor = createParallelExecutor({ maxParallelism: 2 });
    const outer = new AbortController();
    const pending = executor.execute((signal) => abortable(signal, 10_000), { signal: outer.signal });
    outer.abort();
    await expect(pending).rejects.toMatchObject({ code: 'RUN_ABORTED' });
    await expect(executor.execute(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  });

  it('rejects queued work the moment its own signal aborts, while the running work ignores its abort', async () => {
    const executor = createParallelExecutor({ maxParallelism: 1 });
    const stuck = deferred<string>();
    const running = executor.execute(() => stuck.promise);
    const outer = new AbortController();
    let started = false;
    const queued = executor.execute(
      () => {
        started = true;
        return Promise.resolve('late');
      },
      { signal: outer.signal },
    );
    expect(executor.pending).toBe(1);
    const reason = new ExecutionError({ code: 'RUN_TIMEOUT', message: 'run over', details: {} });
    outer.abort(reason);
    await expect(queued).rejects.toBe(reason);
    expect(executor.pending).toBe(0);
    stuck.resolve('first');
    expect(await running).toBe('first');
    expect(started).toBe(false);
  });

  it('frees the slot of work abandoned on timeout even when it ignores its abort signal', async () => {
    const executor = createParallelExecutor({ maxParallelism: 1 });
    const never = new Promise<string>(() => undefined);
    const abandoned = executor.execute(() => never, { timeoutMs: 20 });
    const next = executor.execute(() => Promise.resolve('next'));
    await expect(abandoned).rejects.toMatchObject({ code: 'TASK_TIMEOUT' });
    expect(await next).toBe('next');
    expect(executor.active).toBe(0);
  });

  it('a late settle of abandoned work does not free a second slot', async () => {
    const executor = createParallelExecutor({ maxParallelism: 1 });
    const late = deferred<string>();
    const outer = new AbortController();
    const abandoned = executor.execute(() => late.promise, { signal: outer.signal });
    outer.abort();
    await expect(abandoned).rejects.toMatchObject({ code: 'RUN_ABORTED' });
    const gates = [deferred<string>(), deferred<string>()];
    const results = gates.map((gate) => executor.execute(() => gate.promise));
    expect(executor.active).toBe(1);
    late.resolve('ignored');
    await Promise.resolve();
    await Promise.resolve();
    expect(executor.active).toBe(1);
    expect(executor.pending).toBe(1);
    gates.forEach((gate) => gate.resolve('ok'));
    expect(await Promise.all(results)).toEqual(['ok', 'ok']);
  });

  it('rejects a bad bound', () => {
    expect(() => createParallelExecutor({ maxParallelism: 0 })).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });

  it('keeps waiting work in a bounded queue and refuses more with QUEUE_FULL', async () => {
    const executor = createParallelExecutor({ maxParallelism: 1, queueCapacity: 1 });
    const gate = deferred<string>();
    const running = executor.execute(() => gate.promise);
    const waiting = executor.execute(() => Promise.resolve('second'));
    await expect(executor.execute(() => Promise.resolve('third'))).rejects.toMatchObject({ code: 'QUEUE_FULL', details: { capacity: 1 } });
    gate.resolve('first');
    expect(await Promise.all([running, waiting])).toEqual(['first', 'second']);
  });
});
