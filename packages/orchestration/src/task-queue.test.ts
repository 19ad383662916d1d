import { RunStateError } from '@runtime/contracts';
import { describe, expect, it } from 'vitest';
import { createTaskQueue } from './task-queue.js';

describe('createTaskQueue', () => {
  it('is FIFO across growth and wrap-around', () => {
    const queue = createTaskQueue<number>({ capacity: 100 });
    const out: number[] = [];
    for (let i = 0; i < 50; i += 1) {
      queue.enqueue(i);
      if (i % 3 === 0) out.push(queue.dequeue() as number);
    }
    for (let item = queue.dequeue(); item !== undefined; item = queue.dequeue()) out.push(item);
    expect(out).toEqual([...Array(50).keys()]);
    expect(queue.size).toBe(0);
  });

  it('rejects when full with QUEUE_FULL, capacity and a retry hint, keeping what it holds', () => {
    const queue = createTaskQueue<string>({ capacity: 2, retryAfterMs: 250 });
    queue.enqueue('a');
    queue.enqueue('b');
    let caught: unknown;
    try {
      queue.enqueue('c');
    } catch (error) {
      caught = error;
    }
    expect(RunStateError.isInstance(caught)).toBe(true);
    expect(caught).toMatchObject({ code: 'QUEUE_FULL', details: { capacity: 2, retryAfterMs: 250 }, isRetryable: true });
    expect(queue.size).toBe(2);
    expect(queue.dequeue()).toBe('a');
  });

  it('rejects a bad capacity', () => {
    expect(() => createTaskQueue({ capacity: 0 })).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });
});
