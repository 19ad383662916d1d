/**
 * Window lengths of the rate-limit rules, shared by the in-memory and Redis limiters.
 */
import type { RateLimiter } from '@runtime/contracts';

/**
 * Window length in milliseconds of each rule.
 *
 * @remarks
 * The defaults are what the rule names say. Shorter windows exist so tests and load tests can
 * exercise the sliding behaviour over many windows in seconds, through the same code path.
 * @public
 */
export interface RateLimitWindows {
  /** Window of `rpm`. @defaultValue 60 000 */
  readonly rpm?: number;
  /** Window of `rph`. @defaultValue 3 600 000 */
  readonly rph?: number;
  /** Window of `tpm`. @defaultValue 60 000 */
  readonly tpm?: number;
}

/**
 * A {@link @runtime/contracts#RateLimiter} whose `release` is always available.
 * @public
 */
export interface ReleasableRateLimiter extends RateLimiter {
  /** Cancels an unsettled permit: its request and tokens stop counting. Idempotent; a no-op after settle. */
  release(permitId: string): Promise<void>;
}
