/**
 * Time as a collaborator, so tests can use a fake clock.
 */

/**
 * A source of time in epoch milliseconds.
 * @public
 */
export interface Clock {
  /** Current time in epoch milliseconds. */
  now(): number;
}

/**
 * The real clock (`Date.now`).
 * @public
 */
export const systemClock: Clock = { now: () => Date.now() };
