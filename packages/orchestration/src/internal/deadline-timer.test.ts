import { afterEach, describe, expect, it, vi } from 'vitest';
import { DeadlineTimer, MAX_TIMER_DELAY_MS, cancellableTimeout } from './deadline-timer.js';

describe('timers beyond 2^31 − 1 ms', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('a deadline of 35 days neither fires early nor re-arms every millisecond', async () => {
    vi.useFakeTimers();
    const arms = vi.spyOn(globalThis, 'setTimeout');
    const timer = new DeadlineTimer();
    const fire = vi.fn();
    const delay = 35 * 24 * 3_600_000;
    timer.add(delay, fire);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(fire).not.toHaveBeenCalled();
    expect(arms.mock.calls.length).toBeLessThanOrEqual(1);
    await vi.advanceTimersByTimeAsync(delay - 1_001);
    expect(fire).not.toHaveBeenCalled();
    expect(arms.mock.calls.length).toBeLessThanOrEqual(3);
    await vi.advanceTimersByTimeAsync(1);
    expect(fire).toHaveBeenCalledOnce();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('cancellableTimeout chains delays above the cap and can be cancelled', async () => {
    vi.useFakeTimers();
    const fire = vi.fn();
    cancellableTimeout(MAX_TIMER_DELAY_MS + 5_000, fire);
    await vi.advanceTimersByTimeAsync(MAX_TIMER_DELAY_MS);
    expect(fire).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(fire).toHaveBeenCalledOnce();
    const cancelled = vi.fn();
    const cancel = cancellableTimeout(MAX_TIMER_DELAY_MS * 2, cancelled);
    await vi.advanceTimersByTimeAsync(MAX_TIMER_DELAY_MS + 1);
    cancel();
    await vi.advanceTimersByTimeAsync(MAX_TIMER_DELAY_MS * 2);
    expect(cancelled).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });
});
