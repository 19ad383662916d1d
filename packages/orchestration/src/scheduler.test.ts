import { describe, expect, it } from 'vitest';
import { createDependencyResolver } from './dependency-resolver.js';
import { createScheduler } from './scheduler.js';
import type { TaskId, TaskSpec } from '@runtime/contracts';

const task = (id: string, deps: string[] = []): TaskSpec => ({ id, prompt: id, deps });
const id = (value: string): TaskId => value as TaskId;

describe('createScheduler', () => {
  const resolver = createDependencyResolver();

  it('hands out the longest critical path first, then by id, and readies dependents at once', () => {
    const scheduler = createScheduler();
    scheduler.add(resolver.resolve([task('b'), task('a'), task('long'), task('long2', ['long'])]));
    expect(scheduler.next()).toBe('long');
    expect(scheduler.next()).toBe('a');
    expect(scheduler.complete(id('long'))).toEqual(['long2']);
    expect(scheduler.next()).toBe('b'); // same critical path (1) as long2: by id
    expect(scheduler.next()).toBe('long2');
    expect(scheduler.next()).toBeUndefined();
    expect(scheduler.counts).toMatchObject({ running: 3, completed: 1 });
  });

  it('does not wait for a slow sibling (no wave barrier)', () => {
    const scheduler = createScheduler();
    scheduler.add(resolver.resolve([task('slow'), task('fast'), task('after-fast', ['fast'])]));
    const first = scheduler.next();
    const second = scheduler.next();
    expect([first, second].sort()).toEqual(['fast', 'slow']);
    expect(scheduler.complete(id('fast'))).toEqual(['after-fast']);
    expect(scheduler.next()).toBe('after-fast');
    expect(scheduler.state(id('slow'))).toBe('running');
  });

  it('skips everything downstream of a failure', () => {
    const scheduler = createScheduler();
    scheduler.add(resolver.resolve([task('a'), task('b', ['a']), task('c', ['b']), task('d')]));
    expect(scheduler.next()).toBe('a');
    expect([...scheduler.fail(id('a'))].sort()).toEqual(['b', 'c']);
    expect(scheduler.state(id('c'))).toBe('skipped');
    expect(scheduler.next()).toBe('d');
  });

  it('adds tasks while running, including deps on completed and failed tasks', () => {
    const scheduler = createScheduler();
    const first = resolver.resolve([task('a'), task('b')]);
    scheduler.add(first);
    scheduler.next();
    scheduler.next();
    scheduler.complete(id('a'));
    scheduler.fail(id('b'));
    scheduler.add(resolver.resolve([task('c', ['a']), task('d', ['b'])], first));
    expect(scheduler.state(id('c'))).toBe('ready');
    expect(scheduler.state(id('d'))).toBe('skipped');
    expect(scheduler.next()).toBe('c');
  });

  it('requeues a running task and rejects completing a task that is not running', () => {
    const scheduler = createScheduler();
    scheduler.add(resolver.resolve([task('a')]));
    expect(scheduler.next()).toBe('a');
    scheduler.requeue(id('a'));
    expect(scheduler.state(id('a'))).toBe('ready');
    expect(() => scheduler.complete(id('a'))).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
    expect(scheduler.next()).toBe('a');
  });
});
