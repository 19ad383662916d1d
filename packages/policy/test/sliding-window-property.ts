/**
 * The sliding-window property, usable against any limiter (including a deliberately wrong one):
 * drive it with random arrivals on a fake clock and check that no window of the configured length
 * ever holds more admitted requests than the limit.
 */
import type { RateLimiter } from '@runtime/contracts';
import fc from 'fast-check';
import { createFakeClock, type FakeClock } from './fake-clock.js';
import { maxInAnyWindow } from './window-check.js';

export const PROPERTY_WINDOW_MS = 10_000;

/** Gaps between arrivals: bursts, near-boundary steps and long pauses. */
const gap = fc.oneof(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: PROPERTY_WINDOW_MS * 2 }), fc.constantFrom(1, PROPERTY_WINDOW_MS - 1, PROPERTY_WINDOW_MS));

export function slidingWindowProperty(
  create: (clock: FakeClock) => RateLimiter,
  key: () => string,
): fc.IAsyncPropertyWithHooks<[number, number[]]> {
  return fc.asyncProperty(fc.integer({ min: 1, max: 5 }), fc.array(gap, { minLength: 1, maxLength: 40 }), async (limit, gaps) => {
    const clock = createFakeClock(0);
    const limiter = create(clock);
    const name = key();
    const admitted: number[] = [];
    for (const step of gaps) {
      clock.advance(step);
      const decision = await limiter.acquire({ key: name, limits: { rpm: limit } });
      if (decision.allowed) admitted.push(clock.now());
    }
    const worst = maxInAnyWindow(admitted, PROPERTY_WINDOW_MS);
    if (worst > limit) throw new Error(`${worst} admitted within ${PROPERTY_WINDOW_MS} ms, limit ${limit}`);
  });
}

/** A fixed-window counter (the classic mistake), only to prove the property catches it. */
export function createFixedWindowLimiter(clock: FakeClock): RateLimiter {
  const counts = new Map<string, { window: number; count: number }>();
  return {
    acquire(request) {
      const limit = request.limits.rpm ?? Number.POSITIVE_INFINITY;
      const window = Math.floor(clock.now() / PROPERTY_WINDOW_MS);
      const current = counts.get(request.key);
      const count = current !== undefined && current.window === window ? current.count : 0;
      if (count >= limit) {
        return Promise.resolve({ allowed: false, rule: 'rpm', limit, observed: count, retryAfterMs: (window + 1) * PROPERTY_WINDOW_MS - clock.now() });
      }
      counts.set(request.key, { window, count: count + 1 });
      return Promise.resolve({ allowed: true, permitId: String(count) });
    },
    settle: () => Promise.resolve(),
  };
}
