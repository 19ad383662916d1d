import { describe, expect, it } from 'vitest';
import { asRunId, ValidationError, type Clock } from '@runtime/contracts';
import { createMemoryStore } from './memory-store.js';

function fakeClock(start = 1_000): Clock & { advance(ms: number): void } {
  let now = start;
  return { now: () => now, advance: (ms) => void (now += ms) };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

const run = asRunId('run-1');
const other = asRunId('run-2');

describe('createMemoryStore', () => {
  it('writes, reads, lists by key, deletes and clears per run', async () => {
    const clock = fakeClock();
    const memory = createMemoryStore({ clock });
    expect(await memory.set(run, 'b', 'two')).toEqual({ key: 'b', value: 'two', updatedAt: 1_000 });
    await memory.set(run, 'a', 'one');
    await memory.set(other, 'a', 'elsewhere');
    expect(await memory.get(run, 'a')).toEqual({ key: 'a', value: 'one', updatedAt: 1_000 });
    expect((await memory.list(run)).map((entry) => entry.key)).toEqual(['a', 'b']);
    clock.advance(5);
    expect((await memory.set(run, 'a', 'uno')).updatedAt).toBe(1_005);
    expect(await memory.delete(run, 'a')).toBe(true);
    expect(await memory.delete(run, 'a')).toBe(false);
    await memory.clear(run);
    expect(await memory.list(run)).toEqual([]);
    expect(await memory.get(other, 'a')).toMatchObject({ value: 'elsewhere' });
  });

  it('expires entries after their TTL on the injected clock', async () => {
    const clock = fakeClock();
    const memory = createMemoryStore({ clock });
    expect(await memory.set(run, 'k', 'v', { ttlMs: 100 })).toEqual({ key: 'k', value: 'v', updatedAt: 1_000, expiresAt: 1_100 });
    clock.advance(99);
    expect(await memory.get(run, 'k')).toBeDefined();
    clock.advance(1);
    expect(await memory.get(run, 'k')).toBeUndefined();
    expect(await memory.list(run)).toEqual([]);
  });

  it('enforces value, key, per-run size and entry-count limits with typed errors and no partial change', async () => {
    const memory = createMemoryStore({ maxValueBytes: 10, maxKeyBytes: 4, maxRunBytes: 20, maxEntriesPerRun: 3 });
    const value = await rejection(memory.set(run, 'k', 'é'.repeat(6)));
    expect(ValidationError.isInstance(value) && value.code).toBe('PAYLOAD_TOO_LARGE');
    expect(ValidationError.isInstance(value) && value.details).toMatchObject({ rule: 'maxValueBytes', limit: 10, observed: 12 });
    const key = await rejection(memory.set(run, 'toolong', 'x'));
    expect(ValidationError.isInstance(key) && key.details['rule']).toBe('maxKeyBytes');
    await memory.set(run, 'a', '123456789');
    const total = await rejection(memory.set(run, 'b', '123456789x'));
    expect(ValidationError.isInstance(total) && total.details).toMatchObject({ rule: 'maxRunBytes', limit: 20, observed: 21 });
    expect(await memory.get(run, 'b')).toBeUndefined();
    // Replacing an entry does not count the old value.
    await memory.set(run, 'a', '12345678x');
    await memory.set(run, 'b', '1');
    await memory.set(run, 'c', '2');
    const count = await rejection(memory.set(run, 'd', '3'));
    expect(ValidationError.isInstance(count) && count.details['rule']).toBe('maxEntriesPerRun');
    expect((await memory.list(run)).map((entry) => entry.key)).toEqual(['a', 'b', 'c']);
  });

  it('does not count expired entries against the limits', async () => {
    const clock = fakeClock();
    const memory = createMemoryStore({ clock, maxEntriesPerRun: 1 });
    await memory.set(run, 'a', 'x', { ttlMs: 10 });
    clock.advance(10);
    await expect(memory.set(run, 'b', 'y')).resolves.toMatchObject({ key: 'b' });
  });

  it('rejects malformed writes and options with VALIDATION_FAILED', async () => {
    const memory = createMemoryStore();
    const empty = await rejection(memory.set(run, '', 'x'));
    expect(ValidationError.isInstance(empty) && empty.message).toMatch(/at key: must be a non-empty string/);
    const ttl = await rejection(memory.set(run, 'k', 'x', { ttlMs: 0 }));
    expect(ValidationError.isInstance(ttl) && ttl.message).toMatch(/at ttlMs: must be an integer ≥ 1, got 0/);
    expect(() => createMemoryStore({ maxValueBytes: 0 })).toThrow(/maxValueBytes: must be an integer ≥ 1/);
  });
});
