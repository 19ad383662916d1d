import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFakeClock } from '../test/fake-clock.js';
import { describeRateLimiter } from '../test/rate-limiter-suite.js';
import { createFixedWindowLimiter, PROPERTY_WINDOW_MS, slidingWindowProperty } from '../test/sliding-window-property.js';
import { maxInAnyWindow } from '../test/window-check.js';
import { createRateLimiter } from './memory-rate-limiter.js';

describeRateLimiter('memory', (clock, windows) => createRateLimiter(windows === undefined ? { clock } : { clock, windows }), { propertyRuns: 150 });

describe('the sliding-window property (a test of the test)', () => {
  it('catches a fixed-window counter at a boundary', async () => {
    let run = 0;
    await expect(
      fc.assert(
        slidingWindowProperty(createFixedWindowLimiter, () => `fixed-${run++}`),
        { numRuns: 300, seed: 42 },
      ),
    ).rejects.toSatisfy((error) => error instanceof Error && error.cause instanceof Error && /admitted within/.test(error.cause.message));
  });

  it('counts the classic boundary burst as twice the limit', async () => {
    const clock = createFakeClock(0);
    const fixed = createFixedWindowLimiter(clock);
    const admitted: number[] = [];
    for (const time of [PROPERTY_WINDOW_MS - 1, PROPERTY_WINDOW_MS - 1, PROPERTY_WINDOW_MS, PROPERTY_WINDOW_MS]) {
      clock.set(time);
      if ((await fixed.acquire({ key: 'k', limits: { rpm: 2 } })).allowed) admitted.push(time);
    }
    expect(maxInAnyWindow(admitted, PROPERTY_WINDOW_MS)).toBe(4);
  });
});

describe('memory limiter housekeeping', () => {
  it('treats a clock that steps back as the latest time seen (never counts less)', async () => {
    const clock = createFakeClock(10_000);
    const limiter = createRateLimiter({ clock });
    expect((await limiter.acquire({ key: 'k', limits: { rpm: 1 } })).allowed).toBe(true);
    clock.set(0);
    expect(await limiter.acquire({ key: 'k', limits: { rpm: 1 } })).toMatchObject({ allowed: false, retryAfterMs: 60_000 });
  });

  it('keeps exact counts across many windows and thousands of entries', async () => {
    const clock = createFakeClock(0);
    const limiter = createRateLimiter({ clock, windows: { rpm: 1_000 } });
    let admitted = 0;
    for (let i = 0; i < 20_000; i += 1) {
      clock.advance(1);
      if ((await limiter.acquire({ key: 'k', limits: { rpm: 500 } })).allowed) admitted += 1;
    }
    // 20 windows of 1 000 ms, 500 each.
    expect(admitted).toBe(10_000);
  });

  it('settle and release of an unknown or expired permit are no-ops', async () => {
    const clock = createFakeClock(0);
    const limiter = createRateLimiter({ clock });
    await expect(limiter.settle('nope', 1)).resolves.toBeUndefined();
    await expect(limiter.release('nope')).resolves.toBeUndefined();
    const decision = await limiter.acquire({ key: 'k', limits: { rph: 1 }, tokens: 3 });
    clock.advance(3_600_000);
    if (!decision.allowed) throw new Error('expected admission');
    await limiter.release(decision.permitId);
    expect((await limiter.acquire({ key: 'k', limits: { rph: 1 } })).allowed).toBe(true);
  });
});
