/**
 * The in-memory rate limiter: exact sliding logs for `rpm`, `rph` and `tpm` in one process.
 *
 * @remarks
 * Use it for a single process (the default, offline setup) and in tests. Several processes do
 * not share it: use `createRedisRateLimiter` from `@runtime/policy/redis` for that.
 */
import { randomBytes } from 'node:crypto';
import { systemClock, type Clock, type RateLimitDecision, type RateLimitRequest, type RateLimitRule } from '@runtime/contracts';
import { resolveWindows, validateActualTokens, validateRequest } from './internal/limiter-input.js';
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

/** The logs of one key, created on first use of each rule (named fields: this is the hot path). */
interface KeyState {
  rpm: SlidingLog | undefined;
  rph: SlidingLog | undefined;
  tpm: SlidingLog | undefined;
  lastTime: number;
}

type Refusal = Extract<RateLimitDecision, { allowed: false }>;

/** Prunes `log` and returns the refusal to report: `current`, or this rule's when it waits longer. */
function consider(current: Refusal | undefined, rule: RateLimitRule, log: SlidingLog, limit: number, cost: number, now: number): Refusal | undefined {
  log.prune(now);
  const excess = log.total + cost - limit;
  if (excess <= 0) return current;
  const retryAfterMs = log.retryAfter(now, excess);
  if (current !== undefined && current.retryAfterMs >= retryAfterMs) return current;
  return { allowed: false, rule, limit, observed: log.total, retryAfterMs };
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

  /** Removes and returns the open permit with this id; `undefined` when unknown, closed or expired. */
  function take(permitId: string): TakenPermit<KeyState> | undefined {
    if (typeof permitId !== 'string' || !permitId.startsWith(prefix)) return undefined;
    return permits.take(Number(permitId.slice(prefix.length)), clock.now());
  }

  function acquireNow(request: RateLimitRequest): RateLimitDecision {
    const tokens = validateRequest(request);
    let state = keys.get(request.key);
    if (state === undefined) {
      state = { rpm: undefined, rph: undefined, tpm: undefined, lastTime: Number.NEGATIVE_INFINITY };
      keys.set(request.key, state);
    }
    const now = Math.max(clock.now(), state.lastTime);
    state.lastTime = now;
    const { rpm, rph, tpm } = request.limits;
    const rpmLog = rpm === undefined ? undefined : (state.rpm ??= new SlidingLog(windows.rpm));
    const rphLog = rph === undefined ? undefined : (state.rph ??= new SlidingLog(windows.rph));
    const tpmLog = tpm === undefined ? undefined : (state.tpm ??= new SlidingLog(windows.tpm));
    let refusal: Refusal | undefined;
    if (rpmLog !== undefined) refusal = consider(refusal, 'rpm', rpmLog, rpm ?? 0, 1, now);
    if (rphLog !== undefined) refusal = consider(refusal, 'rph', rphLog, rph ?? 0, 1, now);
    if (tpmLog !== undefined) refusal = consider(refusal, 'tpm', tpmLog, tpm ?? 0, tokens, now);
    if (refusal !== undefined) return refusal;
    const sequence = permits.add(
      state,
      rpmLog === undefined ? -1 : rpmLog.push(now, 1),
      rphLog === undefined ? -1 : rphLog.push(now, 1),
      tpmLog === undefined ? -1 : tpmLog.push(now, tokens),
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
      if (permit.tpm >= 0) permit.state.tpm?.reweigh(permit.tpm, actualTokens);
    }
  }

  function releaseNow(permitId: string): void {
    const permit = take(permitId);
    if (permit !== undefined) {
      const { state } = permit;
      if (permit.rpm >= 0) state.rpm?.reweigh(permit.rpm, 0);
      if (permit.rph >= 0) state.rph?.reweigh(permit.rph, 0);
      if (permit.tpm >= 0) state.tpm?.reweigh(permit.tpm, 0);
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
