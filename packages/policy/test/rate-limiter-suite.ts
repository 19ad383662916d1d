/**
 * The behaviour every {@link ReleasableRateLimiter} must have, run against the in-memory limiter and
 * the Redis limiter alike (one suite, two stores).
 */
import { ValidationError } from '@runtime/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RateLimitWindows, ReleasableRateLimiter } from '../src/index.js';
import { createFakeClock, type FakeClock } from './fake-clock.js';
import { PROPERTY_WINDOW_MS, slidingWindowProperty } from './sliding-window-property.js';
import { maxInAnyWindow, maxWeightInAnyWindow } from './window-check.js';

export interface LimiterFactory {
  (clock: FakeClock, windows?: RateLimitWindows): ReleasableRateLimiter;
}

export interface SuiteOptions {
  /** Runs of each property. */
  readonly propertyRuns: number;
}

let counter = 0;
function freshKey(): string {
  counter += 1;
  return `tenant:${process.pid}-${counter}`;
}

async function admit(limiter: ReleasableRateLimiter, key: string, limits: { rpm?: number; rph?: number; tpm?: number }, tokens = 0): Promise<string> {
  const decision = await limiter.acquire({ key, limits, tokens });
  if (!decision.allowed) throw new Error(`expected admission, got ${JSON.stringify(decision)}`);
  return decision.permitId;
}

export function describeRateLimiter(name: string, create: LimiterFactory, options: SuiteOptions): void {
  describe(`${name}: requests`, () => {
    it('admits up to the rpm limit, then refuses with rule, limit, observed and retryAfterMs', async () => {
      const clock = createFakeClock();
      const limiter = create(clock);
      const key = freshKey();
      await admit(limiter, key, { rpm: 3 });
      clock.advance(100);
      await admit(limiter, key, { rpm: 3 });
      await admit(limiter, key, { rpm: 3 });
      clock.advance(400);
      const refused = await limiter.acquire({ key, limits: { rpm: 3 } });
      // The oldest admission (500 ms ago) leaves the window in 59 500 ms.
      expect(refused).toEqual({ allowed: false, rule: 'rpm', limit: 3, observed: 3, retryAfterMs: 59_500 });
    });

    it('slides: a window boundary does not reset the count', async () => {
      const clock = createFakeClock(0);
      const limiter = create(clock, { rpm: 1_000 });
      const key = freshKey();
      clock.set(900);
      await admit(limiter, key, { rpm: 2 });
      clock.set(950);
      await admit(limiter, key, { rpm: 2 });
      clock.set(1_000); // a fixed window would start afresh here
      expect(await limiter.acquire({ key, limits: { rpm: 2 } })).toMatchObject({ allowed: false, retryAfterMs: 900 });
      clock.set(1_899);
      expect(await limiter.acquire({ key, limits: { rpm: 2 } })).toMatchObject({ allowed: false, retryAfterMs: 1 });
      clock.set(1_900);
      await admit(limiter, key, { rpm: 2 });
      expect(await limiter.acquire({ key, limits: { rpm: 2 } })).toMatchObject({ allowed: false, retryAfterMs: 50 });
    });

    it('applies rph over its own window', async () => {
      const clock = createFakeClock();
      const limiter = create(clock);
      const key = freshKey();
      await admit(limiter, key, { rpm: 10, rph: 2 });
      clock.advance(61_000);
      await admit(limiter, key, { rpm: 10, rph: 2 });
      clock.advance(61_000);
      expect(await limiter.acquire({ key, limits: { rpm: 10, rph: 2 } })).toEqual({
        allowed: false,
        rule: 'rph',
        limit: 2,
        observed: 2,
        retryAfterMs: 3_600_000 - 122_000,
      });
    });

    it('keeps keys apart', async () => {
      const clock = createFakeClock();
      const limiter = create(clock);
      const [a, b] = [freshKey(), freshKey()];
      await admit(limiter, a, { rpm: 1 });
      await admit(limiter, b, { rpm: 1 });
      expect((await limiter.acquire({ key: a, limits: { rpm: 1 } })).allowed).toBe(false);
    });

    it('names the rule with the longest wait when several refuse', async () => {
      const clock = createFakeClock();
      const limiter = create(clock);
      const key = freshKey();
      await admit(limiter, key, { rpm: 1, rph: 1 });
      clock.advance(1_000);
      expect(await limiter.acquire({ key, limits: { rpm: 1, rph: 1 } })).toMatchObject({ rule: 'rph', retryAfterMs: 3_599_000 });
    });
  });

  describe(`${name}: tokens`, () => {
    it('reserves the estimate at acquire, before any usage is reported', async () => {
      const clock = createFakeClock();
      const limiter = create(clock);
      const key = freshKey();
      await admit(limiter, key, { tpm: 1_000 }, 600);
      clock.advance(10);
      expect(await limiter.acquire({ key, limits: { tpm: 1_000 }, tokens: 600 })).toEqual({
        allowed: false,
        rule: 'tpm',
        limit: 1_000,
        observed: 600,
        retryAfterMs: 59_990,
      });
    });

    it('settles to the actual tokens, freeing (or taking) the difference', async () => {
      const clock = createFakeClock();
      const limiter = create(clock);
      const key = freshKey();
      const first = await admit(limiter, key, { tpm: 1_000 }, 600);
      await limiter.settle(first, 100);
      const second = await admit(limiter, key, { tpm: 1_000 }, 600);
      await limiter.settle(second, 900);
      expect(await limiter.acquire({ key, limits: { tpm: 1_000 }, tokens: 1 })).toMatchObject({ allowed: false, rule: 'tpm', observed: 1_000 });
    });

    it('settle is idempotent: the first settlement stands', async () => {
      const clock = createFakeClock();
      const limiter = create(clock);
      const key = freshKey();
      const permit = await admit(limiter, key, { tpm: 1_000 }, 500);
      await limiter.settle(permit, 200);
      await limiter.settle(permit, 200);
      await limiter.settle(permit, 999);
      await admit(limiter, key, { tpm: 1_000 }, 800);
      expect(await limiter.acquire({ key, limits: { tpm: 1_000 }, tokens: 1 })).toMatchObject({ allowed: false, observed: 1_000 });
    });

    it('tokens leave the window with their request', async () => {
      const clock = createFakeClock();
      const limiter = create(clock);
      const key = freshKey();
      await admit(limiter, key, { tpm: 1_000 }, 1_000);
      clock.advance(59_999);
      expect((await limiter.acquire({ key, limits: { tpm: 1_000 }, tokens: 1 })).allowed).toBe(false);
      clock.advance(1);
      expect((await limiter.acquire({ key, limits: { tpm: 1_000 }, tokens: 1_000 })).allowed).toBe(true);
    });
  });

  describe(`${name}: all or nothing, release`, () => {
    it('a refusal by one rule takes nothing from the others', async () => {
      const clock = createFakeClock();
      const limiter = create(clock);
      const key = freshKey();
      const limits = { rpm: 2, tpm: 1_000 };
      await admit(limiter, key, limits, 900);
      for (let i = 0; i < 5; i += 1) expect(await limiter.acquire({ key, limits, tokens: 500 })).toMatchObject({ allowed: false, rule: 'tpm' });
      await admit(limiter, key, limits, 100); // the second rpm slot is still free
      expect(await limiter.acquire({ key, limits, tokens: 0 })).toMatchObject({ allowed: false, rule: 'rpm', observed: 2 });
    });

    it('release returns the request and its tokens; it is idempotent and a no-op after settle', async () => {
      const clock = createFakeClock();
      const limiter = create(clock);
      const key = freshKey();
      const limits = { rpm: 1, tpm: 1_000 };
      const permit = await admit(limiter, key, limits, 1_000);
      await limiter.release(permit);
      await limiter.release(permit);
      const settled = await admit(limiter, key, limits, 1_000);
      await limiter.settle(settled, 1_000);
      await limiter.release(settled);
      expect(await limiter.acquire({ key, limits, tokens: 0 })).toMatchObject({ allowed: false, rule: 'rpm' });
    });

    it('releases and settles a zero-token reservation (a property-test find: Lua printed -0)', async () => {
      const clock = createFakeClock();
      const limiter = create(clock);
      const key = freshKey();
      const released = await admit(limiter, key, { rpm: 2, tpm: 10 }, 0);
      await limiter.release(released);
      const settledPermit = await admit(limiter, key, { rpm: 2, tpm: 10 }, 0);
      await limiter.settle(settledPermit, 0);
      expect((await limiter.acquire({ key, limits: { rpm: 2, tpm: 10 }, tokens: 10 })).allowed).toBe(true);
    });

    it('settle after release changes nothing', async () => {
      const clock = createFakeClock();
      const limiter = create(clock);
      const key = freshKey();
      const permit = await admit(limiter, key, { tpm: 100 }, 100);
      await limiter.release(permit);
      await limiter.settle(permit, 100);
      expect((await limiter.acquire({ key, limits: { tpm: 100 }, tokens: 100 })).allowed).toBe(true);
    });
  });

  describe(`${name}: bad input`, () => {
    it.each([
      ['an empty key', { key: '', limits: { rpm: 1 } }],
      ['a zero limit', { key: 'k', limits: { rpm: 0 } }],
      ['a negative limit', { key: 'k', limits: { tpm: -5 } }],
      ['fractional tokens', { key: 'k', limits: { tpm: 10 }, tokens: 1.5 }],
      ['negative tokens', { key: 'k', limits: {}, tokens: -1 }],
      ['more tokens than tpm can ever hold', { key: 'k', limits: { tpm: 10 }, tokens: 11 }],
    ])('rejects %s with VALIDATION_FAILED', async (_label, request) => {
      const limiter = create(createFakeClock());
      await expect(limiter.acquire(request)).rejects.toSatisfy((error) => ValidationError.isInstance(error) && error.code === 'VALIDATION_FAILED');
    });

    it('rejects a negative actual token count at settle', async () => {
      const clock = createFakeClock();
      const limiter = create(clock);
      const permit = await admit(limiter, freshKey(), { tpm: 10 }, 5);
      await expect(limiter.settle(permit, -1)).rejects.toSatisfy(ValidationError.isInstance);
    });

    it('rejects a zero window at creation', () => {
      expect(() => create(createFakeClock(), { rpm: 0 })).toThrow(ValidationError);
    });
  });

  describe(`${name}: properties`, () => {
    it('never admits more than the limit in any window of its length', async () => {
      await fc.assert(
        slidingWindowProperty((clock) => create(clock, { rpm: PROPERTY_WINDOW_MS }), freshKey),
        { numRuns: options.propertyRuns },
      );
    });

    it('holds rpm, rph and tpm together, refuses only when full, and admits at retryAfterMs', async () => {
      const windows = { rpm: 10_000, rph: 30_000, tpm: 10_000 };
      const limits = { rpm: 4, rph: 7, tpm: 1_000 };
      const op = fc.record({
        gap: fc.oneof(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 12_000 })),
        tokens: fc.integer({ min: 0, max: 500 }),
        usedShare: fc.double({ min: 0, max: 1, noNaN: true }),
        release: fc.boolean(),
        waitForRetry: fc.boolean(),
      });
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 30 }), async (ops) => {
          const clock = createFakeClock(0);
          const limiter = create(clock, windows);
          const key = freshKey();
          const admitted: { time: number; weight: number }[] = [];
          const inWindow = (windowMs: number) => admitted.filter((entry) => entry.time > clock.now() - windowMs);
          for (const step of ops) {
            clock.advance(step.gap);
            let decision = await limiter.acquire({ key, limits, tokens: step.tokens });
            if (!decision.allowed) {
              const live = decision.rule === 'rph' ? inWindow(windows.rph) : inWindow(windows[decision.rule]);
              const observed = decision.rule === 'tpm' ? live.reduce((sum, entry) => sum + entry.weight, 0) : live.length;
              expect(decision.observed).toBe(observed);
              expect(decision.observed + (decision.rule === 'tpm' ? step.tokens : 1)).toBeGreaterThan(decision.limit);
              if (!step.waitForRetry) continue;
              clock.advance(decision.retryAfterMs - 1);
              expect((await limiter.acquire({ key, limits, tokens: step.tokens })).allowed).toBe(false);
              clock.advance(1);
              decision = await limiter.acquire({ key, limits, tokens: step.tokens });
              expect(decision.allowed).toBe(true);
            }
            if (!decision.allowed) continue;
            if (step.release) {
              await limiter.release(decision.permitId);
              continue;
            }
            const used = Math.floor(step.tokens * step.usedShare);
            await limiter.settle(decision.permitId, used);
            admitted.push({ time: clock.now(), weight: used });
          }
          const times = admitted.map((entry) => entry.time);
          expect(maxInAnyWindow(times, windows.rpm)).toBeLessThanOrEqual(limits.rpm);
          expect(maxInAnyWindow(times, windows.rph)).toBeLessThanOrEqual(limits.rph);
          expect(maxWeightInAnyWindow(admitted, windows.tpm)).toBeLessThanOrEqual(limits.tpm);
        }),
        { numRuns: options.propertyRuns },
      );
    });
  });
}
