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
});
