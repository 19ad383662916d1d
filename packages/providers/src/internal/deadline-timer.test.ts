import { describe, expect, it } from 'vitest';
import { createFakeTime } from '../testing/index.js';
import { DeadlineTimer, type Deadline } from './deadline-timer.js';

function item(log: string[], name: string): Deadline {
  return { deadline: 0, settled: false, expire: () => log.push(name) };
}

describe('DeadlineTimer', () => {
  it('runs one timer for many deadlines and expires each at its own time', async () => {
    const time = createFakeTime();
    const timer = new DeadlineTimer(time.timers, time.clock);
    const log: string[] = [];
    const items = ['a', 'b', 'c'].map((name) => item(log, name));
    const [a, b, c] = items;
    if (a === undefined || b === undefined || c === undefined) throw new Error('setup');
    timer.add(a, 100);
    await time.advance(10);
    timer.add(b, 100);
    timer.add(c, 50);
    expect(time.pending()).toBe(1);
    await time.advance(50);
    expect(log).toEqual(['c']);
    await time.advance(40);
    expect(log).toEqual(['c', 'a']);
    await time.advance(10);
    expect(log).toEqual(['c', 'a', 'b']);
    expect(time.pending()).toBe(0);
  });

  it('leaves no timer running once every deadline has been removed', async () => {
    const time = createFakeTime();
    const timer = new DeadlineTimer(time.timers, time.clock);
    const log: string[] = [];
    const first = item(log, 'first');
    const second = item(log, 'second');
    timer.add(first, 100);
    timer.add(second, 100);
    timer.remove(first);
    expect(time.pending()).toBe(1);
    timer.remove(second);
    timer.remove(second);
    expect(time.pending()).toBe(0);
    await time.advance(1000);
    expect(log).toEqual([]);
  });

  it('with defer, arms only when the turn ends and only if something is still pending', async () => {
    const time = createFakeTime();
    const deferred: (() => void)[] = [];
    const timer = new DeadlineTimer({ ...time.timers, defer: (callback) => deferred.push(callback) }, time.clock);
    const log: string[] = [];
    const quick = item(log, 'quick');
    timer.add(quick, 100);
    timer.remove(quick);
    const slow = item(log, 'slow');
    timer.add(slow, 100);
    expect(deferred).toHaveLength(1);
    expect(time.pending()).toBe(0);
    await time.advance(30);
    for (const callback of deferred.splice(0)) callback();
    expect(time.pending()).toBe(1);
    await time.advance(70);
    expect(log).toEqual(['slow']);
    const gone = item(log, 'gone');
    timer.add(gone, 100);
    timer.remove(gone);
    for (const callback of deferred.splice(0)) callback();
    expect(time.pending()).toBe(0);
  });
});
