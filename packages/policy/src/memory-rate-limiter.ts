/**
 * The in-memory rate limiter: exact sliding logs for `rpm`, `rph` and `tpm` in one process.
 *
 * @remarks
 * Use it for a single process (the default, offline setup) and in tests. Several processes do
 * not share it: use `createRedisRateLimiter` from `@runtime/policy/redis` for that.
 */
import { randomBytes } from 'node:crypto';
import { systemClock, type Clock, type RateLimitDecision, type RateLimitRequest, type RateLimitRule } from '@runtime/contracts';
import { RULES, resolveWindows, validateActualTokens, validateRequest } from './internal/limiter-input.js';
import { settled } from './internal/settled.js';
import { PermitTable, type TakenPermit } from './internal/permit-table.js';
import { SlidingLog } from './internal/sliding-log.js';
import type { RateLimitWindows, ReleasableRateLimiter } from './rate-limit-windows.js';

/**
 * Options of {@link createRateLimiter}.
 * @public
 */
export interface MemoryRateLimiterOptions {
  /** Source of time. @defaultValue `systemClock` */
  readonly clock?: Clock;
  /** Window lengths. @defaultValue one minute for `rpm` and `tpm`, one hour for `rph` */
  readonly windows?: RateLimitWindows;
}

interface KeyState {
  readonly logs: Partial<Record<RateLimitRule, SlidingLog>>;
  lastTime: number;
}

/** Sweep idle keys and expired permits every this many acquisitions. */
const SWEEP_EVERY = 4096;

/**
 * Creates an in-memory {@link ReleasableRateLimiter} (sliding log per rule and key).
 *
 * @remarks
 * A sliding log is exact: a request is admitted only if, counting it, no rule's window
 * `(now - window, now]` holds more than the limit; nothing ever resets at a boundary. `tpm` entries
 * carry the reserved tokens, replaced by the actual count on `settle`. When several rules refuse, the
 * refusal names the one with the longest wait, so retrying at `retryAfterMs` clears them all
 * (absent other traffic). Time never runs backwards inside a key: an earlier clock reading is
 * treated as the latest one seen, which only ever counts more.
 * @throws {@link @runtime/contracts#ValidationError} `VALIDATION_FAILED` for a window that is not a positive integer.
 * @example
 * ```ts
 * const limiter = createRateLimiter();
 * const decision = await limiter.acquire({ key: 'tenant:acme', limits: { rpm: 10, tpm: 20_000 }, tokens: 1_500 });
 * if (decision.allowed) await limiter.settle(decision.permitId, 1_234);
 * ```
 * @public
 */
export function createRateLimiter(options: MemoryRateLimiterOptions = {}): ReleasableRateLimiter {
  const clock = options.clock ?? systemClock;
  const windows = resolveWindows(options.windows);
  const longestWindow = Math.max(windows.rpm, windows.rph, windows.tpm);
  const keys = new Map<string, KeyState>();
  const permits = new PermitTable<KeyState>();
  const prefix = `${randomBytes(4).toString('hex')}.`;
  let untilSweep = SWEEP_EVERY;
  let untilKeySweep = SWEEP_EVERY;

  function sweep(now: number): void {
    permits.sweep(now);
    untilKeySweep -= SWEEP_EVERY;
    if (untilKeySweep > 0) return;
    untilKeySweep = Math.max(SWEEP_EVERY, keys.size);
    for (const [key, state] of keys) if (state.lastTime + longestWindow <= now) keys.delete(key);
  }

  function decide(state: KeyState, now: number, limits: Partial<Record<RateLimitRule, number>>, tokens: number): RateLimitDecision | undefined {
    let refusal: (RateLimitDecision & { allowed: false }) | undefined;
    for (const rule of RULES) {
      const limit = limits[rule];
      if (limit === undefined) continue;
      let log = state.logs[rule];
      if (log === undefined) {
        log = new SlidingLog(windows[rule]);
        state.logs[rule] = log;
      }
      log.prune(now);
      const cost = rule === 'tpm' ? tokens : 1;
      const excess = log.total + cost - limit;
      if (excess <= 0) continue;
      const retryAfterMs = log.retryAfter(now, excess);
      if (refusal === undefined || retryAfterMs > refusal.retryAfterMs) {
        refusal = { allowed: false, rule, limit, observed: log.total, retryAfterMs };
      }
    }
    return refusal;
  }

  /** Removes and returns the open permit with this id; `undefined` when unknown, closed or expired. */
  function take(permitId: string): TakenPermit<KeyState> | undefined {
    if (typeof permitId !== 'string' || !permitId.startsWith(prefix)) return undefined;
    return permits.take(Number(permitId.slice(prefix.length)), clock.now());
  }

  function acquireNow(request: RateLimitRequest): RateLimitDecision {
    const tokens = validateRequest(request);
    let state = keys.get(request.key);
    if (state === undefined) {
      state = { logs: {}, lastTime: Number.NEGATIVE_INFINITY };
      keys.set(request.key, state);
    }
    const now = Math.max(clock.now(), state.lastTime);
    state.lastTime = now;
    const { limits } = request;
    const refusal = decide(state, now, limits, tokens);
    if (refusal !== undefined) return refusal;
    const { logs } = state;
    const sequence = permits.add(
      state,
      limits.rpm === undefined || logs.rpm === undefined ? -1 : logs.rpm.push(now, 1),
      limits.rph === undefined || logs.rph === undefined ? -1 : logs.rph.push(now, 1),
      limits.tpm === undefined || logs.tpm === undefined ? -1 : logs.tpm.push(now, tokens),
      now + longestWindow,
    );
    untilSweep -= 1;
    if (untilSweep === 0) {
      untilSweep = SWEEP_EVERY;
      sweep(now);
    }
    return { allowed: true, permitId: prefix + String(sequence) };
  }

  function settleNow(permitId: string, actualTokens: number): void {
    validateActualTokens(actualTokens);
    const permit = take(permitId);
    if (permit !== undefined) {
      if (permit.tpm >= 0) permit.state.logs.tpm?.reweigh(permit.tpm, actualTokens);
    }
  }

  function releaseNow(permitId: string): void {
    const permit = take(permitId);
    if (permit !== undefined) {
      const { logs } = permit.state;
      if (permit.rpm >= 0) logs.rpm?.reweigh(permit.rpm, 0);
      if (permit.rph >= 0) logs.rph?.reweigh(permit.rph, 0);
      if (permit.tpm >= 0) logs.tpm?.reweigh(permit.tpm, 0);
    }
  }

  return {
    acquire(request) {
      // Inlined rather than through `settled` (no closure): this is the hot path.
      try {
        return Promise.resolve(acquireNow(request));
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    },
    settle: (permitId, actualTokens) => settled(() => settleNow(permitId, actualTokens)),
    release: (permitId) => settled(() => releaseNow(permitId)),
  };
}
